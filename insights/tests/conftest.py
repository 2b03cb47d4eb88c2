"""Fixtures of the engine's tests: stores on DuckDB (and PostgreSQL when configured), and the persona company with
a CRM behind it and one analysis run."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import pytest

from insights import services
from insights.library import install_defaults
from insights.models import AnalysisRun, SellingTask
from insights.tests import synthetic
from insights.tests.crm_builder import store_connection
from people.models import Person
from people.services import reporting_paths_rebuild
from tests.factories import PersonFactory

BACKENDS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[tuple[Any, str | None]]:
    """An empty store and its database (schema) name, on each backend the machine has."""
    if request.param == "postgres" and not os.environ.get("ANALYTICS_TEST_POSTGRES_URL"):
        pytest.skip("ANALYTICS_TEST_POSTGRES_URL is not set: the PostgreSQL store is not tested here")
    with store_connection(request.param) as pair:
        yield pair


PER_SITUATION = 32  # enough established sellers to fit every behaviour together


@functools.lru_cache(maxsize=4)
def small_company(seed: int = 3) -> synthetic.SyntheticCompany:
    """Two situations of 32 sellers (territory and inside sales), books scaled down: fast to analyse."""
    return synthetic.generate(sellers_per_situation=PER_SITUATION, situations=["territory", "inside_sales"],
                              scale=0.2, seed=seed, prefix="S")


@dataclass
class Analysed:
    """The persona company with a CRM behind it: Sam and Sara (Nora's team) and Sid (Mick's) are sellers in the
    CRM, with 61 more sellers split between Nora and Mick, and one succeeded analysis."""

    company: Any
    crm: synthetic.SyntheticCompany
    run: AnalysisRun
    sellers: list[Person]
    store_url: str


def write_store(crm: synthetic.SyntheticCompany, path: Path) -> str:
    con = ibis.duckdb.connect(str(path))
    crm.write(con)
    con.disconnect()
    return f"duckdb://{path}"


def people_for(company: Any, crm: synthetic.SyntheticCompany) -> list[Person]:
    """Persons for the CRM's sellers: the personas for the first ones, factories for the rest."""
    ids = sorted(crm.sellers)
    personas = {ids[0]: company.sam, ids[1]: company.sara, ids[PER_SITUATION]: company.sid}
    people: list[Person] = []
    for n, employee_id in enumerate(ids):
        record = crm.sellers[employee_id]
        person = personas.get(employee_id)
        manager = company.nora if (n < PER_SITUATION and n % 2 == 0) or n < 3 else company.mick
        if person is not None:
            person.employee_id, person.hire_date = employee_id, record.hire_date
            person.save(update_fields=["employee_id", "hire_date"])
        else:
            person = PersonFactory(employee_id=employee_id, hire_date=record.hire_date, manager=manager,
                                   org_unit=manager.org_unit, first_name=f"Seller{n:02d}", last_name="Synth")
        people.append(person)
    reporting_paths_rebuild()
    return people


@pytest.fixture
def analysed(company: Any, tmp_path: Path, settings: Any) -> Analysed:
    install_defaults(SellingTask)  # a no-op unless a transactional test flushed what the migration installed
    crm = small_company()
    url = write_store(crm, tmp_path / "analytics.duckdb")
    settings.ANALYTICS_URL = url
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    people = people_for(company, crm)
    run = services.analysis_run_now(actor=None, reason="test")
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return Analysed(company=company, crm=crm, run=run, sellers=people, store_url=url)


def period() -> tuple[dt.date, dt.date]:
    return synthetic.PERIOD_START, synthetic.PERIOD_END


@pytest.fixture
def api_as(company: Any) -> Any:
    """api_as("nora"): a test client that calls the API with a token of that persona."""
    from django.test import Client

    from accounts.services import api_token_create

    def client(who: str) -> Client:
        _, raw = api_token_create(user=company.user(who), name="test")
        return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})

    return client
