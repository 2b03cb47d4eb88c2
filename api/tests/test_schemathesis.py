"""Schemathesis over the whole API, in process: every operation, as an administrator and as a seller.

Cases come from the OpenAPI schema the app serves (api.urls.api), so a new endpoint is fuzzed without being listed
here. Each case is sent to the WSGI app inside the test's database transaction, with the persona's API token;
the checks are that nothing answers 5xx and that every answer has a documented status and matches its schema.
Examples are bounded and derandomized so the run is the same every time and takes about a minute on two cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_create
from api.tests.walk import openapi
from people.models import OrgUnit, Person
from promoted.wsgi import application

pytestmark = pytest.mark.django_db

CONFIG = schemathesis.Config.from_dict({
    "seed": 10,
    "generation": {"max-examples": 20, "deterministic": True},
})
schema = schemathesis.openapi.from_dict(openapi(), config=CONFIG)
schema.app = application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PERSONAS = ["admin", "sam"]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Run the WSGI app as Django's test client does: a real request closes the database connection when it ends,
    which on PostgreSQL closes the connection holding the test's transaction (SQLite's in-memory one stays)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=PERSONAS)
def token(request: pytest.FixtureRequest, company: Any) -> str:
    """A valid token: a bad one would count towards the 20-bad-tokens limit (429) of accounts.throttling."""
    _, raw = api_token_create(user=company.user(request.param), name=f"schemathesis {request.param}")
    return raw


@pytest.fixture
def existing(company: Any) -> dict[str, list[int]]:
    """Ids of the company's people and units, by the path parameter names that take them."""
    people = sorted(Person.objects.values_list("pk", flat=True))
    return {"person_id": people, "manager_id": people, "unit_id": sorted(OrgUnit.objects.values_list("pk", flat=True))}


def _aim_at_existing(case: schemathesis.Case, existing: dict[str, list[int]]) -> None:
    """Point every other generated id at someone who exists, so the answers include real bodies to check against
    their schemas (random ids are almost all 404). Derived from the generated value: the run stays deterministic."""
    for name, value in case.path_parameters.items():
        ids = existing.get(name)
        if ids and isinstance(value, int) and not isinstance(value, bool) and value > 0 and value % 2 == 0:
            case.path_parameters[name] = ids[value // 2 % len(ids)]


@schema.parametrize()
# No deadline (the first request of a test warms Django up), no example database on disk, and the company fixture
# is built once per operation and persona, which is what the function-scoped-fixture health check warns about.
@settings(deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api(case: schemathesis.Case, token: str, existing: dict[str, list[int]]) -> None:
    _aim_at_existing(case, existing)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
