"""Who may see whom. Every selector that returns people or their data filters through `visible_people`.

Scope by role (a user's scope is the union over the roles they hold):
- administrator: everyone;
- HR partner: everyone in the org units they support, and those units' sub-units;
- senior sales leader: their whole reporting subtree;
- sales manager: their direct reports;
- seller (and anyone with a person record): themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Role, RoleGrant
from accounts.selectors import held_roles
from people.models import EmploymentStatus, Function, OrgUnit, Person

_CACHE_ATTR = "_promoted_scope"
_IDS_CACHE_ATTR = "_promoted_visible_ids"
_SELLERS_CACHE_ATTR = "_promoted_visible_seller_ids"


@dataclass(frozen=True)
class Scope:
    """What one signed-in user may see, computed once per request."""

    roles: frozenset[str]
    person_id: int | None
    person_path: str
    hr_unit_paths: tuple[str, ...]

    @property
    def sees_everyone(self) -> bool:
        return Role.ADMINISTRATOR in self.roles

    def has(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_hr(self) -> bool:
        return self.has(Role.HR_PARTNER, Role.ADMINISTRATOR)

    def people_q(self) -> Q:
        """A filter on Person for everyone this scope may see. Matches nothing for a user with no scope."""
        if self.sees_everyone:
            return Q()
        q = Q(pk__in=[])
        if self.person_id is not None:
            q |= Q(pk=self.person_id)
            if Role.SALES_MANAGER in self.roles:
                q |= Q(manager_id=self.person_id)
            if Role.SENIOR_SALES_LEADER in self.roles and self.person_path:
                q |= Q(path__startswith=self.person_path)
        if Role.HR_PARTNER in self.roles:
            for unit_path in self.hr_unit_paths:
                q |= Q(org_unit__path__startswith=unit_path)
        return q


def scope_for(user: Any) -> Scope:
    """The scope of `user`, cached on the user object for the rest of the request."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        scope = Scope(roles=frozenset(), person_id=None, person_path="", hr_unit_paths=())
    else:
        grants = list(RoleGrant.objects.filter(user=user).prefetch_related("org_units"))
        roles = held_roles(user=user, granted=(g.role for g in grants))
        person = Person.objects.filter(user=user).only("pk", "path").first()
        unit_paths = tuple(
            sorted({u.path for g in grants if g.role == Role.HR_PARTNER for u in g.org_units.all() if u.path})
        )
        scope = Scope(
            roles=roles,
            person_id=person.pk if person else None,
            person_path=person.path if person else "",
            hr_unit_paths=unit_paths,
        )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope (after roles change within one request or test)."""
    for attr in (_CACHE_ATTR, _IDS_CACHE_ATTR, _SELLERS_CACHE_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def visible_people(user: Any) -> QuerySet[Person]:
    """Every person `user` may see, inactive ones included."""
    return Person.objects.filter(scope_for(user).people_q())


def may_see(user: Any, person: Person) -> bool:
    """Whether `user` may open `person`'s pages: the same rule as `visible_people`, with the visible ids read
    once per request, so a page can ask for each person it names."""
    scope = scope_for(user)
    if scope.sees_everyone or person.pk == scope.person_id:
        return True
    ids = getattr(user, _IDS_CACHE_ATTR, None)
    if ids is None:
        ids = frozenset(visible_people(user).values_list("pk", flat=True))
        setattr(user, _IDS_CACHE_ATTR, ids)
    return person.pk in ids


def may_see_as_seller(user: Any, person: Person) -> bool:
    """Whether `user` may open `person`'s selling diagnostic: `person` is someone they may see who sells (in
    Sales, with no active reports and not promoted to manager: the org chart's sellers, as the HR import derives
    the seller role). The visible sellers are read once per request, so a page can ask for each name it shows."""
    ids = getattr(user, _SELLERS_CACHE_ATTR, None)
    if ids is None:
        leads = Person.objects.filter(manager_id=OuterRef("pk")).exclude(status=EmploymentStatus.INACTIVE)
        ids = frozenset(
            visible_people(user).filter(function=Function.SALES, manager_since=None).exclude(Exists(leads))
            .values_list("pk", flat=True)
        )
        setattr(user, _SELLERS_CACHE_ATTR, ids)
    return person.pk in ids


def me(user: Any) -> Person | None:
    """The signed-in person (with their manager and org unit), or None for a sign-in with no person record."""
    scope = scope_for(user)
    if scope.person_id is None:
        return None
    return Person.objects.select_related("manager", "org_unit").filter(pk=scope.person_id).first()


def ancestor_ids(person: Person) -> list[int]:
    """Primary keys above `person` in the reporting line, top first (from the materialised path)."""
    ids = [int(part) for part in person.path.strip("/").split("/") if part]
    return [pk for pk in ids if pk != person.pk]


def is_self(user: Any, person: Person) -> bool:
    return scope_for(user).person_id == person.pk


def is_above(user: Any, person: Person) -> bool:
    """The user's own person record is above `person` in the reporting line."""
    scope = scope_for(user)
    return scope.person_id is not None and scope.person_id in ancestor_ids(person)


