"""Invitations and reminders through a real SMTP server on loopback (aiosmtpd), parsed with `icalendar`; the
personal calendar feed, scoped by its token."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from training import services
from training.models import Booking, CalendarFeed, ProgramSettings
from training.tests.conftest import at, ics_parts

pytestmark = pytest.mark.django_db(transaction=True)


def promote_sam(company):
    services.person_promote(
        person=company.sam, actor=company.user("hana"), effective_date=timezone.localdate()
    )


def test_promotion_emails_a_valid_invitation_over_smtp(company, program, smtp_server):
    promote_sam(company)
    invitations = [m for m in smtp_server.to("sam@acme.example") if m["Subject"].startswith("Invitation:")]
    assert len(invitations) == Booking.objects.filter(person=company.sam).count() > 0
    first = Booking.objects.filter(person=company.sam).order_by("session__starts_at").first()
    message = next(m for m in invitations if first.session.course.title in m["Subject"])
    [raw] = ics_parts(message)
    cal = Calendar.from_ical(raw)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(cal["VERSION"]) == "2.0"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"training-session-{first.session.pk}-person-{company.sam.pk}@127.0.0.1"
    start = event.decoded("DTSTART")
    assert start == first.session.starts_at
    assert start.utcoffset() == dt.timedelta(0)
    assert raw.decode().count("DTSTART:") == 1
    assert "Z\r\n" in raw.decode().split("DTSTART:")[1][:20]
    assert event.decoded("DTEND") == first.session.ends_at
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert str(event["ATTENDEE"]) == "mailto:sam@acme.example"
    assert str(event["LOCATION"]) == "HQ, room 4.01"
    assert str(event["URL"]) == "https://meet.example/room"
    assert "Training: " in str(event["SUMMARY"])
    assert int(event["SEQUENCE"]) == 0


def test_moving_a_session_resends_the_invitation_with_the_same_uid_and_next_sequence(
    company, program, smtp_server
):
    promote_sam(company)
    booking = Booking.objects.filter(person=company.sam).order_by("session__starts_at").first()
    before = len(smtp_server.messages)
    services.session_update(
        session=booking.session, actor=company.admin, starts_at=at(12, 10), ends_at=at(12, 14)
    )
    [update] = smtp_server.messages[before:]
    [event] = Calendar.from_ical(ics_parts(update)[0]).walk("VEVENT")
    assert str(event["UID"]) == f"training-session-{booking.session.pk}-person-{company.sam.pk}@127.0.0.1"
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == at(12, 10)


def test_reminders_are_sent_once_per_session(company, program, smtp_server):
    promote_sam(company)
    cfg = ProgramSettings.load()
    first = Booking.objects.filter(person=company.sam).order_by("session__starts_at").first()
    now = first.session.starts_at - dt.timedelta(days=cfg.reminder_days_before) + dt.timedelta(hours=1)
    before = len(smtp_server.messages)
    assert services.reminders_send(now=now) == 1
    reminders = smtp_server.messages[before:]
    assert [m["To"] for m in reminders] == ["sam@acme.example"]
    assert reminders[0]["Subject"].startswith("Reminder: ")
    assert Calendar.from_ical(ics_parts(reminders[0])[0]).walk("VEVENT")
    assert services.reminders_send(now=now) == 0
    assert services.reminders_send(now=now + dt.timedelta(hours=5)) == 0
    assert len(smtp_server.messages) == before + 1


def test_reminder_command_and_task(company, program, smtp_server, capsys):
    promote_sam(company)
    Booking.objects.filter(person=company.sam).update(reminded_at=None)
    cfg = ProgramSettings.load()
    cfg.reminder_days_before = 30
    cfg.save()
    call_command("send_training_reminders")
    out = capsys.readouterr().out
    assert "Sent 3 training reminders." in out  # the three fundamentals workshops within 30 days
    call_command("send_training_reminders")
    assert "Sent 0 training reminders." in capsys.readouterr().out
    from training.tasks import send_training_reminders

    assert send_training_reminders.call() == 0


def test_feed_lists_only_that_persons_sessions_without_login(company, program):
    promote_sam(company)
    services.person_promote(person=company.sid, actor=company.admin, effective_date=timezone.localdate())
    feed = services.calendar_feed_for(person=company.sam)
    response = Client().get(f"/training/calendar/{feed.token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert str(cal["METHOD"]) == "PUBLISH"
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    sam_bookings = Booking.objects.filter(person=company.sam, status="confirmed")
    assert uids == {
        f"training-session-{b.session_id}-person-{company.sam.pk}@127.0.0.1" for b in sam_bookings
    }
    assert all(f"person-{company.sid.pk}@" not in uid for uid in uids)
    assert CalendarFeed.objects.get(pk=feed.pk).last_fetched_at is not None


def test_feed_tokens_are_unguessable_and_revocable(company, program, login):
    promote_sam(company)
    client = login("sam")
    client.post("/training/me/calendar/", {"action": "create"})
    feed = CalendarFeed.objects.get(person=company.sam, revoked_at=None)
    assert len(feed.token) >= 40
    assert Client().get("/training/calendar/not-a-token.ics").status_code == 404
    assert feed.token in client.get("/training/me/").content.decode()
    client.post("/training/me/calendar/", {"action": "regenerate"})
    new = CalendarFeed.objects.get(person=company.sam, revoked_at=None)
    assert new.token != feed.token
    assert Client().get(f"/training/calendar/{feed.token}.ics").status_code == 404
    assert Client().get(f"/training/calendar/{new.token}.ics").status_code == 200
    client.post("/training/me/calendar/", {"action": "revoke"})
    assert Client().get(f"/training/calendar/{new.token}.ics").status_code == 404
    assert not CalendarFeed.objects.filter(person=company.sam, revoked_at=None).exists()


def test_notices_are_emailed_over_smtp(company, program, smtp_server):
    company.nora.manager_since = timezone.localdate() - dt.timedelta(days=90)
    company.nora.save()
    services.enrolment_rules_apply(today=timezone.localdate(), people=[company.nora])
    booking = Booking.objects.filter(person=company.nora, status="confirmed").first()
    services.deferral_request(
        booking=booking,
        actor=company.user("dirk"),
        reason_category="forecast",
        reason="Forecast week with the VP, cannot spare her",
    )
    hana = smtp_server.to("hana@acme.example")
    assert len(hana) == 1
    assert hana[0]["Subject"].startswith("Approval needed: pull-out of Nora Acme")
    assert "Forecast week with the VP" in hana[0].get_payload(decode=True).decode()
