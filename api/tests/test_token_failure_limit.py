"""Guessing API tokens is throttled: after 20 bad tokens in 10 minutes an address gets 429 with the error body."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from api.tests.conftest import error_of

pytestmark = pytest.mark.django_db

BAD = "pmt_" + "x" * 40


def _get(token: str, ip: str = "10.1.0.1"):  # type: ignore[no-untyped-def]
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR=ip)


def test_the_21st_bad_token_from_one_address_is_429_and_so_is_a_good_one(company, token_for):
    good = token_for("nora")
    for _ in range(20):
        response = _get(BAD)
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthorized"
    response = _get(BAD)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert "Too many rejected API tokens" in error_of(response)["message"]
    assert _get(good).status_code == 429
    # Another address is unaffected.
    response = _get(good, ip="10.1.0.2")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == company.user("nora").email


def test_good_tokens_do_not_count(company, token_for):
    good = token_for("sam")
    for _ in range(30):
        assert _get(good).status_code == 200
    assert _get(BAD).status_code == 401


def test_the_window_ends(company, token_for, monkeypatch):
    for _ in range(20):
        _get(BAD)
    assert _get(BAD).status_code == 429
    later = time.time() + 10 * 60 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert _get(token_for("sam")).status_code == 200


def test_the_limit_comes_from_settings(company, settings):
    settings.API_TOKEN_FAILURES_PER_IP = 2
    assert [_get(BAD).status_code for _ in range(3)] == [401, 401, 429]


def test_a_throttled_address_gets_401_from_the_schema_not_a_500(company, token_for, settings):
    settings.API_TOKEN_FAILURES_PER_IP = 1
    _get(BAD)
    response = Client().get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token_for('sam')}"},
                            REMOTE_ADDR="10.1.0.1")
    assert response.status_code == 401


def test_behind_a_proxy_the_forwarded_address_counts_not_the_proxys(company, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.API_TOKEN_FAILURES_PER_IP = 2

    def via_proxy(client_ip: str, spoofed: str = "1.2.3.4"):  # type: ignore[no-untyped-def]
        return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {BAD}",
                                                   "X-Forwarded-For": f"{spoofed}, {client_ip}"},
                            REMOTE_ADDR="10.9.9.9")

    assert [via_proxy("203.0.113.5", spoofed=f"1.2.3.{n}").status_code for n in range(3)] == [401, 401, 429]
    assert via_proxy("203.0.113.6").status_code == 401
