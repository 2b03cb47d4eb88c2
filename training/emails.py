"""The program's emails: invitations (with an .ics attachment), cancellations, reminders, waitlist news and
notices. Sent through Django's email backend (EMAIL_* settings), called from services after commit."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from training.calendar import invitation_ics, session_url
from training.models import Booking, Notice

logger = logging.getLogger("promoted.training")

ICS_MIME = "text/calendar; method={method}; charset=UTF-8"


def _day(booking: Booking) -> str:
    return f"{timezone.localtime(booking.session.starts_at):%d %b}"


def _when(booking: Booking) -> str:
    start = timezone.localtime(booking.session.starts_at)
    end = timezone.localtime(booking.session.ends_at)
    return f"{start:%A %d %B %Y, %H:%M}-{end:%H:%M} ({timezone.get_current_timezone_name()})"


def _where(booking: Booking) -> str:
    session = booking.session
    parts = [p for p in [session.location, session.online_url] if p]
    return " / ".join(parts) or "to be confirmed"


def _session_facts(booking: Booking) -> str:
    session = booking.session
    lines = [
        f"Course: {session.course.title}",
        f"When: {_when(booking)}",
        f"Where: {_where(booking)}",
    ]
    if session.facilitator_label:
        lines.append(f"Facilitator: {session.facilitator_label}")
    lines.append(f"Details: {session_url(session)}")
    lines.append(f"Your training: {settings.SITE_URL}{reverse('training:my_training')}")
    return "\n".join(lines)


def send_invitation(booking: Booking) -> None:
    """Email the calendar invitation for a confirmed seat."""
    person = booking.person
    body = (
        f"Hello {person.first_name},\n\n"
        f"You have a seat in a session of the manager development program.\n\n{_session_facts(booking)}\n\n"
        "The attached invitation adds it to your calendar. The program has no opt-out: if you cannot attend, "
        "ask for a deferral from your training page; HR and senior leadership decide on it.\n"
    )
    message = EmailMessage(
        subject=f"Invitation: {booking.session.course.title}, {_day(booking)}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
    )
    message.attach("invitation.ics", invitation_ics(booking), ICS_MIME.format(method="REQUEST"))
    message.send()


def send_cancellation(booking: Booking, *, why: str) -> None:
    """Tell the person a booking no longer holds, with a METHOD:CANCEL calendar update."""
    person = booking.person
    body = f"Hello {person.first_name},\n\n{why}\n\n{_session_facts(booking)}\n"
    message = EmailMessage(
        subject=f"Cancelled: {booking.session.course.title}, {_day(booking)}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
    )
    message.attach("cancel.ics", invitation_ics(booking, cancelled=True), ICS_MIME.format(method="CANCEL"))
    message.send()


def send_waitlisted(booking: Booking) -> None:
    person = booking.person
    body = (
        f"Hello {person.first_name},\n\nThe session below is full, so you are on its waitlist. "
        "You will get a "
        f"calendar invitation as soon as a seat frees up.\n\n{_session_facts(booking)}\n"
    )
    EmailMessage(
        subject=f"Waitlisted: {booking.session.course.title}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
    ).send()


def send_reminder(booking: Booking) -> None:
    person = booking.person
    body = (
        f"Hello {person.first_name},\n\nA reminder of your coming training session.\n\n"
        f"{_session_facts(booking)}\n"
    )
    message = EmailMessage(
        subject=f"Reminder: {booking.session.course.title}, {_day(booking)}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
    )
    message.attach("invitation.ics", invitation_ics(booking), ICS_MIME.format(method="REQUEST"))
    message.send()


def send_notice(notice: Notice) -> None:
    url = f"{settings.SITE_URL}{notice.url}" if notice.url.startswith("/") else notice.url
    body = f"Hello {notice.recipient.first_name},\n\n{notice.body}\n"
    if url:
        body += f"\nOpen it in Promoted: {url}\n"
    EmailMessage(
        subject=notice.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.recipient.email],
    ).send()
