"""Every id a client sends the API (path, query or body) is 1..2**63-1; anything else answers 422, never 500.

The routes are read from the OpenAPI schema, so a new endpoint is walked without being listed here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.tests.conftest import error_of
from api.tests.walk import fill_path, openapi, operations
from core.converters import MAX_ID

pytestmark = pytest.mark.django_db

BAD_IDS = [str(MAX_ID + 1), "99999999999999999999999999", "0", "-1"]
# Integer parameters that are not ids: the pagination ones, bounded in api.pagination.
NOT_IDS = {"limit", "offset"}


def _is_integer(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "integer" or any(s.get("type") == "integer" for s in schema.get("anyOf", []))


def _id_parameters() -> list[tuple[str, str, str, str]]:
    """(method, path, location, name) of every integer path or query parameter but the pagination ones."""
    return [
        (method, path, param["in"], param["name"])
        for method, path, op in operations()
        for param in op.get("parameters", [])
        if param["in"] in ("path", "query") and param["name"] not in NOT_IDS and _is_integer(param["schema"])
    ]


def test_the_walk_covers_the_ids_the_issue_named():
    walked = {(path, name) for _, path, _, name in _id_parameters()}
    assert walked >= {
        ("/api/v1/insights/situations/{situation_id}", "situation_id"),
        ("/api/v1/people", "manager"),
        ("/api/v1/people", "org_unit"),
        ("/api/v1/training/enrolments", "person"),
        ("/api/v1/development/evidence", "manager"),
    }
    assert len({path for path, _ in walked if "{" in path}) >= 20


def test_every_id_parameter_is_documented_with_its_bounds():
    for method, path, op in operations():
        for param in op.get("parameters", []):
            if param["name"] in NOT_IDS or not _is_integer(param["schema"]):
                continue
            schema = param["schema"]
            integer = schema if schema.get("type") == "integer" else next(
                s for s in schema["anyOf"] if s.get("type") == "integer")
            assert (integer.get("minimum"), integer.get("maximum")) == (1, MAX_ID), (method, path, param["name"])


@pytest.mark.parametrize("bad", BAD_IDS)
def test_out_of_range_ids_in_paths_and_queries_answer_422(company, api_as, bad):
    client = api_as("admin")
    for method, path, location, name in _id_parameters():
        if location == "path":
            response = client.generic(method.upper(), fill_path(path, replace=name, value=bad))
        else:
            response = client.generic(method.upper(), f"{fill_path(path)}?{name}={bad}")
        assert response.status_code == 422, (method, path, name, response.status_code, response.content[:200])
        error = error_of(response)
        assert error["code"] == "validation_error"
        named = [d for d in error["details"] if d["field"] == name and d["location"] == location]
        assert named, (method, path, name, error["details"])


def _body_id_fields() -> list[tuple[str, str, str]]:
    """(method, path, field) of every integer field of a JSON request body."""
    components = openapi()["components"]["schemas"]
    out = []
    for method, path, op in operations():
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if not body:
            continue
        model = components[body["$ref"].rsplit("/", 1)[1]] if "$ref" in body else body
        out += [(method, path, field) for field, prop in model.get("properties", {}).items() if _is_integer(prop)]
    return out


def test_out_of_range_ids_in_bodies_answer_422(company, api_as):
    fields = _body_id_fields()
    assert {(path, field) for _, path, field in fields} >= {
        ("/api/v1/training/enrolments", "person"),
        ("/api/v1/development/evidence", "manager_id"),
    }
    client = api_as("admin")
    for method, path, field in fields:
        for bad in BAD_IDS:
            response = client.generic(method.upper(), fill_path(path), json.dumps({field: int(bad)}),
                                      content_type="application/json")
            assert response.status_code == 422, (method, path, field, bad, response.status_code)
            named = [d for d in error_of(response)["details"] if d["field"] == field and d["location"] == "body"]
            assert named, (method, path, field, bad)


def test_a_path_segment_that_is_not_a_number_is_an_unknown_endpoint(company, api_as):
    response = api_as("admin").get("/api/v1/people/12abc")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_ids_in_range_still_work(company, api_as):
    sam = company.sam
    response = api_as("admin").get(f"/api/v1/people/{sam.pk}")
    assert response.status_code == 200
    assert response.json()["full_name"] == sam.full_name
    listing = api_as("admin").get("/api/v1/people", {"manager": company.nora.pk})
    assert {p["id"] for p in listing.json()["items"]} == {company.sam.pk, company.sara.pk}
