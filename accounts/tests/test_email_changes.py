"""A sign-in moves to a new email only when its owner, signed in, confirms from the link sent to the new address."""

from __future__ import annotations

import re

import pytest
from django.core import signing

from accounts.email_changes import confirmation_token, sign_in_email_change_request
from accounts.models import SignInEmailChange, User
from core.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def change(company, mailoutbox, django_capture_on_commit_callbacks) -> SignInEmailChange:
    with django_capture_on_commit_callbacks(execute=True):
        made = sign_in_email_change_request(user=company.sam.user, new_email="Samuel@acme.example")
    assert made is not None
    return made


def link_in(mailoutbox, to: str) -> str:
    message = next(m for m in mailoutbox if m.to == [to])
    found = re.search(r"http://[^/\s]+(/accounts/sign-in-email/[^\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_the_new_address_gets_a_link_and_the_old_one_a_notice(change, mailoutbox):
    assert change.new_email == "samuel@acme.example"
    assert link_in(mailoutbox, "samuel@acme.example").startswith("/accounts/sign-in-email/")
    notice = next(m for m in mailoutbox if m.to == ["sam@acme.example"])
    assert "stays sam@acme.example" in notice.body
    assert "/accounts/sign-in-email/" not in notice.body  # the old mailbox cannot confirm


def test_the_owner_confirms_and_signs_in_with_the_new_address(change, mailoutbox, login, client,
                                                              django_capture_on_commit_callbacks):
    url = link_in(mailoutbox, "samuel@acme.example")
    login("sam")
    page = client.get(url).content.decode()
    assert "Sign in with samuel@acme.example from now on" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    user = User.objects.get(pk=change.user_id)
    assert user.email == "samuel@acme.example"
    assert AuditEvent.objects.filter(action="account.sign_in_email_changed", target_id=str(user.pk)).exists()
    assert mailoutbox[-1].to == ["sam@acme.example"]
    assert client.post(url).status_code == 400  # the link works once
    client.logout()
    assert client.login(email="samuel@acme.example", password=DEFAULT_PASSWORD)  # the password stays the same


def test_nobody_else_can_confirm(change, mailoutbox, login, client):
    url = link_in(mailoutbox, "samuel@acme.example")
    login("hana")
    response = client.post(url)
    assert response.status_code == 400
    assert "not for the account you are signed in with" in response.content.decode()
    assert User.objects.get(pk=change.user_id).email == "sam@acme.example"


def test_signed_out_the_link_asks_to_sign_in_first(change, mailoutbox, client):
    url = link_in(mailoutbox, "samuel@acme.example")
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert User.objects.get(pk=change.user_id).email == "sam@acme.example"


def test_tampered_and_expired_links_are_refused(change, login, client, settings):
    login("sam")
    token = confirmation_token(change)
    forged = signing.dumps({"change": change.pk, "email": "evil@evil.example"}, salt="other", compress=True)
    for bad in (token[:-2] + "xx", forged):
        response = client.post(f"/accounts/sign-in-email/{bad}/")
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert User.objects.get(pk=change.user_id).email == "sam@acme.example"


def test_an_address_taken_meanwhile_is_refused(change, mailoutbox, login, client):
    url = link_in(mailoutbox, "samuel@acme.example")
    User.objects.create_user(email="samuel@acme.example")
    login("sam")
    response = client.post(url)
    assert response.status_code == 400
    assert "Another account already signs in with samuel@acme.example" in response.content.decode()


def test_a_newer_address_cancels_the_older_request(change, company):
    newer = sign_in_email_change_request(user=company.sam.user, new_email="s.acme@acme.example")
    change.refresh_from_db()
    assert not change.is_open
    assert newer is not None
    assert newer.is_open
    assert sign_in_email_change_request(user=company.sam.user, new_email="sam@acme.example") is None
    newer.refresh_from_db()
    assert not newer.is_open
