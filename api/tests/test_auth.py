"""Who may call the API: session (with CSRF for writes) or personal token; everyone else gets 401."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_revoke
from api.tests.conftest import error_of
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def _session_client(company, who: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.login(email=company.user(who).email, password=DEFAULT_PASSWORD)
    return client


def _csrf_token(client: Client) -> str:
    client.get("/accounts/tokens/")  # any page with a form sets the CSRF cookie
    return client.cookies["csrftoken"].value


# --- No credentials ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/me", "/api/v1/people", "/api/v1/people/1", "/api/v1/org-units",
                                 "/api/v1/tokens", "/api/v1/openapi.json"])
def test_anonymous_gets_401_with_error_body(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    error = error_of(response)
    assert error["code"] == "unauthorized"
    assert "Bearer" in error["message"]


def test_anonymous_write_is_401_not_a_csrf_403(company):
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert not ApiToken.objects.exists()


def test_docs_page_sends_anonymous_people_to_sign_in(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Session -------------------------------------------------------------------------------------------------


def test_session_reads_without_csrf(company):
    client = _session_client(company, "nora")
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "nora@acme.example"


def test_session_write_without_csrf_token_is_forbidden(company):
    client = _session_client(company, "nora")
    response = client.post("/api/v1/tokens", {"name": "script"}, content_type="application/json")
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "forbidden"
    assert "CSRF" in error["message"]
    assert not ApiToken.objects.exists()


def test_session_write_with_csrf_token_succeeds(company):
    client = _session_client(company, "nora")
    response = client.post(
        "/api/v1/tokens", {"name": "script"}, content_type="application/json",
        headers={"X-CSRFToken": _csrf_token(client)},
    )
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get()
    assert token.user == company.user("nora")
    assert token.digest == ApiToken.digest_of(body["raw"])
    assert body["token"]["name"] == "script"


def test_session_write_with_wrong_csrf_token_is_forbidden(company):
    client = _session_client(company, "nora")
    _csrf_token(client)
    response = client.post(
        "/api/v1/tokens", {"name": "script"}, content_type="application/json",
        headers={"X-CSRFToken": "x" * 64},
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_session_of_deactivated_user_is_401(company):
    client = _session_client(company, "nora")
    user = company.user("nora")
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


# --- Tokens --------------------------------------------------------------------------------------------------


def test_valid_token_authenticates_as_its_owner_and_records_use(company, token_for):
    raw = token_for("mick")
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "mick@acme.example"
    assert response.json()["person"]["id"] == company.mick.pk
    token = ApiToken.objects.get(digest=ApiToken.digest_of(raw))
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < dt.timedelta(seconds=10)


def test_token_writes_need_no_csrf(company, token_for):
    raw = token_for("nora")
    token = ApiToken.objects.get(digest=ApiToken.digest_of(raw))
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    response = client.delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_cannot_mint_more_tokens(company, token_for):
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token_for('nora')}"})
    response = client.post("/api/v1/tokens", {"name": "more"}, content_type="application/json")
    assert response.status_code == 403
    assert "session" in error_of(response)["message"]
    assert ApiToken.objects.count() == 1


def test_last_used_at_is_written_at_most_once_a_minute(company, token_for):
    raw = token_for("nora")
    token = ApiToken.objects.get(digest=ApiToken.digest_of(raw))
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    recent = timezone.now() - dt.timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    assert client.get("/api/v1/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == recent

    stale = timezone.now() - dt.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    assert client.get("/api/v1/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > stale + dt.timedelta(minutes=1)


def test_revoked_token_is_rejected(company, token_for):
    raw = token_for("nora")
    token = ApiToken.objects.get(digest=ApiToken.digest_of(raw))
    api_token_revoke(token=token, actor=company.user("nora"))
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "unauthorized"
    assert "revoked" in error["message"]


def test_token_of_deactivated_user_is_rejected(company, token_for):
    raw = token_for("nora")
    user = company.user("nora")
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = Client().get("/api/v1/people", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer garbage",
        "Bearer pmt_" + "A" * 43,  # well-formed, never issued
        "Bearer ",
        "Bearer pmt_",
        "Token pmt_" + "A" * 43,  # wrong scheme
        "Basic bm9yYUBhY21lLmV4YW1wbGU6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5LTk=",  # nora's password: not accepted
    ],
)
def test_garbage_credentials_are_rejected(company, token_for, header):
    token_for("nora")  # a real token exists; the garbage must not match it
    response = Client().get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_token_digest_not_raw_value_is_what_matches(company, token_for):
    raw = token_for("nora")
    digest = ApiToken.objects.get().digest
    assert digest != raw
    assert raw not in digest
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {digest}"})
    assert response.status_code == 401


def test_bad_token_with_valid_session_still_uses_the_session(company):
    client = _session_client(company, "nora")
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer pmt_" + "B" * 43})
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "nora@acme.example"


def test_openapi_schema_is_served_to_token_callers(company, token_for):
    response = Client().get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token_for('sam')}"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Promoted API"
