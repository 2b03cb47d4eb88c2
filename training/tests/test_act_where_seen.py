"""Acting where the problem is seen (issue 12): a leader pulls a manager out from "My managers" and from the
person's page, HR books a seat from "Who is behind" and from the person's training page, and the decision page
shows what the decider needs (due date, sessions before it, progress)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from people.models import Person
from training import services
from training.catch_up import course_due_on
from training.models import Booking, Deferral, Enrolment, Session
from training.tests.conftest import at, book_giving_feedback

pytestmark = pytest.mark.django_db


def _book(person: Person) -> Booking:
    booking: Booking = book_giving_feedback(person)
    return booking


def _pull_out_links(html: str) -> set[str]:
    return set(re.findall(r'href="/training/bookings/(\d+)/defer/', html))


def test_a_leader_pulls_a_manager_out_from_my_managers_and_from_the_persons_page(company, program, login):
    booking = _book(company.nora)
    dirk = login("dirk")
    mine = dirk.get("/training/accountability/").content.decode()
    assert str(booking.pk) in _pull_out_links(mine)
    assert "Pull out of Giving feedback" in mine
    person_page = dirk.get(f"/people/{company.nora.pk}/").content.decode()
    assert str(booking.pk) in _pull_out_links(person_page)
    training_page = dirk.get(f"/training/people/{company.nora.pk}/").content.decode()
    assert str(booking.pk) in _pull_out_links(training_page)

    back = f"/people/{company.nora.pk}/"
    form = dirk.get(f"/training/bookings/{booking.pk}/defer/?next={back}").content.decode()
    assert f'href="{back}"' in form  # "Back" returns to the page the leader came from
    response = dirk.post(
        f"/training/bookings/{booking.pk}/defer/",
        {"reason_category": "forecast", "reason": "Needed on the Q4 forecast call", "next": back},
    )
    deferral = Deferral.objects.get(booking=booking)
    assert response.status_code == 302
    assert response["Location"] == f"/training/deferrals/{deferral.pk}/"
    assert deferral.requested_as == Deferral.RequestedAs.LEADER
    # A request is waiting: the seat is no longer offered to pull out again.
    assert str(booking.pk) not in _pull_out_links(dirk.get("/training/accountability/").content.decode())
    assert str(booking.pk) not in _pull_out_links(dirk.get(back).content.decode())


def test_only_those_who_may_ask_see_the_pull_out(company, program, login):
    booking = _book(company.nora)
    # HR runs the program but is not above Nora: HR decides on requests, it does not make them.
    hana = login("hana")
    assert str(booking.pk) not in _pull_out_links(hana.get(f"/people/{company.nora.pk}/").content.decode())
    assert str(booking.pk) not in _pull_out_links(
        hana.get(f"/training/accountability/{company.dirk.pk}/").content.decode()
    )
    assert "Manager development program" in hana.get(f"/people/{company.nora.pk}/").content.decode()
    # Nora herself is offered to defer her own seat, in her words.
    own = login("nora").get(f"/people/{company.nora.pk}/").content.decode()
    assert str(booking.pk) in _pull_out_links(own)
    assert "Ask to defer" in own
    # A seller sees no program card on a page with no training.
    assert "Manager development program" not in login("sam").get(f"/people/{company.sam.pk}/").content.decode()


def _session(course_id: int, days: int, capacity: int = 10) -> Session:
    return Session.objects.create(
        course_id=course_id, starts_at=at(days), ends_at=at(days, 13), location="HQ, room 2.10",
        capacity=capacity,
    )


def test_hr_books_someone_behind_from_who_is_behind(company, program, login):
    booking = _book(company.nora)
    enrolment = booking.enrolment
    enrolment.due_on = timezone.localdate() + timezone.timedelta(days=5)  # the booked session is after it
    enrolment.save()
    soon = _session(enrolment.course_id, 3, capacity=1)
    hana = login("hana")
    page = hana.get("/training/behind/").content.decode()
    assert "Book a seat for those behind (1)" in page
    assert f'<option value="{soon.pk}">' in page
    assert "1 seat free" in page
    response = hana.post(
        f"/training/enrolments/{enrolment.pk}/book/", {"session": soon.pk, "next": "/training/behind/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/training/behind/"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED  # the later seat is released
    new = Booking.objects.get(enrolment=enrolment, session=soon)
    assert new.status == Booking.Status.CONFIRMED
    page = hana.get("/training/behind/").content.decode()
    assert "has a seat in Giving feedback on" in page
    assert "Book a seat for those behind" not in page


def test_hr_books_from_the_persons_training_page_and_full_or_past_sessions_are_refused(company, program, login):
    booking = _book(company.nora)
    enrolment = booking.enrolment
    full = _session(enrolment.course_id, 4, capacity=1)
    past = _session(enrolment.course_id, -2)
    otto_booking = _book(company.otto)
    services.enrolment_book(enrolment=otto_booking.enrolment, session=full, actor=company.admin)
    hana = login("hana")
    page = hana.get(f"/training/people/{company.nora.pk}/").content.decode()
    assert f'action="/training/enrolments/{enrolment.pk}/book/"' in page
    offered = re.search(rf'<select id="book-{enrolment.pk}" name="session">(.*?)</select>', page, re.S)
    assert offered is not None
    assert f'value="{full.pk}"' not in offered[1]
    assert f'value="{past.pk}"' not in offered[1]
    url = f"/training/enrolments/{enrolment.pk}/book/"
    refused = hana.post(url, {"session": full.pk}, follow=True).content.decode()
    assert "is full (1 of 1 seat taken): choose another one" in refused
    refused = hana.post(url, {"session": past.pk}, follow=True).content.decode()
    assert "has already started: choose a later one" in refused
    other_course = Session.objects.exclude(course_id=enrolment.course_id).first()
    assert other_course is not None
    refused = hana.post(url, {"session": other_course.pk}, follow=True).content.decode()
    assert "Choose one of the sessions offered for this course." in refused
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED  # nothing changed
    later = program.session(program.later_f, enrolment.course.key)
    assert hana.post(url, {"session": later.pk}).status_code == 302
    assert Booking.objects.get(enrolment=enrolment, session=later).status == Booking.Status.CONFIRMED


def test_only_hr_for_the_person_books(company, program, login):
    booking = _book(company.nora)
    later = program.session(program.later_f, booking.enrolment.course.key)
    for who in ("dirk", "mick"):
        response = login(who).post(f"/training/enrolments/{booking.enrolment.pk}/book/", {"session": later.pk})
        assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        services.enrolment_book(enrolment=booking.enrolment, session=later, actor=company.user("dirk"))
    assert not Booking.objects.filter(session=later, enrolment=booking.enrolment).exists()


def test_the_decision_page_shows_the_due_date_the_sessions_before_it_and_the_progress(company, program, login):
    booking = _book(company.nora)
    enrolment = booking.enrolment
    later = program.session(program.later_f, enrolment.course.key)
    deferral = services.deferral_request(
        booking=booking, actor=company.user("dirk"), reason_category="forecast",
        reason="Needed on the Q4 forecast call",
    )
    page = login("hana").get(f"/training/deferrals/{deferral.pk}/").content.decode()
    rule = course_due_on(company.nora, enrolment.course, today=timezone.localdate())
    assert enrolment.due_on == rule
    assert f"Giving feedback is due</dt><dd>{rule:%-d %b %Y}" in page
    assert "set by HR" not in page
    assert f"{timezone.localtime(later.starts_at):%a %d %b %Y, %H:%M} (10 seats free)" in page
    assert f"0 of {Enrolment.objects.filter(person=company.nora).count()} courses completed" in page
    assert f'href="/training/people/{company.nora.pk}/"' in page

    # HR moved the due date before the later session: the page says that moving her makes the course late.
    enrolment.due_on = timezone.localdate() + timezone.timedelta(days=20)
    enrolment.save()
    page = login("hana").get(f"/training/deferrals/{deferral.pk}/").content.decode()
    assert f"set by HR; the program's rule would be {rule:%-d %b %Y}" in page
    assert "None: moving Nora makes the course late (the next session is on" in page


def test_a_closed_request_reads_as_closed_with_who_decided_when_and_their_note(company, program, login):
    booking = _book(company.nora)
    deferral = services.deferral_request(
        booking=booking, actor=company.user("dirk"), reason_category="forecast",
        reason="Needed on the Q4 forecast call",
    )
    services.deferral_decide(deferral=deferral, actor=company.user("hana"), role="hr", approve=True,
                             note="Fine once")
    half = login("vera").get(f"/training/deferrals/{deferral.pk}/").content.decode()
    today = timezone.localdate()
    day = f"{today.day} {today:%b %Y}"
    assert f"Approved by Hana Acme on {day}" in half
    assert "Decide as the senior leader" in half  # still open: Vera's step is asked for
    services.deferral_decide(deferral=deferral, actor=company.user("vera"), role="leader", approve=True)
    closed = (f"Approved by Hana Acme (HR) on {day}, noting \u201cFine once\u201d and by Vera Acme "
              f"(senior leader) on {day}")
    for who, url in (("vera", f"/training/deferrals/{deferral.pk}/"), ("vera", "/training/accountability/"),
                     ("dirk", "/training/accountability/"), ("nora", "/training/me/"), ("hana", "/training/")):
        page = login(who).get(url).content.decode()
        assert closed in page, (who, url, re.findall(r"Approved by[^<]*", page))
        assert "Approval needed" not in page, (who, url)
        assert ">Pending<" not in page, (who, url)
        assert "Decide as" not in page, (who, url)
    detail = login("vera").get(f"/training/deferrals/{deferral.pk}/").content.decode()
    assert "Closed" in detail


def test_the_session_roster_offers_the_pull_out_only_to_those_who_may_ask(company, program, login):
    booking = _book(company.nora)
    url = f"/training/sessions/{booking.session_id}/"
    assert str(booking.pk) in _pull_out_links(login("dirk").get(url).content.decode())
    assert str(booking.pk) not in _pull_out_links(login("hana").get(url).content.decode())
    assert str(booking.pk) not in _pull_out_links(login("admin").get(url).content.decode())
    services.deferral_request(booking=booking, actor=company.user("dirk"), reason_category="forecast",
                              reason="Needed on the Q4 forecast call")
    assert str(booking.pk) not in _pull_out_links(login("dirk").get(url).content.decode())  # already asked
