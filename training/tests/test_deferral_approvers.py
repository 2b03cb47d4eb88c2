"""Who gives a deferral's second approval: the senior leader of the person's own line, whatever the function;
never the requester nor anyone below them; HR's head and the administrators when nobody is above the
requester."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role, RoleGrant
from people.models import Function, Person
from people.services import reporting_paths_rebuild
from tests.factories import DEFAULT_PASSWORD, PersonFactory, UserFactory
from training import services
from training.models import Booking, Deferral, Notice
from training.tests.conftest import book_giving_feedback, make_program

pytestmark = pytest.mark.django_db


def _book(person: Person) -> Booking:
    booking: Booking = book_giving_feedback(person)
    return booking


@pytest.fixture
def edda(company) -> Person:
    """Director of Engineering above Otto (engineering manager of Eve). She holds no role in the app."""
    user = UserFactory(email="edda@acme.example")
    edda = PersonFactory(
        first_name="Edda", last_name="Acme", email="edda@acme.example", org_unit=company.engineering,
        function=Function.ENGINEERING, job_title="Director of Engineering", user=user,
    )
    Person.objects.filter(pk=company.otto.pk).update(manager=edda)
    reporting_paths_rebuild()
    company.otto.refresh_from_db()
    return Person.objects.get(pk=edda.pk)


def _recipients(deferral: Deferral) -> set[str]:
    return set(
        Notice.objects.filter(deferral=deferral, kind=Notice.Kind.DEFERRAL_REQUESTED).values_list(
            "recipient__first_name", flat=True
        )
    )


def test_an_engineering_managers_deferral_is_decided_by_the_senior_leader_of_his_line(company, edda, client):
    make_program()
    booking = _book(company.otto)
    deferral = services.deferral_request(
        booking=booking, actor=company.user("otto"), reason_category="workload",
        reason="Release week: two engineers on leave",
    )
    assert "Edda" in _recipients(deferral)
    # Edda can open the request from her notice and decide on it as the senior leader of Otto's line.
    assert client.login(email="edda@acme.example", password=DEFAULT_PASSWORD)
    page = client.get(f"/training/deferrals/{deferral.pk}/")
    assert page.status_code == 200
    assert "Decide as the senior leader" in page.content.decode()
    services.deferral_decide(deferral=deferral, actor=edda.user, role="leader", approve=True)
    services.deferral_decide(deferral=deferral, actor=company.admin, role="hr", approve=True)
    deferral.refresh_from_db()
    assert deferral.status == Deferral.Status.APPROVED
    assert deferral.leader_decided_by == edda.user
    booking.refresh_from_db()
    assert booking.status == Booking.Status.MOVED


def test_nobody_above_the_requester_sends_the_approval_to_hrs_head_and_the_administrator(company):
    make_program()
    booking = _book(company.otto)  # Otto has no leader: nobody is above him
    deferral = services.deferral_request(
        booking=booking, actor=company.user("otto"), reason_category="workload",
        reason="Release week: two engineers on leave",
    )
    assert _recipients(deferral) == {"Hana"}  # Hana heads HR in this company; the administrator has no record
    services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="leader", approve=True)
    services.deferral_decide(deferral=deferral, actor=company.admin, role="hr", approve=True)
    deferral.refresh_from_db()
    assert deferral.status == Deferral.Status.APPROVED


def test_the_vps_pull_out_is_never_approved_by_her_subordinate(company, login):
    make_program()
    booking = _book(company.nora)
    deferral = services.deferral_request(
        booking=booking, actor=company.user("vera"), reason_category="forecast",
        reason="Board forecast review: Nora presents the North numbers",
    )
    # Dirk reports to Vera: he is neither told to decide nor allowed to, in either role.
    assert "Dirk" not in _recipients(deferral)
    for role in ("leader", "hr"):
        with pytest.raises(PermissionDenied):
            services.deferral_decide(deferral=deferral, actor=company.user("dirk"), role=role, approve=True)
    page = login("dirk").get(f"/training/deferrals/{deferral.pk}/").content.decode()
    assert "Decide as" not in page
    # Nobody is above Vera: HR's head (Hana) or an administrator gives the leadership approval.
    services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="hr", approve=True)
    with pytest.raises(PermissionDenied):  # two approvals, two people
        services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="leader", approve=True)
    services.deferral_decide(deferral=deferral, actor=company.admin, role="leader", approve=True)
    deferral.refresh_from_db()
    assert deferral.status == Deferral.Status.APPROVED
    assert deferral.leader_decided_by == company.admin


def test_a_directors_pull_out_goes_to_the_leader_above_him(company):
    make_program()
    booking = _book(company.nora)
    deferral = services.deferral_request(
        booking=booking, actor=company.user("dirk"), reason_category="forecast",
        reason="Needed on the Q4 forecast call with the VP",
    )
    assert _recipients(deferral) >= {"Vera"}
    with pytest.raises(PermissionDenied):  # the administrator decides only when nobody is above
        services.deferral_decide(deferral=deferral, actor=company.admin, role="leader", approve=True)
    services.deferral_decide(deferral=deferral, actor=company.user("vera"), role="leader", approve=True)
    deferral.refresh_from_db()
    assert deferral.leader_decision == Deferral.Decision.APPROVED


def _ceo_is_the_only_administrator(company) -> None:
    """Vera heads the company and is its only administrator; HR reports to her."""
    RoleGrant.objects.filter(role=Role.ADMINISTRATOR).delete()
    type(company.admin).objects.filter(pk=company.admin.pk).update(is_superuser=False, is_active=False)
    RoleGrant.objects.create(user=company.vera.user, role=Role.ADMINISTRATOR)
    Person.objects.filter(pk=company.hana.pk).update(manager=company.vera)
    RoleGrant.objects.filter(user=company.hana.user, role=Role.HR_PARTNER).get().org_units.add(company.company)
    reporting_paths_rebuild()


def test_the_heads_own_deferral_is_decided_by_hr_when_she_is_the_only_administrator(company):
    """Nobody is above the CEO and she is the only administrator: everyone else reports to her. HR for her
    gives HR's approval and HR's head the leadership one, rather than the request waiting forever."""
    make_program()
    _ceo_is_the_only_administrator(company)
    hugo = PersonFactory(first_name="Hugo", last_name="Acme", email="hugo@acme.example", function=Function.HR,
                         org_unit=company.hana.org_unit, manager=company.hana,
                         user=UserFactory(email="hugo@acme.example"))
    RoleGrant.objects.create(user=hugo.user, role=Role.HR_PARTNER).org_units.set([company.company])
    reporting_paths_rebuild()
    vera = Person.objects.get(pk=company.vera.pk)
    deferral = services.deferral_request(
        booking=_book(vera), actor=vera.user, reason_category="customer",
        reason="Board meeting with our largest customer",
    )
    assert _recipients(deferral) == {"Hana", "Hugo"}
    for role in ("hr", "leader"):
        with pytest.raises(PermissionDenied):  # never her own request, administrator or not
            services.deferral_decide(deferral=deferral, actor=vera.user, role=role, approve=True)
    with pytest.raises(PermissionDenied):  # HR's head keeps to the leadership approval only she can give
        services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="hr", approve=True)
    services.deferral_decide(deferral=deferral, actor=hugo.user, role="hr", approve=True)
    services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="leader", approve=True)
    deferral.refresh_from_db()
    assert deferral.status == Deferral.Status.APPROVED


def test_a_request_nobody_else_could_decide_is_refused_when_asked_saying_why(company, login):
    """Vera heads the company, is its only administrator, and Hana is the only one in HR: one person cannot
    give both approvals, so the request is refused at once instead of waiting forever."""
    make_program()
    _ceo_is_the_only_administrator(company)
    vera = Person.objects.get(pk=company.vera.pk)
    booking = _book(vera)
    with pytest.raises(ValidationError, match="only Hana Acme could approve it"):
        services.deferral_request(booking=booking, actor=vera.user, reason_category="customer",
                                  reason="Board meeting with our largest customer")
    assert not Deferral.objects.exists()
    assert not Notice.objects.filter(kind=Notice.Kind.DEFERRAL_REQUESTED).exists()
    page = login("vera").post(f"/training/bookings/{booking.pk}/defer/", {
        "reason_category": "customer", "reason": "Board meeting with our largest customer"})
    assert page.status_code == 200
    assert "This request cannot be sent: only Hana Acme could approve it" in page.content.decode()


def test_the_waiting_list_reads_the_administrators_and_hrs_head_once_for_all_requests(company, monkeypatch):
    from training import permissions, selectors

    make_program()
    for who in ("otto", "eve"):
        services.deferral_request(
            booking=_book(getattr(company, who)), actor=company.user(who), reason_category="workload",
            reason="Release week",
        )
    calls: list[str] = []
    real_admins, real_head = permissions.administrator_users, permissions.hr_head
    monkeypatch.setattr(permissions, "administrator_users", lambda: calls.append("admins") or real_admins())
    monkeypatch.setattr(permissions, "hr_head", lambda: calls.append("head") or real_head())
    waiting = selectors.deferrals_awaiting(user=company.admin)
    assert len(waiting) == 2
    assert calls == ["admins", "head"]  # once for the list, not once per request
