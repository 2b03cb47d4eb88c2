"""Import bookkeeping: one running import at a time, stale imports, the heartbeat of a long import."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from crm import services
from crm.models import CrmImport


@pytest.mark.django_db
def test_the_database_lets_only_one_import_run(company) -> None:  # type: ignore[no-untyped-def]
    first = services.crm_import_create(source="salesforce", actor=None, paths=[])
    second = services.crm_import_create(source="salesforce", actor=None, paths=[])

    assert services.crm_import_claim(crm_import=first)
    assert not services.crm_import_claim(crm_import=second)
    second.refresh_from_db()
    assert second.status == CrmImport.Status.QUEUED


@pytest.mark.django_db
def test_an_import_whose_worker_died_stops_blocking(company) -> None:  # type: ignore[no-untyped-def]
    dead = services.crm_import_create(source="salesforce", actor=None, paths=[])
    assert services.crm_import_claim(crm_import=dead)
    CrmImport.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    waiting = services.crm_import_create(source="salesforce", actor=None, paths=[])

    assert services.crm_import_claim(crm_import=waiting)
    dead.refresh_from_db()
    assert dead.status == CrmImport.Status.FAILED
    assert "worker running this import stopped" in dead.failure_message


@pytest.mark.django_db(transaction=True)
def test_a_long_import_keeps_its_heartbeat(company, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "HEARTBEAT_SECONDS", 0.05)
    crm_import = services.crm_import_create(source="salesforce", actor=None, paths=[])
    assert services.crm_import_claim(crm_import=crm_import)
    old = timezone.now() - dt.timedelta(minutes=30)
    CrmImport.objects.filter(pk=crm_import.pk).update(heartbeat_at=old)

    with services._heartbeat(crm_import.pk):
        time.sleep(0.5)

    crm_import.refresh_from_db()
    assert crm_import.heartbeat_at is not None
    assert crm_import.heartbeat_at > old + dt.timedelta(minutes=29)


@pytest.mark.django_db
def test_an_import_that_finds_the_store_busy_waits_in_the_queue(company, duckdb_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from crm import store

    def busy(**kwargs):  # type: ignore[no-untyped-def]
        raise store.StoreBusy("The CRM data store is being updated by an import or analysis; try again in a minute.")

    monkeypatch.setattr(store, "connect", busy)
    crm_import = services.crm_import_create(source="salesforce", actor=None, paths=[])
    assert services.crm_import_claim(crm_import=crm_import)

    result = services.crm_import_execute(crm_import=crm_import, wait_if_busy=True)

    assert result.status == CrmImport.Status.QUEUED
    assert "Waiting for the analytics store" in result.progress_step
    claimed_again = services.crm_import_claim(crm_import=result)
    assert claimed_again
    failed = services.crm_import_execute(crm_import=result)
    assert failed.status == CrmImport.Status.FAILED
    assert "being updated" in failed.failure_message
