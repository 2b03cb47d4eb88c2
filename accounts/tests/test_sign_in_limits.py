"""Guessing is throttled: sign-in lockouts on both sign-in pages, and a cap on password reset emails."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/login/"
ADMIN_SIGN_IN = "/admin/login/"


def _sign_in(client: Client, url: str, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR="10.0.0.1")


@pytest.mark.parametrize("url", [SIGN_IN, ADMIN_SIGN_IN])
def test_after_five_wrong_passwords_even_the_right_one_is_refused(client, company, url):
    email = company.admin.email
    for _ in range(5):
        response = _sign_in(client, url, email, "not-the-password")
        assert response.status_code in (200, 429)
    response = _sign_in(client, url, email, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert b"Sign-in paused for 15 minutes" in response.content
    assert b"/accounts/password-reset/" in response.content
    assert client.get("/").status_code == 302  # still signed out


def test_four_failures_then_the_right_password_signs_in_and_clears_the_count(client, company):
    email = company.user("nora").email
    for _ in range(4):
        assert _sign_in(client, SIGN_IN, email, "not-the-password").status_code == 200
    assert _sign_in(client, SIGN_IN, email, DEFAULT_PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=email).exists()
    client.logout()
    # With the count cleared, four more failures still leave the account open.
    for _ in range(4):
        assert _sign_in(client, SIGN_IN, email, "not-the-password").status_code == 200
    assert _sign_in(client, SIGN_IN, email, DEFAULT_PASSWORD).status_code == 302


def test_the_lock_is_per_account_whatever_the_case_and_address(company):
    for n in range(5):
        Client().post(SIGN_IN, {"username": "NORA@acme.example", "password": "x"}, REMOTE_ADDR=f"10.0.1.{n}")
    response = Client().post(SIGN_IN, {"username": "nora@acme.example", "password": DEFAULT_PASSWORD},
                             REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 429
    # Someone else, from another address, is not affected.
    other = Client().post(SIGN_IN, {"username": "sam@acme.example", "password": DEFAULT_PASSWORD},
                          REMOTE_ADDR="10.0.2.2")
    assert other.status_code == 302


def test_the_lock_is_per_address_across_accounts(company):
    client = Client()
    for who in ["vera", "dirk", "mick", "sid", "sara"]:
        _sign_in(client, SIGN_IN, company.user(who).email, "guess-1")
    assert _sign_in(client, SIGN_IN, company.user("sam").email, DEFAULT_PASSWORD).status_code == 429


def test_lockouts_are_listed_for_administrators(login, company):
    for _ in range(5):
        _sign_in(Client(), SIGN_IN, "nora@acme.example", "x")
    client = login("admin")
    response = client.get("/admin/axes/accessattempt/")
    assert response.status_code == 200
    assert b"nora@acme.example" in response.content


def test_the_limits_come_from_settings(client, company, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = settings.AXES_COOLOFF_TIME / 3
    for _ in range(2):
        _sign_in(client, SIGN_IN, "sam@acme.example", "x")
    response = _sign_in(client, SIGN_IN, "sam@acme.example", DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert b"Sign-in paused for 5 minutes" in response.content


# --- Password reset -----------------------------------------------------------------------------------------------


def _reset(client: Client, email: str, ip: str = "10.0.0.9"):  # type: ignore[no-untyped-def]
    return client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=ip, follow=True)


def test_fifteen_resets_for_one_address_send_three_emails_and_all_look_the_same(client, company):
    responses = [_reset(client, "sam@acme.example", ip=f"10.0.3.{n}") for n in range(15)]
    assert len(mail.outbox) == 3
    assert {r.redirect_chain[-1][0] for r in responses} == {"/accounts/password-reset/sent/"}
    assert all(b"Check your email" in r.content for r in responses)


def test_the_address_limit_folds_case(client, company):
    for email in ["sam@acme.example", "SAM@acme.example", "Sam@Acme.Example", "sAm@acme.example"]:
        _reset(client, email)
    assert len(mail.outbox) == 3


def test_one_client_address_gets_twenty_resets_an_hour_across_addresses(client, company, settings):
    settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = 100
    for _ in range(20):
        _reset(client, "nobody@acme.example")
    _reset(client, "sam@acme.example")
    assert mail.outbox == []
    # Another client address is not affected.
    _reset(client, "sam@acme.example", ip="10.0.4.1")
    assert len(mail.outbox) == 1


def test_a_reset_window_ends(client, company, monkeypatch):
    import time

    for _ in range(4):
        _reset(client, "sam@acme.example")
    assert len(mail.outbox) == 3
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    _reset(client, "sam@acme.example")
    assert len(mail.outbox) == 4
