"""Who gives a deferral's second approval: the senior leader of the person's own line, whatever the function;
never the requester nor anyone below them; HR's head and the administrators when nobody is above the
requester."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

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
