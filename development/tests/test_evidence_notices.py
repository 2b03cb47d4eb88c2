"""The manager is told when their evidence is decided: a notice in the program's notifications (and an email)
saying what was decided, by whom, with the reviewer's note and a link to the evidence."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from development import services
from development.tests.conftest import make_evidence
from training.models import Competency, Notice


@pytest.fixture(autouse=True)
def _no_task_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _in_review(company, reviewer: str):
    evidence = make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"))
    return services.evidence_start_review(actor=company.user(reviewer), evidence=evidence)


def test_accepting_tells_the_manager_who_decided_with_the_note_and_a_link(
    company, django_capture_on_commit_callbacks
):
    evidence = _in_review(company, "dirk")
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_accept(actor=company.user("dirk"), evidence=evidence, comment="Clear GROW structure.")
    notice = Notice.objects.get(recipient=company.nora)
    assert notice.kind == Notice.Kind.EVIDENCE_DECIDED
    assert notice.subject == "Evidence accepted: Coaching"
    assert "Dirk Acme accepted your observed demonstration for Coaching" in notice.body
    assert "Clear GROW structure." in notice.body
    assert notice.url == reverse("development:evidence", args=[evidence.pk])
    assert not Notice.objects.exclude(recipient=company.nora).exists()
    [email] = mail.outbox
    assert email.to == [company.nora.email]
    assert email.subject == "Evidence accepted: Coaching"
    assert "Clear GROW structure." in email.body
    assert f"/development/evidence/{evidence.pk}/" in email.body


def test_sending_back_tells_the_manager_what_is_missing(company, django_capture_on_commit_callbacks):
    evidence = _in_review(company, "hana")
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_send_back(actor=company.user("hana"), evidence=evidence,
                                    comment="Please add the debrief notes.")
    notice = Notice.objects.get(recipient=company.nora)
    assert notice.subject == "Evidence sent back: Coaching"
    assert "Hana Acme sent back your observed demonstration for Coaching" in notice.body
    assert "Please add the debrief notes." in notice.body
    assert len(mail.outbox) == 1


def test_starting_a_review_tells_nobody(company):
    _in_review(company, "dirk")
    assert not Notice.objects.exists()


def test_the_manager_reads_the_notice_and_opens_the_evidence(company):
    evidence = _in_review(company, "dirk")
    services.evidence_accept(actor=company.user("dirk"), evidence=evidence, comment="Well run.")
    client = Client()
    client.force_login(company.user("nora"))
    page = client.get(reverse("training:home")).content.decode()
    assert "Evidence accepted: Coaching" in page
    assert f'href="{reverse("development:evidence", args=[evidence.pk])}"' in page
    assert client.get(reverse("development:evidence", args=[evidence.pk])).status_code == 200
