"""The training API: same scope and services as the pages; errors in the API's error body."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from training import services
from training.models import Booking, Deferral, Enrolment
from training.tests.conftest import make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def nora_booking(company):
    make_program()
    company.nora.manager_since = timezone.localdate() - dt.timedelta(days=100)
    company.nora.save()
    services.enrolment_rules_apply(today=timezone.localdate(), people=[company.nora])
    return Booking.objects.get(person=company.nora, session__course__key="giving-feedback")


def csrf_client(login, who):
    client = login(who)
    client.handler.enforce_csrf_checks = False
    return client


def test_curriculum_over_the_api(login, company, nora_booking):
    tracks = login("nora").get("/api/v1/training/tracks").json()
    assert [t["key"] for t in tracks] == ["management-fundamentals", "sales-management", "leading-managers"]
    forecasting = next(c for c in tracks[1]["courses"] if c["key"] == "forecasting")
    assert set(forecasting["seller_task_keys"]) == {"pipeline_hygiene", "qualification"}
    assert forecasting["format"] == "workshop"
    assert login("sid").get("/api/v1/training/tracks").status_code == 404
    assert login("otto").get("/api/v1/training/tracks").json()["error"]["code"] == "not_found"


def test_enrolments_are_scoped(login, company, nora_booking):
    def people(who):
        items = login(who).get("/api/v1/training/enrolments?limit=200").json()["items"]
        return {i["person"]["full_name"] for i in items}

    assert people("dirk") == {"Nora Acme"}
    assert people("hana") == {"Nora Acme"}
    assert people("mick") == set()
    enrolment = nora_booking.enrolment
    assert login("mick").get(f"/api/v1/training/enrolments/{enrolment.pk}").status_code == 404
    assert (
        login("nora").get(f"/api/v1/training/enrolments/{enrolment.pk}").json()["course"] == "giving-feedback"
    )


def test_pull_out_and_decisions_over_the_api(login, company, nora_booking):
    url = f"/api/v1/training/bookings/{nora_booking.pk}/deferrals"
    response = csrf_client(login, "dirk").post(
        url, {"reason_category": "forecast", "reason": "short"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "reason"
    response = csrf_client(login, "dirk").post(
        url,
        {"reason_category": "forecast", "reason": "Forecast call with the CRO"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["requested_as"] == "leader"
    assert body["requested_by"]["full_name"] == "Dirk Acme"
    deferral_id = body["id"]
    assert (
        csrf_client(login, "mick")
        .post(
            url, {"reason_category": "forecast", "reason": "Forecast call!!"}, content_type="application/json"
        )
        .status_code
        == 404
    )
    decide = f"/api/v1/training/deferrals/{deferral_id}/decision"
    forbidden = csrf_client(login, "dirk").post(
        decide, {"role": "leader", "approve": True}, content_type="application/json"
    )
    assert forbidden.status_code == 403
    assert (
        csrf_client(login, "hana")
        .post(decide, {"role": "hr", "approve": True}, content_type="application/json")
        .json()["hr_decision"]
        == "approved"
    )
    final = (
        csrf_client(login, "vera")
        .post(decide, {"role": "leader", "approve": True}, content_type="application/json")
        .json()
    )
    assert final["status"] == "approved"
    assert final["moved_to_booking"] is not None
    assert Deferral.objects.get(pk=deferral_id).status == Deferral.Status.APPROVED


def test_promotion_exemption_and_attendance_over_the_api(login, company, nora_booking):
    hana = csrf_client(login, "hana")
    response = hana.post(
        f"/api/v1/training/people/{company.sara.pk}/promotion",
        {"effective_date": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert len(response.json()["enrolments"]) == 17
    assert (
        hana.post(
            f"/api/v1/training/people/{company.sid.pk}/promotion",
            {"effective_date": timezone.localdate().isoformat()},
            content_type="application/json",
        ).status_code
        == 404
    )
    enrolment = Enrolment.objects.get(person=company.sara, course__key="policies-and-values")
    response = hana.post(
        f"/api/v1/training/enrolments/{enrolment.pk}/exemption",
        {"reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422
    response = hana.post(
        f"/api/v1/training/enrolments/{enrolment.pk}/exemption",
        {"reason": "Completed the same course at the group level in 2026"},
        content_type="application/json",
    )
    assert response.json()["status"] == "exempted"
    too_early = hana.post(
        f"/api/v1/training/bookings/{nora_booking.pk}/attendance",
        {"attendance": "attended"},
        content_type="application/json",
    )
    assert too_early.status_code == 422
    assert "started" in too_early.json()["error"]["details"][0]["message"]
