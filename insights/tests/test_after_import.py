"""Every successful CRM import queues one analysis (page, command, every source); a failed import queues none."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from crm.models import CrmImport
from crm.tests.conftest import FIXTURES, fixture_files
from insights.models import AnalysisRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _store(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    settings.DATA_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _import(source: str, folder: str, *extra: str) -> None:
    call_command("import_crm", str(FIXTURES / source / folder), "--source", source, "--sync", *extra,
                 stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize(("source", "folder", "extra"), [
    ("salesforce", "good", ()),
    ("hubspot", "labels", ()),
    ("mapped", "good", ("--mapping", str(FIXTURES / "mapped" / "good" / "mapping.toml"))),
])
def test_an_import_by_the_command_queues_one_analysis(company, django_capture_on_commit_callbacks, source, folder,
                                                      extra) -> None:  # type: ignore[no-untyped-def]
    assert not AnalysisRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        _import(source, folder, *extra, "--as", company.admin.email)
    crm_import = CrmImport.objects.get()
    assert crm_import.status == CrmImport.Status.SUCCEEDED, crm_import.errors
    run = AnalysisRun.objects.get()
    assert run.status == AnalysisRun.Status.QUEUED
    assert run.reason == f"after CRM import #{crm_import.pk}"
    assert run.params == {"period_start": None, "period_end": None}  # the default period
    assert run.requested_by == company.admin
    assert run.job_id  # handed to the background worker


def test_imports_close_together_share_one_queued_analysis(company) -> None:  # type: ignore[no-untyped-def]
    _import("salesforce", "good")
    _import("hubspot", "labels")
    assert CrmImport.objects.filter(status=CrmImport.Status.SUCCEEDED).count() == 2
    run = AnalysisRun.objects.get()
    assert run.status == AnalysisRun.Status.QUEUED
    # Once that run has started, the next import needs an analysis of its own: it may have read older data.
    AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.RUNNING)
    _import("salesforce", "good")
    assert AnalysisRun.objects.filter(status=AnalysisRun.Status.QUEUED).count() == 1
    assert AnalysisRun.objects.count() == 2


def test_a_queued_analysis_of_another_period_does_not_absorb_the_one_after_an_import(company) -> None:  # type: ignore[no-untyped-def]
    from insights import services

    other = services.analysis_enqueue(actor=None, reason="an earlier period", period_start=dt.date(2025, 1, 1),
                                      period_end=dt.date(2025, 6, 30))
    _import("salesforce", "good")
    assert AnalysisRun.objects.exclude(pk=other.pk).get().params == {"period_start": None, "period_end": None}


def test_a_failed_import_queues_no_analysis(company) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="failed"):
        _import("salesforce", "broken")
    assert CrmImport.objects.get().status == CrmImport.Status.FAILED
    assert not AnalysisRun.objects.exists()


def test_an_upload_on_the_page_queues_one_analysis(login, company, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    uploads = [SimpleUploadedFile(p.name, p.read_bytes(), content_type="text/csv")
               for p in fixture_files("salesforce", "good")]
    login("admin").post(reverse("crm:import_new"), {"source": "salesforce", "export_files": uploads}, follow=True)
    crm_import = CrmImport.objects.get()
    assert crm_import.status == CrmImport.Status.SUCCEEDED, crm_import.errors
    run = AnalysisRun.objects.get()
    assert (run.status, run.reason) == (AnalysisRun.Status.QUEUED, f"after CRM import #{crm_import.pk}")


def test_a_failure_to_queue_the_analysis_leaves_the_import_succeeded(company, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from insights import services

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the task queue is down")

    monkeypatch.setattr(services, "analysis_enqueue", broken)
    _import("salesforce", "good")
    assert CrmImport.objects.get().status == CrmImport.Status.SUCCEEDED
    assert not AnalysisRun.objects.exists()
