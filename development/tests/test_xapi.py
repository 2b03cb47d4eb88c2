"""xAPI statements: their shape, the outbox (idempotent per event), delivery with retry and backoff, and a round
trip through a real learning record store (Ralph on loopback)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from decimal import Decimal

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from core.models import AuditEvent
from development import services, xapi
from development.models import XapiOutbox
from development.tests.conftest import make_evidence
from training.models import Booking, Cohort, Course, Enrolment, Session

MBOX = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


def assert_valid_statement(statement: dict) -> None:
    """The xAPI 1.0.3 requirements the LRS checks first (Data section 2.4)."""
    assert uuid.UUID(statement["id"]).version == 5
    actor = statement["actor"]
    assert actor["objectType"] == "Agent"
    assert MBOX.match(actor["mbox"])
    verb = statement["verb"]
    assert verb["id"].startswith("http://adlnet.gov/expapi/verbs/")
    assert verb["display"]["en-US"]
    obj = statement["object"]
    assert obj["objectType"] == "Activity"
    assert obj["id"].startswith("http://testserver.example/")
    assert obj["definition"]["name"]["en-US"]
    assert obj["definition"]["type"].startswith("http://adlnet.gov/")
    assert ISO_TS.match(statement["timestamp"])
    result = statement["result"]
    assert result["completion"] is True
    if "score" in result:
        assert 0 <= result["score"]["scaled"] <= 1
        assert result["score"]["min"] <= result["score"]["raw"] <= result["score"]["max"]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver.example"
    settings.LRS_URL = ""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def completed_enrolment(person, course_key: str = "giving-feedback") -> tuple[Enrolment, Booking]:
    course = Course.objects.get(key=course_key)
    today = timezone.localdate()
    enrolment = Enrolment.objects.create(person=person, course=course, enrolled_on=today - dt.timedelta(days=30),
                                         due_on=today + dt.timedelta(days=30), status=Enrolment.Status.COMPLETED,
                                         completed_on=today - dt.timedelta(days=1))
    cohort = Cohort.objects.create(track=course.track, name="C", starts_on=today - dt.timedelta(days=3),
                                   ends_on=today)
    start = timezone.now() - dt.timedelta(days=1)
    session = Session.objects.create(course=course, cohort=cohort, starts_at=start,
                                     ends_at=start + dt.timedelta(hours=3))
    booking = Booking.objects.create(session=session, enrolment=enrolment, person=person,
                                     attendance=Booking.Attendance.ATTENDED,
                                     attendance_marked_at=start + dt.timedelta(hours=3))
    return enrolment, booking


def test_completion_statement_has_the_required_shape(company):
    enrolment, booking = completed_enrolment(company.nora)
    row = services.xapi_record_completion(enrolment=enrolment, booking=booking)
    assert row is not None
    statement = row.statement
    assert_valid_statement(statement)
    assert statement["actor"] == {"objectType": "Agent", "name": "Nora Acme", "mbox": "mailto:nora@acme.example"}
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert statement["object"]["id"] == "http://testserver.example/training/courses/giving-feedback"
    assert statement["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    assert statement["context"]["contextActivities"]["grouping"][0]["id"] == (
        "http://testserver.example/training/tracks/management-fundamentals"
    )
    assert statement["timestamp"] == booking.attendance_marked_at.isoformat()
    assert uuid.UUID(statement["context"]["registration"])


def test_mastery_statement_carries_score_success_and_reviewer(company, competency, coaching_course):
    evidence = make_evidence(company.nora, competency, by=company.user("nora"), kind="assessment_score",
                             score=Decimal("84.50"), pass_mark=Decimal("70"), course=coaching_course)
    services.evidence_start_review(actor=company.user("dirk"), evidence=evidence)
    services.evidence_accept(actor=company.user("dirk"), evidence=evidence)
    row = XapiOutbox.objects.get(event=XapiOutbox.Event.MASTERY)
    statement = row.statement
    assert_valid_statement(statement)
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/mastered"
    assert statement["object"]["id"] == "http://testserver.example/development/competencies/coaching"
    assert statement["result"]["success"] is True
    assert statement["result"]["score"] == {"raw": 84.5, "min": 0, "max": 100, "scaled": 0.845}
    assert statement["context"]["instructor"]["mbox"] == "mailto:dirk@acme.example"
    assert statement["context"]["contextActivities"]["parent"][0]["id"].endswith("/coaching-vs-mentoring")
    assert row.person == company.nora


def test_recording_the_same_event_twice_queues_one_statement(company):
    enrolment, booking = completed_enrolment(company.nora)
    first = services.xapi_record_completion(enrolment=enrolment, booking=booking)
    second = services.xapi_record_completion(enrolment=enrolment, booking=booking)
    assert first is not None
    assert second is not None
    assert first.pk == second.pk
    assert XapiOutbox.objects.count() == 1
    assert first.statement_id == xapi.statement_uuid(f"completion:enrolment:{enrolment.pk}")


def test_an_open_enrolment_sends_nothing(company):
    enrolment, _ = completed_enrolment(company.nora)
    enrolment.status, enrolment.completed_on = Enrolment.Status.ENROLLED, None
    enrolment.save()
    assert services.xapi_record_completion(enrolment=enrolment) is None
    assert not XapiOutbox.objects.exists()


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        xapi.completion_statement(event_key="x", person_name="A", person_email="a@b.c",
                                  course=xapi.CourseRef(key="k", title="T"),
                                  completed_at=dt.datetime(2026, 1, 1, 12, 0))


# --- Delivery ---------------------------------------------------------------------------------------------------


class FakeLrs:
    """An httpx transport answering like an LRS, with a script of status codes."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 204
        return httpx.Response(status, text="" if status < 400 else f"error {status}")


