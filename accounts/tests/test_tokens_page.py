"""The API tokens page: create (raw value shown once), list own tokens only, revoke (also via htmx)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import ApiToken
from accounts.services import api_token_create
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/accounts/tokens/"
RAW = re.compile(r"pmt_[A-Za-z0-9_-]{43}")


def _raw_tokens_in(response) -> set[str]:
    return set(RAW.findall(response.content.decode()))


def test_page_needs_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_empty_page_offers_the_form(login):
    response = login("nora").get(URL)
    assert response.status_code == 200
    assert response.context["page_title"] == "API tokens"
    html = response.content.decode()
    assert "You have no API tokens yet." in html
    assert 'name="name"' in html
    assert "/api/v1/docs" in html


def test_user_menu_links_to_the_page(login):
    html = login("sam").get("/").content.decode()
    assert f'href="{URL}"' in html


def test_create_shows_the_raw_token_exactly_once(login, company):
    client = login("nora")
    response = client.post(URL, {"name": "Weekly export"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    (raw,) = _raw_tokens_in(response)
    token = ApiToken.objects.get()
    assert token.user == company.user("nora")
    assert token.name == "Weekly export"
    assert token.digest == ApiToken.digest_of(raw)
    assert raw.startswith(token.prefix)
    assert "only time it is shown" in response.content.decode()

    # The token works straight away, as its owner.
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.json()["user"]["email"] == "nora@acme.example"

    # Coming back to the page lists it, by prefix only: the raw value is gone for good.
    again = client.get(URL)
    assert _raw_tokens_in(again) == set()
    html = again.content.decode()
    assert "Weekly export" in html
    assert f"{token.prefix}…" in html
    assert "Active" in html


def test_create_is_audited(login, company):
    login("nora").post(URL, {"name": "Weekly export"})
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor == company.user("nora")
    assert event.target_id == str(ApiToken.objects.get().pk)
    assert "Weekly export" in event.summary


def test_blank_name_is_refused_with_a_clear_message(login):
    response = login("nora").post(URL, {"name": "   "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert _raw_tokens_in(response) == set()
    assert not ApiToken.objects.exists()


def test_overlong_name_is_refused(login):
    response = login("nora").post(URL, {"name": "x" * 101})
    assert response.status_code == 422
    assert "at most 100 characters" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_page_lists_only_your_own_tokens(login, company):
    api_token_create(user=company.user("mick"), name="Mick's secret script")
    api_token_create(user=company.user("nora"), name="Nora's report")
    html = login("nora").get(URL).content.decode()
    assert "Nora&#x27;s report" in html
    assert "Mick" not in html


def test_revoke_stops_the_token_and_is_audited(login, company):
    token, raw = api_token_create(user=company.user("nora"), name="Old script")
    client = login("nora")
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert response.redirect_chain[-1][0] == URL
    html = response.content.decode()
    assert "Revoked “Old script”" in html
    assert "Revoked " in html
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked", target_id=str(token.pk)).count() == 1
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    # The revoke button is gone for a revoked token.
    assert f"/accounts/tokens/{token.pk}/revoke/" not in html


def test_revoke_with_htmx_returns_the_updated_row(login, company):
    token, _ = api_token_create(user=company.user("nora"), name="Old script")
    response = login("nora").post(f"/accounts/tokens/{token.pk}/revoke/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="token-{token.pk}">')
    assert "Revoked" in html
    assert "<html" not in html
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_someone_elses_token_cannot_be_revoked(login, company):
    token, raw = api_token_create(user=company.user("mick"), name="Mick's script")
    response = login("nora").post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert not AuditEvent.objects.filter(action="api_token.revoked").exists()


def test_missing_token_is_the_same_404(login):
    assert login("nora").post("/accounts/tokens/999999/revoke/").status_code == 404


def test_revoke_needs_post(login, company):
    token, _ = api_token_create(user=company.user("nora"), name="Old script")
    assert login("nora").get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_needs_csrf(company):
    from tests.factories import DEFAULT_PASSWORD

    token, _ = api_token_create(user=company.user("nora"), name="Old script")
    client = Client(enforce_csrf_checks=True)
    client.login(email="nora@acme.example", password=DEFAULT_PASSWORD)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
