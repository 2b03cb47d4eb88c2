"""Writes to people and the org tree. The HR import (people.importing) calls these after it loads a file."""

from __future__ import annotations

from collections import defaultdict

from django.db import models, transaction

from accounts.email_changes import sign_in_email_change_request
from accounts.models import Role, RoleGrant, User
from core.bulk import update_columns
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


def _rebuild(model: type[models.Model], parent_field: str) -> int:
    nodes = list(model._default_manager.values_list("pk", parent_field, "path", "depth"))
    computed = _paths({pk: parent for pk, parent, _, _ in nodes})
    changed = [
        (pk, *computed[pk]) for pk, _, path, depth in nodes if (path, depth) != computed[pk]
    ]
    update_columns(model, ["path", "depth"], changed)
    return len(changed)


@transaction.atomic
def org_unit_paths_rebuild() -> int:
    """Recompute every org unit's path and depth. Returns how many changed."""
    return _rebuild(OrgUnit, "parent_id")


@transaction.atomic
def reporting_paths_rebuild() -> int:
    """Recompute every person's reporting path and depth. Returns how many changed."""
    return _rebuild(Person, "manager_id")


def _derived_sales_roles(people: list[Person]) -> dict[int, set[str]]:
    """Sales roles that follow from the org chart, by person pk.

    A salesperson with no active reports is a seller, unless they have become a people manager (a
    `manager_since` date, before their team arrives): then, as with active reports, a sales manager; with
    reports who themselves manage people, also a senior sales leader.
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
        if not direct and person.manager_since is None:
            roles[pk] = {Role.SELLER}
            continue
        roles[pk] = {Role.SALES_MANAGER}
        if any(reports.get(report) for report in direct):
            roles[pk].add(Role.SENIOR_SALES_LEADER)
    return roles


def _protected_user_pks() -> set[int]:
    """Accounts an HR import never deactivates: administrators, staff and superusers."""
    return set(
        User.objects.filter(
            models.Q(is_superuser=True) | models.Q(is_staff=True) | models.Q(role_grants__role=Role.ADMINISTRATOR)
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def access_sync(*, hr_partner_units: dict[int, list[int]] | None = None) -> dict[str, int]:
    """Give every active person a sign-in and the roles their place in the org chart implies.

    - creates a User (no usable password: people set one through password reset) for each active person
      without one, with their work email; deactivates the users of inactive people, except administrators;
    - a sign-in never changes hands: a person is linked only to the user created for them. When another account
      (an administrator's, a service account) already has the person's email, the person gets no sign-in
      (`sign_ins_withheld`; the importer refuses such rows before this runs);
    - a changed work email does not move the sign-in: the owner is asked to confirm it
      (`accounts.email_changes`), and until then signs in with the old address;
    - replaces `derived` role grants with the sales roles the reporting tree implies and, when
      `hr_partner_units` is given (person pk -> org unit pks), the HR-partner grants it lists;
    - never touches `manual` grants.
    Returns counts of what changed.
    """
    people = list(Person.objects.only("pk", "email", "status", "function", "manager_id", "manager_since", "user_id"))
    users_by_pk = {u.pk: u for u in User.objects.only("pk", "email", "is_active")}
    taken_emails = {u.email for u in users_by_pk.values()}
    protected = _protected_user_pks()
    to_deactivate: set[int] = set()
    to_reactivate: set[int] = set()
    to_create: dict[str, User] = {}
    email_changes: list[tuple[User, str]] = []
    links: list[tuple[Person, User]] = []
    withheld = kept_active = 0
    for person in people:
        email = person.email.lower()
        user = users_by_pk.get(person.user_id) if person.user_id else None
        if person.status == EmploymentStatus.INACTIVE:
            if user is not None and user.is_active:
                if user.pk in protected:
                    kept_active += 1
                else:
                    to_deactivate.add(user.pk)
            continue
        if user is None:
            if email in taken_emails or email in to_create:
                withheld += 1
                continue
            user = User(email=email, username=email)
            user.set_unusable_password()
            to_create[email] = user
        else:
            if not user.is_active:
                to_reactivate.add(user.pk)
            if user.email != email:
                email_changes.append((user, email))
        links.append((person, user))
    User.objects.bulk_create(list(to_create.values()), batch_size=1000)
    for pks, active in ((to_deactivate, False), (to_reactivate, True)):
        ordered = sorted(pks)
        for start in range(0, len(ordered), 1000):
            User.objects.filter(pk__in=ordered[start:start + 1000]).update(is_active=active)
    update_columns(Person, ["user"], [(person.pk, user.pk) for person, user in links if person.user_id != user.pk])
    requested = sum(
        1 for user, email in email_changes if sign_in_email_change_request(user=user, new_email=email) is not None
    )
    created, deactivated, reactivated = len(to_create), len(to_deactivate), len(to_reactivate)

    person_user = dict(Person.objects.exclude(user=None).values_list("pk", "user_id"))
    wanted: dict[tuple[int, str], list[int]] = {}
    for pk, roles in _derived_sales_roles(people).items():
        if pk not in person_user:
            continue  # no sign-in (withheld): nothing to grant
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
    stale = [g.pk for key, g in existing.items() if g.source == RoleGrant.Source.DERIVED and key not in wanted]
    for start in range(0, len(stale), 1000):
        RoleGrant.objects.filter(pk__in=stale[start:start + 1000]).delete()
    removed = len(stale)
    new_grants = [
        RoleGrant(user_id=user_id, role=role, source=RoleGrant.Source.DERIVED)
        for (user_id, role) in wanted
        if (user_id, role) not in existing
    ]
    RoleGrant.objects.bulk_create(new_grants, batch_size=1000)
    added = len(new_grants)
    if hr_partner_units is not None:
        hr_grants = RoleGrant.objects.filter(role=Role.HR_PARTNER, source=RoleGrant.Source.DERIVED)
        for grant in hr_grants.prefetch_related("org_units"):
            unit_pks = wanted.get((grant.user_id, Role.HR_PARTNER), [])
            if {u.pk for u in grant.org_units.all()} != set(unit_pks):
                grant.org_units.set(unit_pks)
    return {
        "users_created": created,
        "users_deactivated": deactivated,
        "users_reactivated": reactivated,
        "sign_in_changes_to_confirm": requested,
        "sign_ins_withheld": withheld,
        "administrators_kept_active": kept_active,
        "roles_added": added,
        "roles_removed": removed,
    }


_SALES_ROLES = {Role.SELLER, Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER}


@transaction.atomic
def sales_roles_refresh(*, people: list[Person]) -> None:
    """Re-derive the org-chart sales roles of these people now (after a promotion recorded in the app), the way
    `access_sync` does after an import: a promoted seller is a sales manager at once. Manual grants stay."""
    everyone = list(Person.objects.only("pk", "status", "function", "manager_id", "manager_since", "user_id"))
    derived = _derived_sales_roles(everyone)
    for person in people:
        if person.user_id is None:
            continue
        wanted = derived.get(person.pk, set())
        grants = {g.role: g for g in RoleGrant.objects.filter(user_id=person.user_id, role__in=_SALES_ROLES)}
        stale = [g.pk for role, g in grants.items() if g.source == RoleGrant.Source.DERIVED and role not in wanted]
        RoleGrant.objects.filter(pk__in=stale).delete()
        RoleGrant.objects.bulk_create([
            RoleGrant(user_id=person.user_id, role=role, source=RoleGrant.Source.DERIVED)
            for role in wanted if role not in grants
        ])
