"""/api/v1/tokens: your own tokens only; revoking someone else's answers 404."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import ApiToken
from accounts.services import api_token_create
from api.tests.conftest import error_of
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_list_shows_only_your_tokens_without_secrets(company, login):
    mine, _ = api_token_create(user=company.user("nora"), name="Mine")
    api_token_create(user=company.user("mick"), name="Mick's")
    body = login("nora").get("/api/v1/tokens").json()
    assert [t["name"] for t in body] == ["Mine"]
    assert set(body[0]) == {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}
    assert body[0]["prefix"] == mine.prefix


def test_revoke_someone_elses_token_is_404(company, api_as):
    theirs, raw = api_token_create(user=company.user("mick"), name="Mick's")
    response = api_as("nora").delete(f"/api/v1/tokens/{theirs.pk}")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_a_token_can_revoke_itself(company, token_for):
    raw = token_for("nora")
    token = ApiToken.objects.get()
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.delete(f"/api/v1/tokens/{token.pk}").json()["revoked_at"] is not None
    assert client.get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoked", actor=company.user("nora")).count() == 1


def test_created_token_is_returned_once_and_works(company, login):
    client = login("sam")
    body = client.post("/api/v1/tokens", {"name": "Notebook"}, content_type="application/json").json()
    assert body["token"]["name"] == "Notebook"
    assert body["raw"].startswith(body["token"]["prefix"])
    assert body["raw"] not in client.get("/api/v1/tokens").content.decode()
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {body['raw']}"}).json()
    assert me["user"]["email"] == "sam@acme.example"
