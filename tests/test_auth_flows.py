from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_with_work_email_and_sign_out(client, company):
    response = client.post("/accounts/login/", {"username": "NORA@acme.example", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["me"] == company.nora
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_says_so_without_revealing_which_part(client, company):
    response = client.post("/accounts/login/", {"username": "nora@acme.example", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content


def test_logout_requires_post(login):
    client = login("nora")
    assert client.get("/accounts/logout/").status_code == 405


def test_password_reset_by_email_sets_a_new_password(client, company):
    client.post("/accounts/password-reset/", {"email": "sam@acme.example"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    new = "a-fresh-passphrase-42"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert client.login(email="sam@acme.example", password="a-fresh-passphrase-42")


def test_a_person_who_never_set_a_password_can_set_their_first_one_by_email(client, company):
    user = company.user("sam")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    client.post("/accounts/password-reset/", {"email": "SAM@acme.example"})
    assert len(mail.outbox) == 1
    assert "for the first time" in mail.outbox[0].body
    link = re.search(r"http://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    new = "my-first-passphrase-7"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert client.login(email="sam@acme.example", password=new)
    # The link worked once: the password it was bound to is gone.
    client.logout()
    assert client.get(link.group(1), follow=True).context["validlink"] is False


def test_an_inactive_account_without_a_password_gets_no_link(client, company):
    user = company.user("sam")
    user.set_unusable_password()
    user.is_active = False
    user.save(update_fields=["password", "is_active"])
    client.post("/accounts/password-reset/", {"email": "sam@acme.example"})
    assert mail.outbox == []


def test_password_reset_for_unknown_email_sends_nothing_and_looks_the_same(client, company):
    response = client.post("/accounts/password-reset/", {"email": "nobody@acme.example"}, follow=True)
    assert b"Check your email" in response.content
    assert mail.outbox == []


def test_forms_reject_missing_csrf_token(company):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": "nora@acme.example", "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    assert b"This form has expired" in response.content


def test_audit_log_is_read_only_in_admin(login, company):
    from core.services import audit_log

    event = audit_log(actor=company.admin, action="test.thing", target=company.sam, summary="did a thing")
    client = login("admin")
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
