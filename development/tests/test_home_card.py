"""The home page's evidence card: reviewers see the evidence waiting for them (count and links, only what they
may review); a manager sees the decisions on their own evidence until they open it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from development import services
from development.models import MasteryEvidence
from development.tests.conftest import make_evidence
from training.models import Competency

Status = MasteryEvidence.Status


@pytest.fixture(autouse=True)
def _no_task_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def home(company, who: str) -> str:
    client = Client()
    client.force_login(company.user(who))
    return client.get("/").content.decode()


def test_a_leader_sees_the_evidence_waiting_for_them_with_a_link_to_each(company):
    coaching = Competency.objects.get(key="coaching")
    evidence = make_evidence(company.nora, coaching, by=company.user("nora"))
    page = home(company, "dirk")
    assert "Evidence waiting for you" in page
    assert "piece of evidence to review" in page
    assert "pieces of evidence" not in page
    assert f'href="{reverse("development:evidence", args=[evidence.pk])}"' in page
    assert "Nora Acme: Coaching" in page

    make_evidence(company.nora, Competency.objects.exclude(pk=coaching.pk).first(), by=company.user("nora"))
    page = home(company, "dirk")
    assert '<div class="stat">2</div>' in page
    assert "pieces of evidence to review" in page


def test_the_card_is_scoped_to_what_the_reader_may_review(company):
    coaching = Competency.objects.get(key="coaching")
    nora_evidence = make_evidence(company.nora, coaching, by=company.user("nora"))
    mick_evidence = make_evidence(company.mick, coaching, by=company.user("mick"))
    nora_link = reverse("development:evidence", args=[nora_evidence.pk])
    mick_link = reverse("development:evidence", args=[mick_evidence.pk])
    hana = home(company, "hana")  # HR partner for North: Nora, not Mick
    assert nora_link in hana
    assert mick_link not in hana
    vera = home(company, "vera")  # above both
    assert nora_link in vera
    assert mick_link in vera
    for who in ("nora", "mick", "sam", "otto"):  # their own evidence, a peer's, or none of theirs to review
        assert "Evidence waiting for you" not in home(company, who)


def test_decided_evidence_leaves_the_queue(company):
    evidence = make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"),
                             status=Status.ACCEPTED)
    page = home(company, "dirk")
    assert "Evidence waiting for you" not in page
    assert reverse("development:evidence", args=[evidence.pk]) not in page


def test_a_long_queue_shows_five_and_links_to_all(company):
    for competency in Competency.objects.order_by("pk")[:7]:
        make_evidence(company.nora, competency, by=company.user("nora"))
    page = home(company, "dirk")
    assert page.count("/development/evidence/") == 5
    assert "See all 7" in page
    assert reverse("development:reviews") in page


def test_the_manager_sees_the_decision_on_their_home_until_they_open_the_evidence(company):
    evidence = make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"))
    evidence = services.evidence_start_review(actor=company.user("dirk"), evidence=evidence)
    services.evidence_send_back(actor=company.user("dirk"), evidence=evidence, comment="Add the debrief notes.")
    page = home(company, "nora")
    assert "Decisions on your evidence" in page
    assert "Evidence sent back: Coaching" in page
    assert "Add the debrief notes." in page
    link = reverse("development:evidence", args=[evidence.pk])
    assert f'href="{link}"' in page
    assert "Decisions on your evidence" not in home(company, "sara")

    client = Client()
    client.force_login(company.user("dirk"))
    client.get(link)  # the reviewer opening it reads nothing of Nora's
    assert "Decisions on your evidence" in home(company, "nora")
    client.force_login(company.user("nora"))
    assert client.get(link).status_code == 200
    assert "Decisions on your evidence" not in home(company, "nora")
