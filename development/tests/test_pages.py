"""The development pages: who sees what (404 outside scope), what they show, and the review actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from development.models import DevelopmentPlan, MasteryEvidence, PlanModule
from development.tests.conftest import Need, make_evidence
from training.models import Competency, Course

Status = MasteryEvidence.Status


@pytest.fixture(autouse=True)
def _no_task_worker(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def needs(company, stub_needs):
    return stub_needs({company.nora.pk: [
        Need("multithreading", "Multi-threading", 1, [company.sam, company.sara],
             "Deals touch 1.3 contacts against 3.1 for peers"),
    ]})


def url_plan(person) -> str:
    return f"/development/plans/{person.pk}/"


@pytest.mark.parametrize(("who", "status"), [
    ("nora", 200), ("dirk", 200), ("vera", 200), ("hana", 200), ("admin", 200),
    ("mick", 404), ("sam", 404), ("otto", 404), ("eve", 404),
])
def test_plan_scoping_matrix(login, company, needs, who, status):
    response = login(who).get(url_plan(company.nora))
    assert response.status_code == status
    if status == 200:
        assert "Development plan: Nora Acme" in response.content.decode()
    else:
        assert "Nora" not in response.content.decode()


def test_plan_of_someone_who_is_not_a_manager_is_404(login, company, needs):
    assert login("nora").get(url_plan(company.sam)).status_code == 404


def test_manager_sees_modules_recommended_because_of_their_team_gaps(login, company, needs):
    page = login("nora").get(url_plan(company.nora)).content.decode()
    assert "Sales-management modules your team" in page
    for course in Course.objects.filter(seller_tasks__task_key="multithreading"):
        assert course.title in page
    assert "Multi-threading" in page
    assert "Deals touch 1.3 contacts against 3.1 for peers" in page
    assert "Sellers with this gap: Sam Acme, Sara Acme" in page
    # The manager may not change due dates or record check-ins; a leader may.
    assert "Set due date" not in page
    assert "Record check-in" not in page
    leader_page = login("dirk").get(url_plan(company.nora)).content.decode()
    assert "Set due date" in leader_page
    assert "Record check-in" in leader_page
    assert "hold them to this plan" in leader_page


def test_plan_says_when_there_is_no_team_analysis_yet(login, company, no_insights):
    page = login("nora").get(url_plan(company.nora)).content.decode()
    assert "No team analysis yet" in page


def test_leader_changes_a_due_date_with_htmx(login, company, needs):
    client = login("dirk")
    client.get(url_plan(company.nora))
    module = PlanModule.objects.filter(plan__manager=company.nora).first()
    new_due = timezone.localdate() + dt.timedelta(days=21)
    response = client.post(f"/development/plans/{company.nora.pk}/modules/{module.pk}/due/",
                           {"due_on": new_due.isoformat()}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert f"due on {new_due:%d %b %Y}" in response.content.decode()
    module.refresh_from_db()
    assert module.due_on == new_due
    # The manager cannot: not even a hint beyond the 404.
    other = login("nora").post(f"/development/plans/{company.nora.pk}/modules/{module.pk}/due/",
                               {"due_on": new_due.isoformat()})
    assert other.status_code == 404


def test_leader_records_a_check_in_the_manager_sees_it(login, company, needs):
    response = login("dirk").post(f"/development/plans/{company.nora.pk}/check-ins/",
                                  {"note": "Forecasting module first; review at the Q3 business review."})
    assert response.status_code == 302
    page = login("nora").get(url_plan(company.nora)).content.decode()
    assert "Forecasting module first; review at the Q3 business review." in page
    assert login("nora").post(f"/development/plans/{company.nora.pk}/check-ins/",
                              {"note": "I decide my own plan thanks."}).status_code == 404


def test_manager_submits_evidence_with_an_attachment(login, company, needs):
    client = login("nora")
    coaching = Competency.objects.get(key="coaching")
    form = client.get(f"/development/plans/{company.nora.pk}/evidence/new/?competency={coaching.pk}")
    assert form.status_code == 200
    response = client.post(f"/development/plans/{company.nora.pk}/evidence/new/", {
        "competency": coaching.pk, "kind": "assignment_review",
        "summary": "Built a coaching plan for Sam and ran four weekly sessions.",
        "occurred_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "attachment": SimpleUploadedFile("coaching-plan.txt", b"week 1: discovery"),
    })
    evidence = MasteryEvidence.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/development/evidence/{evidence.pk}/"
    assert evidence.status == Status.SUBMITTED
    assert evidence.submitted_by == company.user("nora")
    download = client.get(f"/development/evidence/{evidence.pk}/attachment/")
    assert b"".join(download.streaming_content) == b"week 1: discovery"
    assert login("mick").get(f"/development/evidence/{evidence.pk}/attachment/").status_code == 404


def test_attachments_over_ten_megabytes_are_refused(login, company, needs, monkeypatch):
    monkeypatch.setattr("development.forms.MAX_ATTACHMENT_BYTES", 10)
    response = login("nora").post(f"/development/plans/{company.nora.pk}/evidence/new/", {
        "competency": Competency.objects.get(key="coaching").pk, "kind": "assignment_review",
        "summary": "Built a coaching plan for Sam.", "occurred_on": timezone.localdate().isoformat(),
        "attachment": SimpleUploadedFile("big.pdf", b"x" * 2048),
    })
    assert "attach at most 10 MB" in response.content.decode()
    assert not MasteryEvidence.objects.exists()


def test_evidence_form_shows_field_errors(login, company, needs):
    response = login("nora").post(f"/development/plans/{company.nora.pk}/evidence/new/", {
        "competency": Competency.objects.get(key="coaching").pk, "kind": "assessment_score",
        "summary": "Knowledge check on coaching models.", "occurred_on": timezone.localdate().isoformat(),
    })
    assert response.status_code == 200
    assert "An assessment needs its score." in response.content.decode()
    assert not MasteryEvidence.objects.exists()


def test_leader_signs_off_a_demonstration_with_htmx(login, company, needs):
    evidence = make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"))
    client = login("dirk")
    page = client.get(f"/development/evidence/{evidence.pk}/").content.decode()
    assert "Start review" in page
    response = client.post(f"/development/evidence/{evidence.pk}/review/", {"action": "start"},
                           HTTP_HX_REQUEST="true")
    assert "In review" in response.content.decode()
    assert "Sign off the demonstration" in response.content.decode()
    response = client.post(f"/development/evidence/{evidence.pk}/review/",
                           {"action": "accept", "comment": "Strong GROW structure."}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Accepted" in body
    assert "Nora has mastered" in body
    evidence.refresh_from_db()
    assert evidence.status == Status.ACCEPTED
    history = client.get(f"/development/evidence/{evidence.pk}/").content.decode()
    assert "Strong GROW structure." in history


def test_manager_cannot_sign_off_their_own_evidence(login, company, needs):
    evidence = make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"))
    client = login("nora")
    page = client.get(f"/development/evidence/{evidence.pk}/").content.decode()
    assert "Start review" not in page
    assert "you cannot sign off your own" in page
    response = client.post(f"/development/evidence/{evidence.pk}/review/", {"action": "start"},
                           HTTP_HX_REQUEST="true")
    assert "your leader or HR signs it off" in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.status == Status.SUBMITTED


@pytest.mark.parametrize(("who", "status"), [("dirk", 200), ("hana", 200), ("nora", 200), ("mick", 404),
                                             ("otto", 404), ("sam", 404)])
def test_evidence_scoping_matrix(login, company, who, status):
    evidence = make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"))
    assert login(who).get(f"/development/evidence/{evidence.pk}/").status_code == status
    if status == 404:
        response = login(who).post(f"/development/evidence/{evidence.pk}/review/", {"action": "start"})
        assert response.status_code == 404


def test_sent_back_evidence_is_resubmitted_from_its_page(login, company):
    evidence = make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"),
                             status=Status.SENT_BACK)
    evidence.reviewer_comment = "Add the observation rubric."
    evidence.reviewer = company.user("dirk")
    evidence.save()
    client = login("nora")
    page = client.get(f"/development/evidence/{evidence.pk}/resubmit/").content.decode()
    assert "Add the observation rubric." in page
    response = client.post(f"/development/evidence/{evidence.pk}/resubmit/", {
        "summary": "Rubric attached: 4/5 on questions, 5/5 on agreeing a next step.",
        "occurred_on": evidence.occurred_on.isoformat(),
    })
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == Status.SUBMITTED
    assert evidence.revision == 2


def test_review_queue_page(login, company):
    make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"))
    page = login("dirk").get("/development/reviews/").content.decode()
    assert "Nora Acme" in page
    assert "Coaching" in page
    assert "Nothing is waiting for your review." in login("mick").get("/development/reviews/").content.decode()


def test_index_for_each_role(login, company, needs):
    nora = login("nora").get("/development/").content.decode()
    assert "Open your development plan" in nora
    assert "plans-table" not in nora
    vera = login("vera").get("/development/").content.decode()
    assert "Nora Acme" in vera
    assert "Mick Acme" in vera
    assert login("sam").get("/development/").status_code == 404
    otto = login("otto").get("/development/").content.decode()  # an engineering manager has fundamentals only
    assert "Open your development plan" in otto
    assert "Nora Acme" not in otto


def test_index_runs_a_fixed_number_of_queries(login, company, stub_needs, django_assert_max_num_queries):
    from people.services import reporting_paths_rebuild
    from tests.factories import PersonFactory

    stub_needs({})
    for i in range(25):
        manager = PersonFactory(manager=company.vera, manager_since=dt.date(2025, 1, 1), org_unit=company.team_b,
                                first_name=f"M{i:02d}")
        DevelopmentPlan.objects.create(manager=manager)
    reporting_paths_rebuild()
    client = login("vera")
    with django_assert_max_num_queries(23):  # 21 measured, with 3 or 28 managers alike
        response = client.get("/development/")
    assert response.content.decode().count("/development/plans/") >= 28


def test_person_page_links_to_the_plan_for_those_who_may_see_it(login, company, needs):
    assert "Development plan and mastery" in login("dirk").get(f"/people/{company.nora.pk}/").content.decode()
    assert "Development plan and mastery" not in login("nora").get(f"/people/{company.sam.pk}/").content.decode()


def test_navigation_offers_development_to_managers_not_sellers(login, company):
    assert 'href="/development/"' in login("nora").get("/").content.decode()
    assert 'href="/development/"' not in login("sam").get("/").content.decode()


@pytest.mark.parametrize(("who", "status"), [("hana", 200), ("admin", 200), ("nora", 404), ("vera", 404),
                                             ("otto", 404)])
def test_hr_pages_are_hr_only(login, company, who, status):
    client = login(who)
    assert client.get("/development/imports/").status_code == status
    assert client.get("/development/learning-records/").status_code == status


def test_learning_records_page_shows_configuration_and_counts(login, company, settings):
    settings.LRS_URL = ""
    page = login("hana").get("/development/learning-records/").content.decode()
    assert "Not configured" in page
    settings.LRS_URL = "https://lrs.example.com/xAPI/"
    page = login("hana").get("/development/learning-records/").content.decode()
    assert "https://lrs.example.com/xAPI/statements" in page


def test_plan_page_runs_a_fixed_number_of_queries(login, company, needs, django_assert_max_num_queries):
    coaching = Competency.objects.get(key="coaching")
    for status in (Status.SUBMITTED, Status.IN_REVIEW, Status.ACCEPTED, Status.SENT_BACK):
        make_evidence(company.nora, coaching, by=company.user("nora"), status=status)
    client = login("dirk")
    client.post(f"/development/plans/{company.nora.pk}/check-ins/", {"note": "First check-in on the plan."})
    client.get(url_plan(company.nora))
    with django_assert_max_num_queries(31):  # 27 measured
        page = client.get(url_plan(company.nora)).content.decode()
    assert page.count("/development/evidence/") >= 4
