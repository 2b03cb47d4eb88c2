"""The development endpoints of the JSON API: mastery evidence (list, submit, review) and plans, scoped like the
pages (404 outside scope, 403 for the manager reviewing their own evidence)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import api_token_create
from development.models import MasteryEvidence
from development.tests.conftest import Need, make_evidence
from training.models import Competency

Status = MasteryEvidence.Status


@pytest.fixture(autouse=True)
def _no_task_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def api_as(company):
    def _client(who: str) -> Client:
        _, raw = api_token_create(user=company.user(who), name="test")
        return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})

    return _client


@pytest.fixture
def evidence(company):
    return make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"))


def test_list_evidence_is_scoped(api_as, company, evidence):
    make_evidence(company.mick, Competency.objects.get(key="coaching"), by=company.user("mick"))
    body = api_as("dirk").get("/api/v1/development/evidence").json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["manager"] == {"id": company.nora.pk, "full_name": "Nora Acme"}
    assert item["competency"] == {"key": "coaching", "name": "Coaching"}
    assert item["status"] == "submitted"
    assert item["submitted_by"] == "nora@acme.example"
    assert api_as("vera").get("/api/v1/development/evidence").json()["total"] == 2
    assert api_as("nora").get("/api/v1/development/evidence").json()["total"] == 1
    assert api_as("otto").get("/api/v1/development/evidence").json()["total"] == 0
    assert api_as("vera").get(f"/api/v1/development/evidence?manager={company.mick.pk}").json()["total"] == 1


@pytest.mark.parametrize(("who", "status"), [("nora", 200), ("dirk", 200), ("hana", 200), ("mick", 404),
                                             ("otto", 404), ("sam", 404)])
def test_evidence_detail_matrix(api_as, evidence, who, status):
    response = api_as(who).get(f"/api/v1/development/evidence/{evidence.pk}")
    assert response.status_code == status
    if status == 404:
        assert response.json()["error"]["code"] == "not_found"


def test_submit_and_review_through_the_api(api_as, company):
    response = api_as("nora").post("/api/v1/development/evidence", {
        "manager_id": company.nora.pk, "competency": "forecasting", "course": "forecasting",
        "kind": "assessment_score", "summary": "Forecasting knowledge check at the end of the module.",
        "occurred_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(), "score": 81, "pass_mark": 70,
    }, content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "submitted"
    assert created["course"] == {"key": "forecasting", "title": "Forecasting"}
    url = f"/api/v1/development/evidence/{created['id']}/review"
    own = api_as("nora").post(url, {"action": "start"}, content_type="application/json")
    assert own.status_code == 403
    assert "signs it off" in own.json()["error"]["message"]
    dirk = api_as("dirk")
    assert dirk.post(url, {"action": "start"}, content_type="application/json").json()["status"] == "in_review"
    accepted = dirk.post(url, {"action": "accept", "comment": "Good"}, content_type="application/json").json()
    assert accepted["status"] == "accepted"
    assert accepted["reviewer"] == "dirk@acme.example"
    again = dirk.post(url, {"action": "send_back", "comment": "Too late now anyway."},
                      content_type="application/json")
    assert again.status_code == 422


def test_submit_validation_and_scope(api_as, company):
    client = api_as("nora")
    base = {"manager_id": company.nora.pk, "competency": "coaching", "kind": "assessment_score",
            "summary": "A knowledge check.", "occurred_on": timezone.localdate().isoformat()}
    response = client.post("/api/v1/development/evidence", base, content_type="application/json")
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["error"]["details"]} == {"score", "pass_mark"}
    outsider = api_as("mick").post("/api/v1/development/evidence", {**base, "kind": "assignment_review"},
                                   content_type="application/json")
    assert outsider.status_code == 404
    assert not MasteryEvidence.objects.exists()


def test_plans_list_and_detail(api_as, company, stub_needs):
    stub_needs({company.nora.pk: [Need("forecast", "x", 1, [], "y"),
                                  Need("pipeline_hygiene", "Pipeline hygiene", 1, [company.sam], "Pushes")]})
    from development.services import plan_refresh

    plan_refresh(user=company.user("dirk"), manager=company.nora)
    rows = api_as("dirk").get("/api/v1/development/plans").json()
    assert [r["manager"]["full_name"] for r in rows] == ["Nora Acme"]
    assert rows[0]["modules_total"] == 1
    plan = api_as("nora").get(f"/api/v1/development/plans/{company.nora.pk}").json()
    assert [m["course"]["key"] for m in plan["modules"]] == ["performance-culture"]
    reason = plan["modules"][0]["reasons"][0]
    assert reason["task_key"] == "pipeline_hygiene"
    assert reason["sellers"] == [{"id": str(company.sam.pk), "name": "Sam Acme"}]
    assert plan["fundamentals_status"] == "Not enrolled yet"
    assert len(plan["fundamentals"]) >= 5
    assert api_as("mick").get(f"/api/v1/development/plans/{company.nora.pk}").status_code == 404
    assert api_as("otto").get(f"/api/v1/development/plans/{company.nora.pk}").status_code == 404
    assert api_as("otto").get("/api/v1/development/plans").json() == []
