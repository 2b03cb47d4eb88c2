"""Writes to people and the org tree. The HR import (people.importing) calls these after it loads a file."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from accounts.models import Role, RoleGrant, User
from people.models import EmploymentStatus, Function, OrgUnit, Person


def _paths(parent_of: dict[int, int | None]) -> dict[int, tuple[str, int]]:
    """Materialised paths ("/1/4/9/") and depths for a forest given as child -> parent.

    Assumes no cycles (the importer rejects them before anything is written).
    """
    children: dict[int | None, list[int]] = defaultdict(list)
    for node, parent in parent_of.items():
        children[parent if parent in parent_of else None].append(node)
    result: dict[int, tuple[str, int]] = {}
    stack: list[tuple[int, str, int]] = [(root, "/", 0) for root in children[None]]
    while stack:
        node, prefix, depth = stack.pop()
        path = f"{prefix}{node}/"
        result[node] = (path, depth)
        stack.extend((child, path, depth + 1) for child in children.get(node, []))
    return result


@transaction.atomic
def org_unit_paths_rebuild() -> int:
    """Recompute every org unit's path and depth. Returns how many changed."""
    units = list(OrgUnit.objects.only("pk", "parent_id", "path", "depth"))
    computed = _paths({u.pk: u.parent_id for u in units})
    changed = []
    for unit in units:
        path, depth = computed[unit.pk]
        if unit.path != path or unit.depth != depth:
            unit.path, unit.depth = path, depth
            changed.append(unit)
    OrgUnit.objects.bulk_update(changed, ["path", "depth"], batch_size=1000)
    return len(changed)


@transaction.atomic
def reporting_paths_rebuild() -> int:
    """Recompute every person's reporting path and depth. Returns how many changed."""
    people = list(Person.objects.only("pk", "manager_id", "path", "depth"))
    computed = _paths({p.pk: p.manager_id for p in people})
    changed = []
    for person in people:
        path, depth = computed[person.pk]
        if person.path != path or person.depth != depth:
            person.path, person.depth = path, depth
            changed.append(person)
    Person.objects.bulk_update(changed, ["path", "depth"], batch_size=1000)
    return len(changed)


def _derived_sales_roles(people: list[Person]) -> dict[int, set[str]]:
    """Sales roles that follow from the org chart, by person pk.

    A salesperson with no active reports is a seller; with active reports, a sales manager; with reports who
    themselves manage people, also a senior sales leader.
    """
    active = {p.pk: p for p in people if p.status != EmploymentStatus.INACTIVE}
    reports: dict[int, list[int]] = defaultdict(list)
    for person in active.values():
        if person.manager_id in active:
            reports[person.manager_id].append(person.pk)
    roles: dict[int, set[str]] = {}
    for pk, person in active.items():
        if person.function != Function.SALES:
            continue
        direct = reports.get(pk, [])
        if not direct:
            roles[pk] = {Role.SELLER}
            continue
        roles[pk] = {Role.SALES_MANAGER}
        if any(reports.get(report) for report in direct):
            roles[pk].add(Role.SENIOR_SALES_LEADER)
    return roles


@transaction.atomic
def access_sync(*, hr_partner_units: dict[int, list[int]] | None = None) -> dict[str, int]:
    """Give every active person a sign-in and the roles their place in the org chart implies.

    - creates a User (no usable password: people set one through password reset) for each active person
      without one, matched by work email; deactivates the users of inactive people;
    - replaces `derived` role grants with the sales roles the reporting tree implies and, when
      `hr_partner_units` is given (person pk -> org unit pks), the HR-partner grants it lists;
    - never touches `manual` grants.
    Returns counts of what changed.
    """
    people = list(Person.objects.select_related("user").only(
        "pk", "email", "status", "function", "manager_id", "user__id", "user__email", "user__is_active"
    ))
    users_by_email = {u.email: u for u in User.objects.filter(email__in=[p.email.lower() for p in people])}
    created = deactivated = reactivated = 0
    to_link: list[Person] = []
    for person in people:
        user = person.user or users_by_email.get(person.email.lower())
        if person.status == EmploymentStatus.INACTIVE:
            if user is not None and user.is_active:
                user.is_active = False
                user.save(update_fields=["is_active"])
                deactivated += 1
            continue
        if user is None:
            user = User.objects.create_user(email=person.email)
            created += 1
        elif not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
            reactivated += 1
        if person.user_id != user.pk:
            person.user = user
            to_link.append(person)
    Person.objects.bulk_update(to_link, ["user"], batch_size=1000)

    person_user = dict(Person.objects.exclude(user=None).values_list("pk", "user_id"))
    wanted: dict[tuple[int, str], list[int]] = {}
    for pk, roles in _derived_sales_roles(people).items():
        for role in roles:
            wanted[(person_user[pk], role)] = []
    if hr_partner_units is not None:
        for pk, unit_pks in hr_partner_units.items():
            if pk in person_user and unit_pks:
                wanted[(person_user[pk], Role.HR_PARTNER)] = unit_pks

    derived_roles = {Role.SELLER, Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER}
    if hr_partner_units is not None:
        derived_roles.add(Role.HR_PARTNER)
    existing = {(g.user_id, g.role): g for g in RoleGrant.objects.filter(role__in=derived_roles)}
    removed = 0
    for key, grant in existing.items():
        if grant.source == RoleGrant.Source.DERIVED and key not in wanted:
            grant.delete()
            removed += 1
    added = 0
    for (user_id, role), unit_pks in wanted.items():
        found = existing.get((user_id, role))
        if found is None:
            grant = RoleGrant.objects.create(user_id=user_id, role=role, source=RoleGrant.Source.DERIVED)
            added += 1
        elif found.source == RoleGrant.Source.MANUAL:
            continue
        else:
            grant = found
        if role == Role.HR_PARTNER:
            current = set(grant.org_units.values_list("pk", flat=True))
            if current != set(unit_pks):
                grant.org_units.set(unit_pks)
    return {
        "users_created": created,
        "users_deactivated": deactivated,
        "users_reactivated": reactivated,
        "roles_added": added,
        "roles_removed": removed,
    }
