"""Every training page for every persona: who gets it, who gets 404; what the accountability and HR views
show; query budgets on the big pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role, RoleGrant
from people.services import reporting_paths_rebuild
from tests.factories import PersonFactory, UserFactory
from training import services
from training.models import Booking, Certification, Course, Deferral, Enrolment
from training.selectors import behind_report, leader_accountability, person_training
from training.tests.conftest import make_program

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "vera", "dirk", "nora", "mick", "sam", "sid", "hana", "otto"]


@pytest.fixture
def scenario(company):
    program = make_program()
    today = timezone.localdate()
    for person, days in [(company.nora, 100), (company.mick, 50)]:
        person.manager_since = today - dt.timedelta(days=days)
        person.save()
    services.enrolment_rules_apply(today=today)
    services.person_promote(person=company.sam, actor=company.user("hana"), effective_date=today)
    nora_booking = Booking.objects.get(person=company.nora, session__course__key="giving-feedback")
    pull_out = services.deferral_request(
        booking=nora_booking,
        actor=company.user("dirk"),
        reason_category="forecast",
        reason="Needed for the quarter-end forecast",
    )
    # Nora is late with an e-learning course.
    Enrolment.objects.filter(person=company.nora, course__key="policies-and-values").update(
        due_on=today - dt.timedelta(days=12)
    )
    harassment = Course.objects.get(key="harassment-prevention")
    Certification.objects.create(
        person=company.nora,
        course=harassment,
        certified_on=today - dt.timedelta(days=340),
        expires_on=today + dt.timedelta(days=25),
    )
    Certification.objects.create(
        person=company.mick,
        course=harassment,
        certified_on=today - dt.timedelta(days=400),
        expires_on=today - dt.timedelta(days=35),
    )
    return {"program": program, "booking": nora_booking, "pull_out": pull_out}


def expect(login, persona, url, allowed):
    response = login(persona).get(url)
    expected = 200 if persona in allowed else 404
    assert response.status_code == expected, f"{persona} {url} -> {response.status_code}"
    return response


PROGRAM = {"admin", "vera", "dirk", "nora", "mick", "sam", "hana"}  # sid and otto are not in the program
HR = {"admin", "hana"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_scope_matrix(login, company, scenario, persona):
    booking, pull_out = scenario["booking"], scenario["pull_out"]
    cohort = scenario["program"].cohort_f
    nora_visible = {"admin", "vera", "dirk", "nora", "hana"}
    pages = {
        "/training/": PROGRAM,
        "/training/curriculum/": PROGRAM,
        "/training/providers/": PROGRAM,
        "/training/cohorts/": PROGRAM,
        "/training/deferrals/": PROGRAM,
        "/training/compliance/": PROGRAM,
        f"/training/courses/{booking.session.course_id}/": PROGRAM,
        "/training/me/": PROGRAM - {"admin"},  # the administrator has no person record
        "/training/behind/": HR,
        "/training/settings/": HR,
        "/training/people/": HR,
        "/training/cohorts/new/": HR,
        "/training/sessions/new/": HR,
        "/training/courses/new/": HR,
        f"/training/courses/{booking.session.course_id}/edit/": HR,
        "/training/accountability/": {"vera", "dirk"},
        f"/training/accountability/{company.dirk.pk}/": HR | {"dirk"},
        f"/training/people/{company.nora.pk}/": nora_visible,
        f"/training/people/{company.nora.pk}/promote/": HR,
        f"/training/sessions/{booking.session_id}/": PROGRAM,
        f"/training/deferrals/{pull_out.pk}/": nora_visible,
        f"/training/bookings/{booking.pk}/defer/": nora_visible,
        f"/training/enrolments/{booking.enrolment_id}/exempt/": HR,
        f"/training/cohorts/{cohort.pk}/": PROGRAM,
    }
    for url, allowed in pages.items():
        response = expect(login, persona, url, allowed)
        if response.status_code == 404 and "people/" in url and persona != "nora":
            assert b"Nora Acme" not in response.content


def test_my_training_is_for_anyone_enrolled(login, company, scenario):
    # Vera and Dirk hold roles but are not enrolled: their page says so; sellers not enrolled get 404 on the
    # hub.
    assert "not enrolled" in login("vera").get("/training/me/").content.decode()
    page = login("sam").get("/training/me/").content.decode()
    assert "Giving feedback" in page
    assert "Ask to defer" in page
    assert login("sid").get("/training/").status_code == 404
    nav = login("sid").get("/").content.decode()
    assert 'href="/training/"' not in nav
    assert 'href="/training/"' in login("sam").get("/").content.decode()


def test_hr_sees_who_is_behind_by_how_much_and_why(login, company, scenario):
    page = login("hana").get("/training/behind/").content.decode()
    assert "Nora Acme" in page
    assert "Pulled out by Dirk Acme" in page
    assert "Needed for the quarter-end forecast" in page
    assert "Overdue since" in page
    assert "Mick Acme" not in page  # South: outside Hana's units
    report = behind_report(user=company.user("hana"))
    # One person behind reads "1 person behind", never "1 people behind".
    assert len(report.behind) == 1
    assert '<div class="stat">1</div><div class="stat__label">person behind, of' in page
    nora = next(p for p in report.behind if p.person == company.nora)
    assert nora.days_behind == 12
    assert nora.overdue == 1
    assert nora.pull_outs == 1
    counts = {c.track.key: c for c in report.counts}
    assert counts["management-fundamentals"].behind == 1
    assert counts["management-fundamentals"].people == 2  # Nora and Sam in North
    assert [d.pk for d in report.pending_deferrals] == [scenario["pull_out"].pk]


def test_leader_accountability_numbers(login, company, scenario):
    data = leader_accountability(user=company.user("dirk"))
    assert {p.person.first_name for p in data.progress} == {"Nora", "Sam"}
    assert [d.pk for d in data.pull_outs] == [scenario["pull_out"].pk]
    assert [p.person.first_name for p in data.behind] == ["Nora"]
    vera = leader_accountability(user=company.user("vera"))
    assert {p.person.first_name for p in vera.progress} == {"Nora", "Sam", "Mick"}
    assert vera.pull_outs == []  # Vera made none
    page = login("dirk").get("/training/accountability/").content.decode()
    assert "Pull-outs made by Dirk Acme (1)" in page
    assert "Needed for the quarter-end forecast" in page
    notices = login("vera").get("/training/accountability/").content.decode()
    assert "Approval needed: pull-out of Nora Acme" in notices


def test_compliance_views(login, company, scenario):
    page = login("hana").get("/training/compliance/").content.decode()
    assert "Nora Acme" in page  # expiring in 25 days
    expired = login("vera").get("/training/compliance/?view=expired").content.decode()
    assert "Mick Acme" in expired
    assert "Nora Acme" not in expired
    assert "Mick Acme" not in login("hana").get("/training/compliance/?view=expired").content.decode()


def test_cohort_page_shows_the_function_mix(login, company, scenario):
    services.person_promote(person=company.eve, actor=company.admin, effective_date=timezone.localdate())
    page = login("admin").get(f"/training/cohorts/{scenario['program'].cohort_f.pk}/")
    mix = {label: n for label, n, _ in page.context["view"].function_mix}
    assert mix == {"Sales": 3, "Engineering": 1}
    assert "Engineering" in page.content.decode()
    hana_view = login("hana").get(f"/training/cohorts/{scenario['program'].cohort_f.pk}/").context["view"]
    assert {p.first_name for p in hana_view.members} == {"Nora", "Sam"}
    assert hana_view.hidden_members == 2


def test_deferral_decision_through_the_pages(login, company, scenario):
    pull_out = scenario["pull_out"]
    page = login("hana").get(f"/training/deferrals/{pull_out.pk}/").content.decode()
    assert "Decide as HR" in page
    assert "Decide as the senior leader" not in page
    assert "Decide as" not in login("dirk").get(f"/training/deferrals/{pull_out.pk}/").content.decode()
    response = login("hana").post(
        f"/training/deferrals/{pull_out.pk}/decide/", {"role": "hr", "decision": "approve"}
    )
    assert response.status_code == 302
    response = login("vera").post(
        f"/training/deferrals/{pull_out.pk}/decide/",
        {"role": "leader", "decision": "approve", "note": "OK once"},
    )
    pull_out.refresh_from_db()
    assert pull_out.status == Deferral.Status.APPROVED
    assert pull_out.leader_note == "OK once"


def test_pull_out_form_requires_a_reason(login, company, scenario):
    booking = Booking.objects.get(person=company.sam, session__course__key="setting-expectations")
    client = login("nora")
    response = client.post(
        f"/training/bookings/{booking.pk}/defer/", {"reason_category": "forecast", "reason": ""}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Deferral.objects.filter(booking=booking).exists()
    response = client.post(
        f"/training/bookings/{booking.pk}/defer/",
        {"reason_category": "customer", "reason": "Key renewal meeting with Globex that day"},
    )
    deferral = Deferral.objects.get(booking=booking)
    assert response.status_code == 302
    assert deferral.is_pull_out
    assert deferral.requested_by_person == company.nora


def test_attendance_marking_completes_the_course(login, company, scenario):
    booking = Booking.objects.get(person=company.sam, session__course__key="setting-expectations")
    session = booking.session
    session.starts_at = timezone.now() - dt.timedelta(hours=3)
    session.ends_at = timezone.now() - dt.timedelta(hours=1)
    session.save()
    client = login("hana")
    response = client.post(
        f"/training/bookings/{booking.pk}/attendance/", {"attendance": "attended"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Attended" in response.content.decode()
    booking.refresh_from_db()
    assert booking.attendance == Booking.Attendance.ATTENDED
    assert booking.enrolment.status == Enrolment.Status.COMPLETED
    # Mick is outside Hana's scope: 404.
    mick_booking = Booking.objects.filter(person=company.mick).first()
    assert (
        client.post(f"/training/bookings/{mick_booking.pk}/attendance/", {"attendance": "absent"}).status_code
        == 404
    )


def test_hr_records_a_promotion_through_the_page(
    login, company, scenario, mailoutbox, django_capture_on_commit_callbacks
):
    client = login("hana")
    assert "Sara Acme" in client.get("/training/people/?q=sara").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/training/people/{company.sara.pk}/promote/",
            {"effective_date": timezone.localdate().isoformat(), "new_title": "Sales Manager"},
        )
    assert response.status_code == 302
    assert Enrolment.objects.filter(person=company.sara).count() == 17
    assert any(m.to == ["sara@acme.example"] and m.subject.startswith("Invitation:") for m in mailoutbox)
    assert (
        login("hana")
        .post(
            f"/training/people/{company.sid.pk}/promote/",
            {"effective_date": timezone.localdate().isoformat()},
        )
        .status_code
        == 404
    )


def test_course_edit_by_hr(login, company, scenario):
    course = Course.objects.get(key="forecasting")
    client = login("hana")
    form = client.get(f"/training/courses/{course.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "track": course.track_id,
            "provider": course.provider_id,
            "title": "Forecasting with confidence",
            "objectives_text": "Call the number\nInspect deals",
            "seller_tasks_text": "pipeline_hygiene, discovery",
            "competencies": [c.pk for c in course.competencies.all()],
            "is_active": "on",
        }
    )
    response = client.post(f"/training/courses/{course.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    course.refresh_from_db()
    assert course.title == "Forecasting with confidence"
    assert course.objectives == ["Call the number", "Inspect deals"]
    assert set(course.seller_tasks.values_list("task_key", flat=True)) == {"pipeline_hygiene", "discovery"}
    data["seller_tasks_text"] = "Not A Key"
    assert "Not a task key" in client.post(f"/training/courses/{course.pk}/edit/", data).content.decode()
    assert login("nora").post(f"/training/courses/{course.pk}/edit/", data).status_code == 404


def test_big_pages_have_a_fixed_query_budget(login, company, scenario, django_assert_max_num_queries):
    today = timezone.localdate()
    for i in range(25):
        user = UserFactory(email=f"mgr{i}@acme.example")
        PersonFactory(
            first_name=f"Mgr{i}",
            last_name="Acme",
            email=user.email,
            user=user,
            org_unit=company.team_a,
            manager=company.dirk,
            manager_since=today - dt.timedelta(days=30 + i),
        )
        RoleGrant.objects.create(user=user, role=Role.SALES_MANAGER)
    reporting_paths_rebuild()
    services.enrolment_rules_apply(today=today)
    client = login("hana")
    for url in [
        "/training/behind/",
        "/training/compliance/",
        f"/training/cohorts/{scenario['program'].cohort_f.pk}/",
        f"/training/sessions/{scenario['booking'].session_id}/",
        "/training/curriculum/",
    ]:
        with django_assert_max_num_queries(40):
            assert client.get(url).status_code == 200
    dirk = login("dirk")
    with django_assert_max_num_queries(40):
        page = dirk.get("/training/accountability/")
    assert len(page.context["data"].progress) == 27


def test_home_page_card(login, company, scenario):
    sam = login("sam").get("/").content.decode()
    assert "Manager development program" in sam
    assert "of your courses completed" in sam
    hana = login("hana").get("/").content.decode()
    assert "deferral request waiting for your decision" in hana
    assert "Manager development program" not in login("sid").get("/").content.decode()


def test_hr_schedules_a_session_and_waiting_people_are_seated(
    login, company, mailoutbox, django_capture_on_commit_callbacks
):
    services.person_promote(person=company.sam, actor=company.admin, effective_date=timezone.localdate())
    assert not Booking.objects.filter(person=company.sam).exists()  # no cohorts or sessions yet
    course = Course.objects.get(key="giving-feedback")
    day = timezone.localdate() + dt.timedelta(days=9)
    client = login("hana")
    bad = client.post(
        "/training/sessions/new/",
        {"course": course.pk, "starts_at": f"{day}T13:00", "ends_at": f"{day}T12:00", "capacity": 10},
    )
    errors = bad.context["form"].errors
    assert "ends_at" in errors
    assert "location" in errors
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/training/sessions/new/",
            {
                "course": course.pk,
                "starts_at": f"{day}T09:00",
                "ends_at": f"{day}T12:00",
                "capacity": 10,
                "location": "Berlin office, room Spree",
                "facilitator_name": "Fay",
            },
        )
    assert response.status_code == 302
    booking = Booking.objects.get(person=company.sam)
    assert booking.session.location == "Berlin office, room Spree"
    assert timezone.localtime(booking.session.starts_at).hour == 9
    assert [m.to for m in mailoutbox] == [["sam@acme.example"]]
    page = client.get(response["Location"]).content.decode()
    assert "Sam Acme" in page
    assert "1 of 10 taken" in page


def test_a_course_not_yet_due_is_at_risk_never_days_behind(login, company, scenario):
    """A booked session after the due date made a course not yet due read '68 days behind'; only an overdue
    course is days behind, and the overdue count sits beside the at-risk count."""
    today = timezone.localdate()
    booking = Booking.objects.filter(person=company.nora, session__course__track__key="sales-management",
                                     status=Booking.Status.CONFIRMED).select_related("session").first()
    assert booking is not None
    Enrolment.objects.filter(pk=booking.enrolment_id).update(due_on=today + dt.timedelta(days=5))
    progress = person_training(user=company.user("hana"), person_id=company.nora.pk)
    assert progress is not None
    item = next(i for i in progress.items if i.enrolment.pk == booking.enrolment_id)
    assert item.state == "at_risk"
    assert item.days_behind == 0
    late = (timezone.localtime(booking.session.starts_at).date() - (today + dt.timedelta(days=5))).days
    assert f"is {late} days after the due date" in " ".join(item.reasons)
    assert progress.days_behind == 12  # the overdue e-learning course, 12 days past its due date
    page = login("hana").get(f"/training/people/{company.nora.pk}/").content.decode()
    assert page.count("days behind") == 1
    assert "12 days behind" in page
    mine = login("nora").get("/training/me/").content.decode()
    assert f"{progress.overdue} overdue, {progress.at_risk} at risk" in mine
    assert progress.at_risk >= 1


def test_an_expired_certificate_reads_as_expired_wherever_it_is_shown(login, company, scenario):
    """My training said 'valid until 2 Nov 2026' on 2 Dec 2026; one definition (certificate_status) now flags it
    on My training as on the compliance page."""
    today = timezone.localdate()
    Certification.objects.filter(person=company.nora).update(expires_on=today - dt.timedelta(days=30))
    expired_on = today - dt.timedelta(days=30)
    mine = login("nora").get("/training/me/").content.decode()
    assert f"Expired on {expired_on.day} {expired_on:%b %Y}" in mine
    assert "valid until" not in mine.lower()
    assert "Nora Acme" in login("hana").get("/training/compliance/?view=expired").content.decode()
    Certification.objects.filter(person=company.nora).update(expires_on=today + dt.timedelta(days=200))
    until = today + dt.timedelta(days=200)
    assert f"Valid until {until.day} {until:%b %Y}" in login("nora").get("/training/me/").content.decode()


def test_a_decided_request_reads_as_decided_with_who_decided(login, company, scenario):
    """Notifications kept saying 'Approval needed' and the leader's column 'Pending' after HR had rejected the
    request; every page now reads the request as it stands."""
    pull_out = scenario["pull_out"]
    assert "Approval needed: pull-out of Nora Acme" in login("vera").get("/training/accountability/").content.decode()
    response = login("hana").post(f"/training/deferrals/{pull_out.pk}/decide/",
                                  {"role": "hr", "decision": "reject", "note": "The forecast can wait"})
    assert response.status_code == 302
    notices = login("vera").get("/training/accountability/").content.decode()
    assert "Approval needed" not in notices
    assert "Decided: pull-out of Nora Acme" in notices
    today = timezone.localdate()
    assert f"Rejected by Hana Acme on {today.day} {today:%b %Y}: The forecast can wait" in notices
    detail = login("vera").get(f"/training/deferrals/{pull_out.pk}/").content.decode()
    assert "Rejected by Hana Acme" in detail
    assert "Pending" not in detail
    assert "Not needed: the request is closed" in detail
    table = login("nora").get("/training/me/").content.decode()
    assert "Rejected by Hana Acme" in table
    assert ">Pending<" not in table