@pytest.fixture
def fake_lrs(settings, monkeypatch):
    settings.LRS_URL = "https://lrs.example/xAPI/"
    settings.LRS_USERNAME, settings.LRS_PASSWORD = "key", "secret"
    fake = FakeLrs()

    def client(config):
        return httpx.Client(transport=httpx.MockTransport(fake), auth=httpx.BasicAuth(config.username,
                            config.password), headers=xapi._headers())

    monkeypatch.setattr(xapi, "lrs_client", client)
    return fake


def test_sender_posts_a_batch_with_version_header_and_basic_auth(company, fake_lrs):
    enrolment, booking = completed_enrolment(company.nora)
    first = services.xapi_record_completion(enrolment=enrolment, booking=booking)
    other, other_booking = completed_enrolment(company.nora, "setting-expectations")
    second = services.xapi_record_completion(enrolment=other, booking=other_booking)
    report = services.outbox_send_due()
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    assert len(fake_lrs.requests) == 1
    request = fake_lrs.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://lrs.example/xAPI/statements"
    assert request.headers["X-Experience-API-Version"] == "1.0.3"
    assert request.headers["Authorization"].startswith("Basic ")
    assert [s["id"] for s in json.loads(request.content)] == [str(first.statement_id), str(second.statement_id)]
    first.refresh_from_db()
    assert first.status == XapiOutbox.Status.SENT
    assert first.sent_at is not None
    assert first.attempts == 1


def test_a_refused_batch_is_resent_one_by_one_so_only_the_bad_statement_fails(company, fake_lrs):
    fake_lrs.statuses = [400, 204, 400]
    enrolment, booking = completed_enrolment(company.nora)
    good = services.xapi_record_completion(enrolment=enrolment, booking=booking)
    other, other_booking = completed_enrolment(company.nora, "setting-expectations")
    bad = services.xapi_record_completion(enrolment=other, booking=other_booking)
    report = services.outbox_send_due()
    assert (report.sent, report.failed) == (1, 1)
    assert [r.method for r in fake_lrs.requests] == ["POST", "PUT", "PUT"]
    assert str(fake_lrs.requests[1].url).endswith(f"statements?statementId={good.statement_id}")
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == XapiOutbox.Status.SENT
    assert bad.status == XapiOutbox.Status.FAILED
    assert bad.last_error.startswith("400")


def test_server_errors_retry_with_growing_backoff_then_succeed(company, fake_lrs):
    fake_lrs.statuses = [503, 503, 204]
    enrolment, booking = completed_enrolment(company.nora)
    row = services.xapi_record_completion(enrolment=enrolment, booking=booking)
    start = timezone.now()
    report = services.outbox_send_due(now=start)
    assert report.retrying == 1
    row.refresh_from_db()
    assert row.status == XapiOutbox.Status.PENDING
    assert "503" in row.last_error
    first_delay = row.next_attempt_at - row.last_attempt_at
    assert first_delay == dt.timedelta(seconds=30)
    assert services.outbox_send_due(now=start).sent == 0  # not due yet: nothing is sent early
    services.outbox_send_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert row.next_attempt_at - row.last_attempt_at == dt.timedelta(seconds=60)
    services.outbox_send_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert row.status == XapiOutbox.Status.SENT
    assert row.attempts == 3
    assert row.last_error == ""


def test_network_failure_is_retried(company, settings, monkeypatch):
    settings.LRS_URL = "http://127.0.0.1:9/xAPI/"  # discard port: connection refused
    settings.LRS_TIMEOUT = 2
    enrolment, booking = completed_enrolment(company.nora)
    services.xapi_record_completion(enrolment=enrolment, booking=booking)
    report = services.outbox_send_due()
    assert report.retrying == 1
    row = XapiOutbox.objects.get()
    assert "ConnectError" in row.last_error


def test_a_conflicting_statement_fails_for_good(company, fake_lrs):
    fake_lrs.statuses = [409, 409]
    enrolment, booking = completed_enrolment(company.nora)
    services.xapi_record_completion(enrolment=enrolment, booking=booking)
    report = services.outbox_send_due()
    assert report.failed == 1
    row = XapiOutbox.objects.get()
    assert row.status == XapiOutbox.Status.FAILED
    assert row.last_error.startswith("409")


