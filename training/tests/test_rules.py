"""Enrolment rules: promotion -> fundamentals (every function) then sales management (managers of sellers);
catch-up; idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditEvent
from training import services
from training.models import Booking, Course, Enrolment, ProgramSettings
from training.tests.conftest import at

pytestmark = pytest.mark.django_db

FUNDAMENTALS = 7
SALES = 10


def test_promoting_a_seller_enrols_both_tracks_with_due_dates_and_cohorts(
    company, program, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        services.person_promote(
            person=company.sam, actor=company.user("hana"), effective_date=today, new_title="Sales Manager"
        )
    company.sam.refresh_from_db()
    assert company.sam.manager_since == today
    assert company.sam.job_title == "Sales Manager"
    enrolments = Enrolment.objects.filter(person=company.sam).select_related("course__track")
    by_track = {"management-fundamentals": [], "sales-management": []}
    for e in enrolments:
        by_track[e.course.track.key].append(e)
        assert e.source == Enrolment.Source.PROMOTION
        assert e.status == Enrolment.Status.ENROLLED
    assert len(by_track["management-fundamentals"]) == FUNDAMENTALS
    assert len(by_track["sales-management"]) == SALES
    assert {e.due_on for e in by_track["management-fundamentals"]} == {today + dt.timedelta(days=120)}
    assert {e.due_on for e in by_track["sales-management"]} == {today + dt.timedelta(days=270)}
    assert {e.cohort for e in by_track["management-fundamentals"]} == {program.cohort_f}
    assert {e.cohort for e in by_track["sales-management"]} == {program.cohort_s}
    # One confirmed seat per workshop, in the cohort's sessions, and one invitation each.
    bookings = Booking.objects.filter(person=company.sam)
    # (A new sales manager leads no managers: the leading-managers track is not theirs.)
    workshops = Course.objects.filter(format="workshop").exclude(track__key="leading-managers").count()
    assert bookings.count() == workshops
    assert set(bookings.values_list("status", flat=True)) == {Booking.Status.CONFIRMED}
    assert bookings.filter(session__cohort=program.cohort_f).count() == 3
    invitations = [m for m in mail.outbox if m.subject.startswith("Invitation:")]
    assert len(invitations) == workshops
    assert all(m.to == [company.sam.email] for m in invitations)
    assert all(b.invited_at is not None for b in bookings)


def test_other_functions_get_only_fundamentals(company, program):
    services.person_promote(person=company.eve, actor=company.admin, effective_date=timezone.localdate())
    tracks = set(Enrolment.objects.filter(person=company.eve).values_list("course__track__key", flat=True))
    assert tracks == {"management-fundamentals"}
    assert Enrolment.objects.filter(person=company.eve).count() == FUNDAMENTALS


def test_rules_are_idempotent(company, program, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    company.nora.manager_since = today - dt.timedelta(days=200)
    company.nora.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.person_promote(person=company.sam, actor=company.admin, effective_date=today)
        first = services.enrolment_rules_apply(today=today)  # the whole company: Nora and Otto catch up
    assert {e.person_id for e in first.enrolled} == {company.nora.pk}
    counts = (Enrolment.objects.count(), Booking.objects.count(), len(mail.outbox))
    with django_capture_on_commit_callbacks(execute=True):
        again = services.enrolment_rules_apply(today=today)
    assert not again.enrolled
    assert again.seats_confirmed == 0
    assert (Enrolment.objects.count(), Booking.objects.count(), len(mail.outbox)) == counts


def test_catch_up_for_managers_who_missed_it_and_not_for_veterans(company, program):
    today = timezone.localdate()
    company.nora.manager_since = today - dt.timedelta(days=200)
    company.nora.save()
    result = services.enrolment_rules_apply(today=today)
    nora = Enrolment.objects.filter(person=company.nora)
    assert nora.count() == FUNDAMENTALS + SALES
    assert set(nora.values_list("source", flat=True)) == {Enrolment.Source.CATCH_UP}
    cfg = ProgramSettings.load()
    fundamentals_due = {e.due_on for e in nora.filter(course__track__key="management-fundamentals")}
    assert fundamentals_due == {today + dt.timedelta(days=cfg.catch_up_due_days)}
    # Veterans promoted before the look-back (Vera 2015, Dirk 2018, Mick 2019) are left to HR.
    assert not Enrolment.objects.filter(person__in=[company.vera, company.dirk, company.mick]).exists()
    assert {e.person_id for e in result.enrolled} <= {company.nora.pk, company.otto.pk}


def test_a_promotion_recorded_in_advance_enrols_when_it_comes_close(company, program):
    today = timezone.localdate()
    services.person_promote(
        person=company.sid, actor=company.admin, effective_date=today + dt.timedelta(days=60)
    )
    assert not Enrolment.objects.filter(person=company.sid).exists()
    services.enrolment_rules_apply(today=today + dt.timedelta(days=31))
    assert Enrolment.objects.filter(person=company.sid).count() == FUNDAMENTALS + SALES


def test_promotion_is_audit_logged_and_refused_for_leavers(company, program):
    services.person_promote(
        person=company.sam,
        actor=company.user("hana"),
        effective_date=timezone.localdate(),
        new_title="Team Lead",
    )
    event = AuditEvent.objects.get(action="people.person.promoted")
    assert event.actor == company.user("hana")
    assert event.target_id == str(company.sam.pk)
    assert event.details["before"]["manager_since"] == ""
    assert event.details["job_title"] == "Team Lead"
    with pytest.raises(ValidationError):
        services.person_promote(person=company.lou, actor=company.admin, effective_date=timezone.localdate())


def test_without_a_cohort_people_wait_and_are_seated_when_a_session_is_scheduled(
    company, django_capture_on_commit_callbacks
):
    services.person_promote(person=company.eve, actor=company.admin, effective_date=timezone.localdate())
    assert Enrolment.objects.filter(person=company.eve).count() == FUNDAMENTALS
    assert not Booking.objects.exists()
    course = Course.objects.get(key="giving-feedback")
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_create(
            actor=company.admin,
            course=course,
            starts_at=at(5),
            ends_at=at(5, 12),
            capacity=8,
            location="Room 2",
        )
    booking = Booking.objects.get(person=company.eve)
    assert booking.session == session
    assert booking.status == Booking.Status.CONFIRMED
    assert [m.to for m in mail.outbox] == [[company.eve.email]]


def test_sales_sessions_come_after_their_prerequisites(company, program):
    services.person_promote(person=company.sam, actor=company.admin, effective_date=timezone.localdate())
    coaching = Booking.objects.get(person=company.sam, session__course__key="coaching-vs-mentoring")
    feedback = Booking.objects.get(person=company.sam, session__course__key="giving-feedback")
    assert coaching.session.starts_at > feedback.session.ends_at


def test_recertification_opens_an_enrolment_before_expiry(company, program):
    course = Course.objects.get(key="harassment-prevention")
    today = timezone.localdate()
    services.certification_record(
        person=company.nora, course=course, certified_on=today - dt.timedelta(days=330), actor=company.admin
    )
    services.enrolment_rules_apply(today=today)
    recert = Enrolment.objects.get(
        person=company.nora, course=course, source=Enrolment.Source.RECERTIFICATION
    )
    assert recert.due_on == services.add_months(today - dt.timedelta(days=330), 12)
    services.enrolment_rules_apply(today=today)
    assert Enrolment.objects.filter(person=company.nora, course=course).count() == 1


def test_a_recertification_once_closed_is_not_reopened_for_the_same_certificate(company, program):
    """Re-applying the rules (a re-import of an unchanged HR file) changes nothing, even after HR exempted
    the person from the recertification their certificate opened."""
    course = Course.objects.get(key="harassment-prevention")
    today = timezone.localdate()
    services.certification_record(
        person=company.nora, course=course, certified_on=today - dt.timedelta(days=330), actor=company.admin
    )
    services.enrolment_rules_apply(today=today)
    Enrolment.objects.filter(person=company.nora, course=course).update(status=Enrolment.Status.EXEMPTED)
    services.enrolment_rules_apply(today=today)
    services.enrolment_rules_apply(today=today + dt.timedelta(days=1))
    assert Enrolment.objects.filter(person=company.nora, course=course).count() == 1
    # A new certificate that nears its own expiry opens its own recertification.
    services.certification_record(
        person=company.nora, course=course, certified_on=today - dt.timedelta(days=2), actor=company.admin
    )
    services.enrolment_rules_apply(today=today + dt.timedelta(days=340))
    assert Enrolment.objects.filter(person=company.nora, course=course).count() == 2
