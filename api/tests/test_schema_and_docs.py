"""The OpenAPI schema lists every endpoint; the interactive docs load only from this app (no CDN)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from api.tests.conftest import error_of
from api.tests.walk import fill_path, operations

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    ("get", "/api/v1/me"),
    ("get", "/api/v1/people"),
    ("get", "/api/v1/people/{person_id}"),
    ("get", "/api/v1/people/{person_id}/reports"),
    ("get", "/api/v1/people/{person_id}/tree"),
    ("get", "/api/v1/org-units"),
    ("get", "/api/v1/org-units/{unit_id}"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{token_id}"),
}


def _schema(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_schema_is_json_and_lists_every_endpoint(login):
    schema = _schema(login("sam"))
    assert schema["openapi"].startswith("3.")
    assert schema["info"] == {**schema["info"], "title": "Promoted API", "version": "1.0.0"}
    operations = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    assert operations >= ENDPOINTS


def test_every_operation_needs_auth_and_documents_the_error_body(login):
    schema = _schema(login("sam"))
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            assert op["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], (method, path)
            for status in ("401", "404", "422"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (method, path, status)
    codes = schema["components"]["schemas"]["ErrorInfo"]["properties"]["code"]["enum"]
    assert set(codes) == {"not_found", "unauthorized", "forbidden", "validation_error", "bad_request",
                          "server_error"}


def test_schemas_do_not_leak_internal_fields(login):
    components = _schema(login("sam"))["components"]["schemas"]
    for name in ("PersonOut", "OrgUnitOut", "OrgUnitDetailOut", "TreePersonOut", "TokenOut"):
        fields = set(components[name]["properties"])
        assert not fields & {"path", "depth", "digest", "user", "password"}, name
    assert components["PersonOut"]["properties"]["hire_date"]["anyOf"][0] == {"format": "date", "type": "string"}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action") and value:
                self.refs.append(value)


def test_docs_page_references_no_external_host(login):
    client = login("nora")
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    parser = _Refs()
    parser.feed(html)
    assert parser.refs, "the page should load its assets"
    for ref in parser.refs:
        parsed = urlparse(ref)
        assert not parsed.scheme, f"external reference: {ref}"
        assert not parsed.netloc, f"external reference: {ref}"
    assert "cdn" not in html.lower()
    # Swagger UI's default validator badge would call validator.swagger.io: switched off.
    settings_json = html.split('id="swagger-settings">', 1)[1].split("</script>", 1)[0]
    swagger_settings = json.loads(settings_json)
    assert swagger_settings["validatorUrl"] is None
    assert swagger_settings["url"] == "/api/v1/openapi.json"
    # The assets it references are served by the app itself.
    scripts_and_styles = [r for r in parser.refs if r.startswith("/static/")]
    assert any(r.endswith("swagger-ui-bundle.js") for r in scripts_and_styles)
    for ref in scripts_and_styles:
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert len(body) > 1000, ref


def test_docs_page_sends_csrf_for_try_it_out(login):
    html = login("nora").get("/api/v1/docs").content.decode()
    assert 'data-api-csrf="true"' in html
    assert 'data-csrf-token=""' not in html


def test_nav_api_item_points_at_the_docs(login):
    assert reverse("api-1.0.0:openapi-view") == "/api/v1/docs"
    html = login("sam").get("/").content.decode()
    assert 'href="/api/v1/docs"' in html


def _error_ref(response: dict) -> str:
    return response["content"]["application/json"]["schema"]["$ref"]


def test_every_operation_with_a_body_documents_the_400_for_a_body_that_is_not_json():
    with_body = [(method, path, op) for method, path, op in operations() if "requestBody" in op]
    assert len(with_body) >= 10
    for method, path, op in with_body:
        assert _error_ref(op["responses"][400]).endswith("/ErrorOut"), (method, path)
    for method, path, op in operations():
        if "requestBody" not in op:
            assert 400 not in op["responses"], (method, path)


def test_unsafe_operations_document_the_csrf_403_and_all_the_token_429():
    for method, path, op in operations():
        assert _error_ref(op["responses"][429]).endswith("/ErrorOut"), (method, path)
        if method != "get":
            assert _error_ref(op["responses"][403]).endswith("/ErrorOut"), (method, path)


def test_every_operation_with_a_body_answers_the_documented_400_for_malformed_json(company, api_as):
    client = api_as("admin")
    for method, path, op in operations():
        if "requestBody" not in op:
            continue
        response = client.generic(method.upper(), fill_path(path), "{not json", content_type="application/json")
        assert response.status_code == 400, (method, path, response.status_code)
        assert error_of(response) == {"code": "bad_request", "message": "Cannot parse request body",
                                      "details": []}, (method, path)


def test_the_schema_served_is_the_one_with_the_framework_errors(login):
    served = _schema(login("sam"))
    assert served["paths"]["/api/v1/tokens"]["post"]["responses"]["400"]["description"].startswith(
        "The body is not JSON")


def test_the_schema_is_generated_once_and_the_docs_page_shows_text_at_once(login, monkeypatch):
    # The docs page waited seconds for the schema on every visit: it is now generated once per process.
    from api.urls import api

    calls = []
    real = type(api).get_openapi_schema

    def counting(self, **kwargs):
        calls.append(kwargs)
        return real(self, **kwargs)

    monkeypatch.setattr(type(api), "get_openapi_schema", counting)
    client = login("nora")
    answers = [client.get("/api/v1/openapi.json") for _ in range(3)]
    assert all(a.status_code == 200 for a in answers)
    assert answers[0].content == answers[2].content
    assert json.loads(answers[2].content)["info"]["title"] == "Promoted API"
    assert len(calls) <= 1, calls  # none when an earlier test in this process already generated it
    # Signed out, the schema still answers 401 (the cache sits behind the credentials check).
    client.logout()
    assert client.get("/api/v1/openapi.json").status_code == 401
    # The page says what is happening while Swagger UI fetches and draws the endpoints.
    html = login("sam").get("/api/v1/docs").content.decode()
    assert "Loading the list of endpoints" in html