def is_at_or_below(candidate_path: str, requester: Person | None) -> bool:
    """The candidate is the requester, or somewhere in the requester's reporting subtree."""
    return requester is not None and bool(requester.path) and candidate_path.startswith(requester.path)


def _supports(unit_paths: Iterable[str], unit_path: str) -> bool:
    """An HR partner supporting `unit_paths` supports the unit at `unit_path` (one of them or a sub-unit)."""
    return any(unit_path.startswith(p) for p in unit_paths if p)


def is_hr_for(user: Any, person: Person) -> bool:
    """An administrator, or an HR partner supporting the person's org unit."""
    scope = scope_for(user)
    if scope.sees_everyone:
        return True
    if Role.HR_PARTNER not in scope.roles or person.org_unit_id is None:
        return False
    unit_path = person.org_unit.path if person.org_unit is not None else ""
    return _supports(scope.hr_unit_paths, unit_path)


def hr_partners_for(person: Person) -> list[Person]:
    """Active people holding the HR-partner role for the person's org unit."""
    if person.org_unit is None:
        return []
    unit_path = person.org_unit.path
    grants = RoleGrant.objects.filter(role=Role.HR_PARTNER).prefetch_related("org_units")
    user_ids = [g.user_id for g in grants if _supports((u.path for u in g.org_units.all()), unit_path)]
    return list(Person.objects.filter(user_id__in=user_ids).exclude(status=EmploymentStatus.INACTIVE))


def led_or_supported(user: Any) -> QuerySet[Person]:
    """The bulk form of `is_above` or `is_hr_for`: the people `user` may see who are below them in the
    reporting line or in an org unit they support as HR partner (everyone visible for administrators), never
    themselves."""
    scope = scope_for(user)
    people = visible_people(user)
    if scope.person_id is not None:
        people = people.exclude(pk=scope.person_id)
    if scope.sees_everyone:
        return people
    standing = Q(pk__in=[])
    if scope.person_path:
        standing |= Q(path__startswith=scope.person_path)
    for unit_path in scope.hr_unit_paths:
        standing |= Q(org_unit__path__startswith=unit_path)
    return people.filter(standing)


def visible_org_units(user: Any) -> QuerySet[OrgUnit]:
    """Org units `user` may see: all for administrators; for others, the units of the people they may see."""
    scope = scope_for(user)
    if scope.sees_everyone:
        return OrgUnit.objects.all()
    unit_q = Q(pk__in=visible_people(user).exclude(org_unit=None).values("org_unit_id"))
    for unit_path in scope.hr_unit_paths:
        unit_q |= Q(path__startswith=unit_path)
    return OrgUnit.objects.filter(unit_q)
