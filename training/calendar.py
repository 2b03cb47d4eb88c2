"""iCalendar (RFC 5545) documents for training sessions: the invitation attached to emails (METHOD:REQUEST, or
CANCEL when a seat is given up) and the personal subscription feed (METHOD:PUBLISH).

One event per session and person, with a stable UID, so calendar apps update the same entry when a session
moves and the feed and the emailed invitation describe the same event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from email.utils import parseaddr
from urllib.parse import urlparse

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from people.models import Person
from training.models import Booking, Session

PRODID = "-//Promoted//Manager development program//EN"


def _host() -> str:
    return urlparse(settings.SITE_URL).hostname or "promoted.local"


def event_uid(*, session: Session, person: Person) -> str:
    return f"training-session-{session.pk}-person-{person.pk}@{_host()}"


def organizer_address() -> tuple[str, str]:
    """(name, email) of the organiser: the address the program's email comes from."""
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or "Promoted", email or "promoted@localhost"


def session_url(session: Session) -> str:
    return settings.SITE_URL + reverse("training:session", args=[session.pk])


def _event(booking: Booking, *, cancelled: bool, with_attendee: bool) -> Event:
    session = booking.session
    person = booking.person
    event = Event()
    event.add("uid", event_uid(session=session, person=person))
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", session.starts_at.astimezone(dt.UTC))
    event.add("dtend", session.ends_at.astimezone(dt.UTC))
    event.add("summary", f"Training: {session.course.title}")
    description = [session.course.summary]
    if session.online_url:
        description.append(f"Join online: {session.online_url}")
    if session.facilitator_label:
        description.append(f"Facilitator: {session.facilitator_label}")
    description.append(f"Session page: {session_url(session)}")
    event.add("description", "\n\n".join(part for part in description if part))
    location = session.location or session.online_url
    if location:
        event.add("location", location)
    event.add("url", session.online_url or session_url(session))
    event.add("sequence", booking.ics_sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    name, email = organizer_address()
    organizer = vCalAddress(f"mailto:{email}")
    organizer.params["cn"] = vText(name)
    event["organizer"] = organizer
    if with_attendee:
        attendee = vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = vText(person.full_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee, encode=False)
    return event


def _calendar(method: str, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def invitation_ics(booking: Booking, *, cancelled: bool = False) -> bytes:
    """The invitation for one booking: METHOD:REQUEST, or METHOD:CANCEL when the seat was given up."""
    cal = _calendar("CANCEL" if cancelled else "REQUEST")
    cal.add_component(_event(booking, cancelled=cancelled, with_attendee=True))
    return bytes(cal.to_ical())


def feed_ics(person: Person, bookings: Iterable[Booking]) -> bytes:
    """A person's subscription feed: their confirmed sessions (METHOD:PUBLISH)."""
    cal = _calendar("PUBLISH", name=f"Training — {person.full_name}")
    for booking in bookings:
        cancelled = booking.session.status == Session.Status.CANCELLED
        cal.add_component(_event(booking, cancelled=cancelled, with_attendee=False))
    return bytes(cal.to_ical())
