"""No text with a NUL character (\\x00) reaches the database: every endpoint answers 422 naming the field.

PostgreSQL cannot hold a NUL in text, so such a query parameter or body field was a 500 there. The walk reads the
OpenAPI schema, so a new endpoint's text parameters are covered without being listed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.tests.conftest import error_of
from api.tests.walk import fill_path, openapi, operations

pytestmark = pytest.mark.django_db


def _is_text(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" or any(s.get("type") == "string" for s in schema.get("anyOf", []))


def _assert_refused(response: Any, field: str, location: str) -> None:
    assert response.status_code == 422, (field, response.status_code, response.content[:200])
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert {"field": field, "location": location, "type": "string_nul",
            "message": "Text must not contain the NUL character (\\u0000)."} in error["details"]


def test_nul_in_any_text_query_parameter_is_refused(company, api_as):
    client = api_as("admin")
    walked = 0
    for method, path, op in operations():
        for param in op.get("parameters", []):
            if param["in"] == "query" and _is_text(param["schema"]):
                response = client.generic(method.upper(), f"{fill_path(path)}?{param['name']}=a%00b")
                _assert_refused(response, param["name"], "query")
                walked += 1
    assert walked >= 5  # q and region on people, q on org units, course on enrolments and sessions, ...


def test_nul_in_any_text_body_field_is_refused(company, api_as):
    components = openapi()["components"]["schemas"]
    client = api_as("admin")
    walked = 0
    for method, path, op in operations():
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        model = components[body["$ref"].rsplit("/", 1)[1]] if "$ref" in body else body
        for field, prop in model.get("properties", {}).items():
            if _is_text(prop):
                response = client.generic(method.upper(), fill_path(path), json.dumps({field: "a\x00b"}),
                                          content_type="application/json")
                _assert_refused(response, field, "body")
                walked += 1
    assert walked >= 10


def test_nested_fields_are_named_and_text_without_nul_is_untouched(company, api_as, login):
    client = login("nora")
    client.handler.enforce_csrf_checks = False
    nested = client.post("/api/v1/tokens", json.dumps({"name": "ok", "extra": [{"x": "\x00"}]}),
                         content_type="application/json")
    _assert_refused(nested, "extra.0.x", "body")
    made = client.post("/api/v1/tokens", json.dumps({"name": "laptop \\u0000 script"}),
                       content_type="application/json")
    assert made.status_code == 201  # the six characters \u0000, written out, are ordinary text
    people = api_as("admin").get("/api/v1/people", {"q": "Sam"})
    assert [p["full_name"] for p in people.json()["items"]] == ["Sam Acme"]
