"""Who may act on whose training. Built on people.scoping so pages, API and services agree.

- HR partners (for the people in their org units) and administrators run the program: sessions, attendance,
  exemptions, enrolments, curriculum.
- A senior sales leader approves deferrals of managers in their reporting subtree (never their own request).
- A person, or anyone above them in the reporting line, may ask to defer them (the latter is a pull-out).
"""

from __future__ import annotations

from typing import Any

from accounts.models import Role, RoleGrant
from people.models import Person
from people.scoping import scope_for


def ancestor_ids(person: Person) -> list[int]:
    """Primary keys above `person` in the reporting line, top first (from the materialised path)."""
    ids = [int(part) for part in person.path.strip("/").split("/") if part]
    return [pk for pk in ids if pk != person.pk]


def runs_program(user: Any) -> bool:
    """HR partners and administrators: may edit the curriculum and schedule sessions."""
    return scope_for(user).is_hr


def is_hr_for(user: Any, person: Person) -> bool:
    """An administrator, or an HR partner supporting the person's org unit."""
    scope = scope_for(user)
    if scope.sees_everyone:
        return True
    if Role.HR_PARTNER not in scope.roles or person.org_unit_id is None:
        return False
    unit_path = person.org_unit.path if person.org_unit is not None else ""
    return any(unit_path.startswith(p) for p in scope.hr_unit_paths)


def is_above(user: Any, person: Person) -> bool:
    """The user's own person record is above `person` in the reporting line."""
    scope = scope_for(user)
    return scope.person_id is not None and scope.person_id in ancestor_ids(person)


def is_senior_leader_over(user: Any, person: Person) -> bool:
    scope = scope_for(user)
    return Role.SENIOR_SALES_LEADER in scope.roles and is_above(user, person)


def is_self(user: Any, person: Person) -> bool:
    return scope_for(user).person_id == person.pk


def hr_partners_for(person: Person) -> list[Person]:
    """People holding the HR-partner role for the person's org unit."""
    if person.org_unit is None:
        return []
    unit_path = person.org_unit.path
    grants = RoleGrant.objects.filter(role=Role.HR_PARTNER).prefetch_related("org_units")
    user_ids = [
        g.user_id for g in grants if any(unit_path.startswith(u.path) for u in g.org_units.all() if u.path)
    ]
    return list(Person.objects.filter(user_id__in=user_ids).exclude(status="inactive"))


def senior_leaders_over(person: Person) -> list[Person]:
    """Senior sales leaders above the person in the reporting line, nearest first."""
    ids = ancestor_ids(person)
    leaders = (
        Person.objects.filter(pk__in=ids, user__role_grants__role=Role.SENIOR_SALES_LEADER)
        .exclude(status="inactive")
        .distinct()
    )
    order = {pk: i for i, pk in enumerate(reversed(ids))}
    return sorted(leaders, key=lambda p: order[p.pk])
