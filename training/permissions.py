"""Who may act on whose training. Built on people.scoping so pages, API and services agree.

- HR partners (for the people in their org units) and administrators run the program: sessions, attendance,
  exemptions, enrolments, curriculum.
- A deferral needs two approvals: HR for the person, and the senior leader of the person's own reporting line,
  whatever the function (`leader_approval`). Nobody approves a request of someone above them, nor their own:
  for a leader's pull-out the senior leader must be above that leader; when nobody is, HR's head and the
  administrators decide.
- A person, or anyone above them in the reporting line, may ask to defer them (the latter is a pull-out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef

from accounts.models import Role, RoleGrant
from people.models import EmploymentStatus, Function, Person
from people.scoping import scope_for

if TYPE_CHECKING:
    from training.models import Deferral


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


def is_self(user: Any, person: Person) -> bool:
    return scope_for(user).person_id == person.pk


def may_request_deferral(user: Any, person: Person) -> bool:
    """The person themselves (a deferral) or anyone above them in the reporting line (a pull-out)."""
    return is_self(user, person) or is_above(user, person)


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


def leads_managers_q() -> Exists:
    """True for a person with an active direct report who has active direct reports of their own."""
    return Exists(
        Person.objects.filter(manager=OuterRef("pk"))
        .exclude(status=EmploymentStatus.INACTIVE)
        .filter(Exists(Person.objects.filter(manager=OuterRef("pk")).exclude(status=EmploymentStatus.INACTIVE)))
    )


def is_at_or_below(candidate_path: str, requester: Person | None) -> bool:
    """The candidate is the requester, or somewhere in the requester's reporting subtree."""
    return requester is not None and bool(requester.path) and candidate_path.startswith(requester.path)


def line_leaders(person: Person, *, requester: Person | None = None) -> list[Person]:
    """The senior leaders of the person's own reporting line, whatever the function, nearest first: active
    people above the person who lead people managers (or hold the senior sales leader role). Never the
    requester nor anyone below them, so a leader's pull-out goes to someone above that leader."""
    ids = ancestor_ids(person)
    leaders = (
        Person.objects.filter(pk__in=ids)
        .exclude(status=EmploymentStatus.INACTIVE)
        .exclude(user=None)
        .filter(leads_managers_q() | Exists(RoleGrant.objects.filter(
            user_id=OuterRef("user_id"), role=Role.SENIOR_SALES_LEADER)))
    )
    order = {pk: i for i, pk in enumerate(reversed(ids))}
    return sorted(
        (p for p in leaders if not is_at_or_below(p.path, requester)), key=lambda p: order[p.pk]
    )


def hr_head() -> Person | None:
    """The head of HR: the active HR person highest in the reporting line (most direct reports on a tie)."""
    return (
        Person.objects.filter(function=Function.HR)
        .exclude(status=EmploymentStatus.INACTIVE)
        .exclude(user=None)
        .annotate(reports=Count("direct_reports"))
        .order_by("depth", "-reports", "pk")
        .first()
    )


def administrators_with_record() -> list[Person]:
    """Active people whose sign-in is an administrator's (administrators without a person record get no
    notices; they see every request on the deferrals page)."""
    return list(
        Person.objects.filter(user__role_grants__role=Role.ADMINISTRATOR)
        .exclude(status=EmploymentStatus.INACTIVE)
        .distinct()
    )


@dataclass(frozen=True)
class LeaderApproval:
    """Who gives a deferral's second approval: the senior leaders of the line, or, when nobody is above the
    requester, HR's head and the administrators (`fallback`)."""

    leaders: list[Person]
    hr_head: Person | None

    @property
    def fallback(self) -> bool:
        return not self.leaders

    @property
    def label(self) -> str:
        if self.leaders:
            return ", ".join(p.full_name for p in self.leaders)
        return f"{self.hr_head.full_name} (head of HR) or an administrator" if self.hr_head else "An administrator"


def leader_approval(deferral: Deferral) -> LeaderApproval:
    person = deferral.enrolment.person
    leaders = line_leaders(person, requester=deferral.requested_by_person)
    head = None
    if not leaders:
        head = hr_head()
        if head is not None and is_at_or_below(head.path, deferral.requested_by_person):
            head = None
    return LeaderApproval(leaders, head)


def _is_requester_or_below(user: Any, deferral: Deferral) -> bool:
    scope = scope_for(user)
    if deferral.requested_by_id is not None and deferral.requested_by_id == getattr(user, "pk", None):
        return True
    return scope.person_id is not None and is_at_or_below(scope.person_path, deferral.requested_by_person)


def may_decide_as_hr(user: Any, deferral: Deferral) -> bool:
    """HR for the person, and neither the requester nor below them."""
    return is_hr_for(user, deferral.enrolment.person) and not _is_requester_or_below(user, deferral)


def may_decide_as_leader(user: Any, deferral: Deferral) -> bool:
    """A senior leader of the person's line above the requester; when there is none, HR's head or an
    administrator."""
    if _is_requester_or_below(user, deferral):
        return False
    scope = scope_for(user)
    approval = leader_approval(deferral)
    if approval.leaders:
        return scope.person_id in {p.pk for p in approval.leaders}
    return scope.sees_everyone or (approval.hr_head is not None and scope.person_id == approval.hr_head.pk)
