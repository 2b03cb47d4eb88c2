"""Senior leaders and long-serving managers: the automatic rules never enrol them; HR does, in bulk, from one
page: choose units and groups, see who would be enrolled in what and by when, confirm. Atomic, audit-logged,
limited to the HR partner's units."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.html import strip_tags

from core.models import AuditEvent
from training import services
from training.catch_up import LONG_SERVING, SENIOR_LEADERS, catch_up_candidates, catch_up_plan
from training.models import Enrolment, Notice, Track
from training.tests.conftest import make_program

pytestmark = pytest.mark.django_db


def _tracks() -> list[Track]:
    return list(Track.objects.filter(is_active=True).order_by("position"))


def test_the_automatic_rules_leave_senior_leaders_and_long_serving_managers_out(company):
    make_program()
    services.enrolment_rules_apply(today=timezone.localdate())
    for who in ("vera", "dirk", "mick"):
        assert not Enrolment.objects.filter(person=getattr(company, who)).exists()


def test_the_plan_gives_senior_leaders_their_track_and_long_serving_managers_the_rest(company):
    make_program()
    today = timezone.localdate()
    due = today + dt.timedelta(days=90)
    people = catch_up_candidates(
        user=company.admin, units=[company.company], groups=[SENIOR_LEADERS, LONG_SERVING], today=today
    )
    # Nora was promoted within the automatic catch-up window: the rules handle her.
    assert {p.first_name for p in people} == {"Vera", "Dirk", "Mick", "Otto"}
    plan = catch_up_plan(user=company.admin, people=people, tracks=_tracks(), first_due_on=due, today=today)
    tracks = {e.person.first_name: {t.track.key: (len(t.courses), t.due_on) for t in e.tracks} for e in plan.people}
    assert tracks["Vera"] == {
        "management-fundamentals": (7, due),
        "sales-management": (10, due + dt.timedelta(days=150)),
        "leading-managers": (2, due + dt.timedelta(days=60)),
    }
    assert set(tracks["Mick"]) == {"management-fundamentals", "sales-management"}  # leads no managers
    assert set(tracks["Otto"]) == {"management-fundamentals"}  # engineering: no sales track
    assert "Senior leader" in next(e for e in plan.people if e.person == company.vera).reasons


def test_hr_enrols_them_in_one_atomic_audited_decision(company, django_capture_on_commit_callbacks):
    make_program()
    today = timezone.localdate()
    due = today + dt.timedelta(days=90)
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.catch_up_enrol(
            actor=company.admin, people=[company.vera, company.mick], tracks=_tracks(), first_due_on=due
        )
    assert plan.course_count == 19 + 17
    vera = Enrolment.objects.filter(person=company.vera)
    assert vera.count() == 19
    assert set(vera.values_list("source", flat=True)) == {Enrolment.Source.CATCH_UP}
    assert vera.get(course__key="coaching-managers").due_on == due + dt.timedelta(days=60)
    assert vera.get(course__key="giving-feedback").bookings.exists()  # seated in the next session
    assert AuditEvent.objects.filter(action="training.enrolment.catch_up").count() == 2
    assert AuditEvent.objects.filter(action="training.catch_up.decided").count() == 1
    assert Notice.objects.filter(recipient=company.vera, kind=Notice.Kind.ENROLLED).exists()
    # Running it again adds nothing, and says so.
    with pytest.raises(ValidationError, match="nothing to add"):
        services.catch_up_enrol(actor=company.admin, people=[company.vera], tracks=_tracks(), first_due_on=due)


def test_an_hr_partner_enrols_only_people_of_her_units_and_nothing_on_refusal(company):
    make_program()
    due = timezone.localdate() + dt.timedelta(days=90)
    hana = company.user("hana")
    people = catch_up_candidates(
        user=hana, units=[company.company, company.north], groups=[SENIOR_LEADERS, LONG_SERVING],
        today=timezone.localdate(),
    )
    assert {p.first_name for p in people} == {"Dirk"}  # Vera, Mick and Otto are outside North
    with pytest.raises(PermissionDenied, match="Vera Acme"):
        services.catch_up_enrol(actor=hana, people=[company.dirk, company.vera], tracks=_tracks(), first_due_on=due)
    assert not Enrolment.objects.filter(person__in=[company.dirk, company.vera]).exists()  # all or nothing


def test_the_page_previews_then_enrols_the_ticked_people(company, login):
    make_program()
    due = timezone.localdate() + dt.timedelta(days=90)
    client = login("admin")
    params = {
        "units": [company.company.pk], "groups": [SENIOR_LEADERS, LONG_SERVING],
        "tracks": [t.pk for t in _tracks()], "first_due_on": due.isoformat(),
    }
    page = client.get("/training/catch-up/", params).content.decode()
    assert "Vera Acme" in page
    assert "Mick Acme" in page
    assert f"Leading managers: 2 courses (Coaching managers to coach, Leading the program by example), due " \
           f"{(due + dt.timedelta(days=60)):%-d %b %Y}" in strip_tags(page)  # course names are links
    response = client.post("/training/catch-up/", {**params, "person": [company.mick.pk]})
    assert response.status_code == 302
    assert Enrolment.objects.filter(person=company.mick).count() == 17
    assert not Enrolment.objects.filter(person=company.vera).exists()  # left unticked


def test_the_page_is_for_hr_only_and_ignores_people_outside_her_units(company, login):
    make_program()
    assert login("vera").get("/training/catch-up/").status_code == 404
    client = login("hana")
    due = timezone.localdate() + dt.timedelta(days=90)
    params = {
        "units": [company.north.pk], "groups": [SENIOR_LEADERS, LONG_SERVING],
        "tracks": [t.pk for t in _tracks()], "first_due_on": due.isoformat(),
    }
    page = client.get("/training/catch-up/", params).content.decode()
    assert "Dirk Acme" in page
    assert "Vera Acme" not in page
    response = client.post("/training/catch-up/", {**params, "person": [company.vera.pk]})
    assert "Choose at least one person" in response.content.decode()
    assert not Enrolment.objects.filter(person=company.vera).exists()