def test_gives_up_after_the_maximum_attempts(company, fake_lrs):
    fake_lrs.statuses = [500] * services.MAX_SEND_ATTEMPTS
    enrolment, booking = completed_enrolment(company.nora)
    row = services.xapi_record_completion(enrolment=enrolment, booking=booking)
    for _ in range(services.MAX_SEND_ATTEMPTS):
        row.refresh_from_db()
        services.outbox_send_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert row.status == XapiOutbox.Status.FAILED
    assert row.attempts == services.MAX_SEND_ATTEMPTS
    assert services.retry_delay(20) == services.LONGEST_RETRY


def test_unconfigured_lrs_leaves_statements_waiting(company):
    enrolment, booking = completed_enrolment(company.nora)
    services.xapi_record_completion(enrolment=enrolment, booking=booking)
    report = services.outbox_send_due()
    assert report.configured is False
    assert XapiOutbox.objects.get().status == XapiOutbox.Status.PENDING


def test_hr_requeues_failed_statements_and_it_is_audited(company, fake_lrs):
    fake_lrs.statuses = [400, 400]
    enrolment, booking = completed_enrolment(company.nora)
    services.xapi_record_completion(enrolment=enrolment, booking=booking)
    services.outbox_send_due()
    assert services.outbox_retry_failed(actor=company.user("hana")) == 1
    assert XapiOutbox.objects.get().status == XapiOutbox.Status.PENDING
    assert AuditEvent.objects.filter(action="development.xapi.retry_failed").exists()
    with pytest.raises(Exception, match="Only HR"):
        services.outbox_retry_failed(actor=company.user("nora"))


def test_events_enqueue_the_sender_after_commit(company, settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    enrolment, booking = completed_enrolment(company.nora)
    with django_capture_on_commit_callbacks(execute=True):
        services.xapi_record_completion(enrolment=enrolment, booking=booking)
    assert DBTaskResult.objects.filter(task_path="development.tasks.send_xapi_statements").count() == 1


def test_command_reports_an_unconfigured_lrs(company):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="LRS_URL is not set"):
        call_command("xapi_send")


# --- A real LRS -------------------------------------------------------------------------------------------------


def test_completions_and_mastery_reach_a_real_lrs_once(company, competency, settings, ralph_lrs):
    settings.LRS_URL, settings.LRS_USERNAME, settings.LRS_PASSWORD = (
        ralph_lrs.url, ralph_lrs.username, ralph_lrs.password)
    enrolment, booking = completed_enrolment(company.nora)
    completion = services.xapi_record_completion(enrolment=enrolment, booking=booking)
    evidence = make_evidence(company.nora, competency, by=company.user("dirk"))
    services.evidence_start_review(actor=company.user("dirk"), evidence=evidence)
    services.evidence_accept(actor=company.user("dirk"), evidence=evidence, comment="Clear GROW structure.")

    report = services.outbox_send_due()
    assert (report.sent, report.failed, report.retrying) == (2, 0, 0), XapiOutbox.objects.values("last_error")

    config = xapi.LrsConfig.from_settings()
    assert config is not None
    answer = xapi.get_statements(config, statementId=str(completion.statement_id))
    # The spec answers a single statement; Ralph wraps it in a StatementResult. Accept both.
    stored = answer["statements"][0] if "statements" in answer else answer
    assert stored["actor"]["mbox"] == "mailto:nora@acme.example"
    assert stored["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert stored["object"]["id"] == "http://testserver.example/training/courses/giving-feedback"
    noras = xapi.get_statements(config, agent='{"mbox": "mailto:nora@acme.example"}')["statements"]
    assert sorted((s["verb"]["id"], s["object"]["id"]) for s in noras) == [
        ("http://adlnet.gov/expapi/verbs/completed", "http://testserver.example/training/courses/giving-feedback"),
        ("http://adlnet.gov/expapi/verbs/mastered", "http://testserver.example/development/competencies/coaching"),
    ]
    mastered = next(s for s in noras if s["verb"]["id"].endswith("/mastered"))
    assert mastered["result"]["success"] is True
    assert mastered["context"]["instructor"]["mbox"] == "mailto:dirk@acme.example"

    # Resending (a retry after a lost answer, or `xapi_send --all`) never duplicates a statement.
    call_command("xapi_send", "--all")
    XapiOutbox.objects.update(status=XapiOutbox.Status.PENDING, next_attempt_at=timezone.now())
    assert services.outbox_send_due().sent == 2
    everything = xapi.get_statements(config, agent='{"mbox": "mailto:nora@acme.example"}')["statements"]
    assert sorted(s["id"] for s in everything) == sorted(
        str(r.statement_id) for r in XapiOutbox.objects.all())
