"""Deferrals and pull-outs: mandatory reason, two approvals (HR and the senior leader of the line), rejection keeps
the seat, approval moves to a later session and frees the seat for the waitlist, repeats escalate. No
opt-out."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import get_resolver
from django.utils import timezone

from core.models import AuditEvent
from training import services
from training.models import Booking, Deferral, Enrolment, Notice, Session
from training.tests.conftest import make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def nora_booked(company):
    """Nora (sales manager under Dirk, under Vera) enrolled by catch-up and seated in the spring cohort."""
    program = make_program(capacity=1)
    company.nora.manager_since = timezone.localdate() - timezone.timedelta(days=100)
    company.nora.save()
    services.enrolment_rules_apply(today=timezone.localdate(), people=[company.nora])
    booking = Booking.objects.get(person=company.nora, session__course__key="giving-feedback")
    assert booking.session.cohort == program.cohort_f
    return program, booking


def pull_out(company, booking, who="dirk", reason="Needed on the Q4 forecast call with the VP"):
    return services.deferral_request(
        booking=booking, actor=company.user(who), reason_category="forecast", reason=reason
    )


def test_leader_pull_out_needs_a_reason(company, nora_booked):
    _, booking = nora_booked
    with pytest.raises(ValidationError) as exc:
        pull_out(company, booking, reason="  ")
    assert "reason" in exc.value.message_dict
    assert not Deferral.objects.exists()


def test_pull_out_reaches_hr_and_senior_leadership(company, nora_booked, django_capture_on_commit_callbacks):
    _, booking = nora_booked
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deferral = pull_out(company, booking)
    assert deferral.requested_as == Deferral.RequestedAs.LEADER
    assert deferral.requested_by_person == company.dirk
    assert deferral.status == Deferral.Status.PENDING
    recipients = set(Notice.objects.filter(deferral=deferral).values_list("recipient__first_name", flat=True))
    # HR partner for North, the other senior leader (Vera; Dirk asked so he cannot approve), and Nora herself.
    assert recipients == {"Hana", "Vera", "Nora"}
    emailed = {m.to[0] for m in mail.outbox}
    assert emailed == {"hana@acme.example", "vera@acme.example", "nora@acme.example"}
    hana_mail = next(m for m in mail.outbox if m.to == ["hana@acme.example"])
    assert "Needed on the Q4 forecast call" in hana_mail.body
    assert "Dirk Acme" in hana_mail.body
    # The seat is kept while the request waits.
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert AuditEvent.objects.filter(
        action="training.deferral.requested", target_id=str(deferral.pk)
    ).exists()


def test_only_the_person_or_a_leader_above_can_ask(company, nora_booked):
    _, booking = nora_booked
    for outsider in ["mick", "sam", "hana", "otto"]:
        with pytest.raises(PermissionDenied):
            pull_out(company, booking, who=outsider)
    own = services.deferral_request(
        booking=booking,
        actor=company.user("nora"),
        reason_category="health",
        reason="Medical appointment that cannot move",
    )
    assert own.requested_as == Deferral.RequestedAs.SELF


def test_two_approvals_needed_and_requester_cannot_approve(company, nora_booked):
    _, booking = nora_booked
    deferral = pull_out(company, booking)
    with pytest.raises(PermissionDenied):
        services.deferral_decide(deferral=deferral, actor=company.user("dirk"), role="leader", approve=True)
    with pytest.raises(PermissionDenied):  # Hana is HR, not a sales leader
        services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="leader", approve=True)
    with pytest.raises(PermissionDenied):  # Mick is not above Nora
        services.deferral_decide(deferral=deferral, actor=company.user("mick"), role="leader", approve=True)
    services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="hr", approve=True)
    deferral.refresh_from_db()
    assert deferral.status == Deferral.Status.PENDING  # one approval is not enough
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    services.deferral_decide(deferral=deferral, actor=company.user("vera"), role="leader", approve=True)
    deferral.refresh_from_db()
    assert deferral.status == Deferral.Status.APPROVED


def test_admin_cannot_give_both_approvals(company, nora_booked):
    _, booking = nora_booked
    deferral = services.deferral_request(
        booking=booking,
        actor=company.user("nora"),
        reason_category="customer",
        reason="Customer workshop on site that week",
    )
    services.deferral_decide(deferral=deferral, actor=company.admin, role="hr", approve=True)
    with pytest.raises(PermissionDenied):
        services.deferral_decide(deferral=deferral, actor=company.admin, role="leader", approve=True)


def test_rejection_keeps_the_seat(company, nora_booked):
    _, booking = nora_booked
    deferral = pull_out(company, booking)
    with pytest.raises(ValidationError):
        services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="hr", approve=False)
    services.deferral_decide(
        deferral=deferral,
        actor=company.user("hana"),
        role="hr",
        approve=False,
        note="Training is not optional; the forecast can be covered",
    )
    deferral.refresh_from_db()
    booking.refresh_from_db()
    assert deferral.status == Deferral.Status.REJECTED
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.attendance == Booking.Attendance.UNMARKED
    assert Notice.objects.filter(recipient=company.dirk, kind=Notice.Kind.DEFERRAL_DECIDED).exists()


def test_approval_moves_to_a_later_session_and_the_waitlist_moves_up(
    company, nora_booked, django_capture_on_commit_callbacks
):
    program, booking = nora_booked
    # Sam is promoted too; the capacity-1 session is full, so he waits.
    services.person_promote(person=company.sam, actor=company.admin, effective_date=timezone.localdate())
    sam_booking = Booking.objects.get(person=company.sam, session=booking.session)
    assert sam_booking.status == Booking.Status.WAITLISTED
    deferral = pull_out(company, booking)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="hr", approve=True)
        services.deferral_decide(deferral=deferral, actor=company.user("vera"), role="leader", approve=True)
    booking.refresh_from_db()
    sam_booking.refresh_from_db()
    deferral.refresh_from_db()
    assert booking.status == Booking.Status.MOVED
    assert booking.attendance == Booking.Attendance.DEFERRED
    assert deferral.moved_to is not None
    assert deferral.moved_to.session == program.session(program.later_f, "giving-feedback")
    assert deferral.moved_to.status == Booking.Status.CONFIRMED
    assert sam_booking.status == Booking.Status.CONFIRMED
    subjects = {(m.to[0], m.subject.split(":")[0]) for m in mail.outbox}
    assert ("sam@acme.example", "Invitation") in subjects  # Sam got the freed seat
    assert ("nora@acme.example", "Cancelled") in subjects
    assert ("nora@acme.example", "Invitation") in subjects  # her new session
    enrolment = Enrolment.objects.get(pk=booking.enrolment_id)
    assert enrolment.status == Enrolment.Status.ENROLLED  # deferred, never dropped


def test_second_deferral_for_the_same_course_escalates(
    company, nora_booked, django_capture_on_commit_callbacks
):
    _, booking = nora_booked
    first = pull_out(company, booking)
    services.deferral_decide(deferral=first, actor=company.user("hana"), role="hr", approve=True)
    services.deferral_decide(deferral=first, actor=company.user("vera"), role="leader", approve=True)
    first.refresh_from_db()
    assert not first.is_escalated
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = pull_out(company, first.moved_to, reason="Quarter-end again, we need every hand")
    assert second.sequence == 2
    assert second.is_escalated
    assert second.escalated_to == company.vera  # Dirk pulled her out; his own leader is Vera
    escalations = Notice.objects.filter(deferral=second, kind=Notice.Kind.ESCALATION)
    assert set(escalations.values_list("recipient__first_name", flat=True)) == {"Vera", "Hana"}
    assert any(m.subject.startswith("Escalation:") and m.to == ["vera@acme.example"] for m in mail.outbox)


def test_no_opt_out_anywhere(company, nora_booked, login):
    # No URL of the training pages offers to drop out, unenrol or withdraw.
    patterns = [str(p.pattern) for p in get_resolver().url_patterns]
    from training.urls import urlpatterns

    names = " ".join(str(p.pattern) + " " + (p.name or "") for p in urlpatterns)
    for word in ["drop", "unenrol", "unenroll", "withdraw", "opt-out", "opt_out", "leave", "delete"]:
        assert word not in names
    assert patterns  # the resolver loaded
    # The API has no way to delete an enrolment or a booking.
    client = login("nora")
    _, booking = nora_booked
    enrolment = booking.enrolment
    for url in [f"/api/v1/training/enrolments/{enrolment.pk}", f"/api/v1/training/bookings/{booking.pk}"]:
        response = client.delete(url, HTTP_X_CSRFTOKEN="x")
        assert response.status_code in (403, 404, 405)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ENROLLED
    from api.urls import api

    training_paths = {p: ops for p, ops in api.get_openapi_schema()["paths"].items() if "/training/" in p}
    assert training_paths
    for path, ops in training_paths.items():
        assert "delete" not in ops, path
        assert "put" not in ops or "enrolment" not in path, path
    # Nora's own page offers a deferral request, never a way out.
    page = client.get("/training/me/").content.decode()
    assert "Ask to defer" in page
    for word in ["Drop out", "Unenrol", "Withdraw", "Leave the program"]:
        assert word not in page


def test_exemption_needs_hr_and_a_reason_and_is_audited(
    company, nora_booked, django_capture_on_commit_callbacks
):
    _, booking = nora_booked
    enrolment = booking.enrolment
    with pytest.raises(PermissionDenied):
        services.exemption_grant(
            enrolment=enrolment, actor=company.user("dirk"), reason="Already knows this well"
        )
    with pytest.raises(PermissionDenied):  # Otto holds no HR role
        services.exemption_grant(enrolment=enrolment, actor=company.user("otto"), reason="Already knows this")
    with pytest.raises(ValidationError):
        services.exemption_grant(enrolment=enrolment, actor=company.user("hana"), reason="no")
    with django_capture_on_commit_callbacks(execute=True):
        services.exemption_grant(
            enrolment=enrolment,
            actor=company.user("hana"),
            reason="Holds the equivalent certificate from her previous employer (ref 4411)",
        )
    enrolment.refresh_from_db()
    booking.refresh_from_db()
    assert enrolment.status == Enrolment.Status.EXEMPTED
    assert enrolment.exemption.decided_by == company.user("hana")
    assert booking.status == Booking.Status.CANCELLED
    event = AuditEvent.objects.get(action="training.exemption.granted")
    assert event.actor == company.user("hana")
    assert "ref 4411" in event.details["reason"]


def test_session_cancel_rebooks_everyone(company, nora_booked, django_capture_on_commit_callbacks):
    program, booking = nora_booked
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(
            session=booking.session, actor=company.user("hana"), reason="The facilitator is ill this week"
        )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.session.status == Session.Status.CANCELLED
    new = Booking.objects.get(
        person=company.nora, session__course__key="giving-feedback", status=Booking.Status.CONFIRMED
    )
    assert new.session == program.session(program.later_f, "giving-feedback")
    assert any(m.subject.startswith("Cancelled:") for m in mail.outbox)
