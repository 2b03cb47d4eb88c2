"""Helpers for calling the API as a persona, by token or by session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.services import api_token_create

PERSONAS = ["admin", "vera", "dirk", "nora", "mick", "sam", "sara", "lou", "sid", "hana", "otto", "eve"]


@pytest.fixture
def token_for(company) -> Callable[[str], str]:
    """token_for("nora") creates a personal API token for that persona and returns the raw value."""

    def _token(who: str) -> str:
        _, raw = api_token_create(user=company.user(who), name=f"{who} test token")
        return raw

    return _token


@pytest.fixture
def api_as(token_for) -> Callable[[str], Client]:
    """api_as("nora") is a client that sends nora's bearer token on every request (no session, CSRF enforced)."""

    def _client(who: str) -> Client:
        return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token_for(who)}"})

    return _client


def error_of(response: Any) -> dict[str, Any]:
    """The error object of an error response, after checking the body has exactly the agreed shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    return body["error"]
