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

from django.db.models import Count, Exists, OuterRef, Q

from accounts.models import Role, RoleGrant
from people.models import EmploymentStatus, Function, Person
from people.scoping import (
    ancestor_ids,
    hr_partners_for,
    is_above,
    is_at_or_below,
    is_self,
    scope_for,
)

if TYPE_CHECKING:
    from training.models import Deferral


def runs_program(user: Any) -> bool:
    """HR partners and administrators: may edit the curriculum and schedule sessions."""
    return scope_for(user).is_hr


def may_request_deferral(user: Any, person: Person) -> bool:
    """The person themselves (a deferral) or anyone above them in the reporting line (a pull-out)."""
    return is_self(user, person) or is_above(user, person)


def senior_leaders_over(person: Person) -> list[Person]:
    """Senior sales leaders above the person in the reporting line, nearest first."""
    ids = ancestor_ids(person)
    leaders = (
        Person.objects.filter(pk__in=ids, user__role_grants__role=Role.SENIOR_SALES_LEADER)
        .exclude(status=EmploymentStatus.INACTIVE)
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


def administrator_users() -> list[Any]:
    """Active sign-ins holding the administrator role (or superusers), with or without a person record."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(role_grants__role=Role.ADMINISTRATOR), is_active=True)
        .distinct()
        .order_by("pk")
    )


@dataclass(frozen=True)
class LeaderApproval:
    """Who gives a deferral's second approval: the senior leaders of the line, or, when nobody is above the
    requester, HR's head and the administrators (`fallback`)."""

    leaders: list[Person]
    hr_head: Person | None
    admins: bool = True  # an administrator may give it (only in the fallback)

    @property
    def fallback(self) -> bool:
        return not self.leaders

    @property
    def label(self) -> str:
        if self.leaders:
            return ", ".join(p.full_name for p in self.leaders)
        if self.hr_head is not None:
            return f"{self.hr_head.full_name} (head of HR)" + (" or an administrator" if self.admins else "")
        return "An administrator" if self.admins else "Nobody"


def _is_requester_or_below(user: Any, deferral: Deferral) -> bool:
    scope = scope_for(user)
    if deferral.requested_by_id is not None and deferral.requested_by_id == getattr(user, "pk", None):
        return True
    return scope.person_id is not None and is_at_or_below(scope.person_path, deferral.requested_by_person)


def _is_requester_or_person(user: Any, deferral: Deferral) -> bool:
    """Nobody decides on their own request, nor on a request about themselves."""
    if deferral.requested_by_id is not None and deferral.requested_by_id == getattr(user, "pk", None):
        return True
    return scope_for(user).person_id == deferral.enrolment.person_id


@dataclass(frozen=True)
class Approvers:
    """Who may give each of a deferral's two approvals (sign-ins), and how the leaders' one is described.

    The rule first: HR for the person and the senior leaders of the line, never the requester nor anyone below
    them. When nobody is left for a step (the requester heads the company, or the only administrator asked),
    HR's head or an administrator other than the requester and the person gives it, so a request never waits
    forever; `deadlocked` says when even that leaves nobody."""

    hr: tuple[Any, ...]
    leader: tuple[Any, ...]
    approval: LeaderApproval

    def may(self, user: Any, role: str) -> bool:
        mine, other = (self.hr, self.leader) if role == "hr" else (self.leader, self.hr)
        pk = getattr(user, "pk", None)
        if pk not in {u.pk for u in mine}:
            return False
        # The only one who can give the other approval keeps to it while someone else can give this one, so
        # the request never ends up waiting for a second approval nobody may give.
        return not ({u.pk for u in other} == {pk} and len(mine) > 1)

    @property
    def deadlocked(self) -> bool:
        """Nobody for a step, or the same single person for both (two approvals need two people)."""
        return not self.hr or not self.leader or len({u.pk for u in self.hr} | {u.pk for u in self.leader}) < 2


def _others(deferral: Deferral, users: list[Any]) -> list[Any]:
    """`users` without the requester and the person, each once."""
    unique = {u.pk: u for u in users if u is not None and not _is_requester_or_person(u, deferral)}
    return list(unique.values())


@dataclass(frozen=True)
class DeciderPool:
    """What every deferral's deciders are drawn from beside the person's own line and HR partners: read once
    for a list of requests (`deferrals_awaiting`) instead of once per request."""

    admins: list[Any]
    head_of_hr: Person | None

    @classmethod
    def load(cls) -> DeciderPool:
        return cls(administrator_users(), hr_head())


def approvers(deferral: Deferral, *, pool: DeciderPool | None = None) -> Approvers:
    """The deciders of `deferral` (computed once per deferral object)."""
    cached = getattr(deferral, "_approvers", None)
    if cached is not None:
        return cached
    person = deferral.enrolment.person
    requester = deferral.requested_by_person
    pool = pool or DeciderPool.load()
    admins, head_of_hr = pool.admins, pool.head_of_hr

    def strict(users: list[Any]) -> list[Any]:
        unique = {u.pk: u for u in users if u is not None}
        return [
            u for u in unique.values()
            if not _is_requester_or_below(u, deferral) and not _is_requester_or_person(u, deferral)
        ]

    partners = [p.user for p in hr_partners_for(person)]
    head_user = [head_of_hr.user] if head_of_hr is not None else []
    # With nobody outside the requester's line (a request of the company's head), HR for the person still
    # decides as HR, whoever they report to; else HR's head.
    hr = strict(partners + admins) or _others(deferral, partners + admins) or _others(deferral, head_user)
    leaders = line_leaders(person, requester=requester)
    if leaders:
        leader = strict([p.user for p in leaders])
        approval = LeaderApproval(leaders, None)
    else:
        head = head_of_hr if head_of_hr is not None and not is_at_or_below(head_of_hr.path, requester) else None
        leader = strict(([head.user] if head is not None else []) + admins) or _others(deferral, head_user + admins)
        ids = {u.pk for u in leader}
        shown_head = head_of_hr if head_of_hr is not None and head_of_hr.user_id in ids else None
        approval = LeaderApproval([], shown_head, admins=any(a.pk in ids for a in admins))
    result = Approvers(tuple(hr), tuple(leader), approval)
    if deferral.pk is not None:
        deferral._approvers = result  # type: ignore[attr-defined]
    return result


def leader_approval(deferral: Deferral) -> LeaderApproval:
    return approvers(deferral).approval


def may_decide_as_hr(user: Any, deferral: Deferral) -> bool:
    """HR for the person, neither the requester, nor below them, nor the person; when nobody is, HR's head or
    an administrator other than the requester and the person (`approvers`)."""
    return approvers(deferral).may(user, "hr")


def may_decide_as_leader(user: Any, deferral: Deferral) -> bool:
    """A senior leader of the person's line above the requester; when there is none, HR's head or an
    administrator (`approvers`)."""
    return approvers(deferral).may(user, "leader")
