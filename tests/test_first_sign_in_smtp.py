"""A person imported from the HR file sets their first password from an email that really travels over SMTP.

The email goes through Django's SMTP backend to an aiosmtpd server on loopback, so the message a person receives
(headers, encoding, the link) is the one tested, not an in-memory copy.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from accounts.models import User
from people.tests.fixtures.hr_files import new_row, run_import

pytestmark = pytest.mark.django_db


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[_Inbox]:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def test_an_imported_person_sets_their_first_password_from_a_real_email(client, company, smtp_inbox):
    record = run_import([new_row("E6100", "Fia", "First", org_unit_code="NA")], actor=company.admin, full=False)
    assert record.status == "succeeded", record.errors
    user = User.objects.get(email="fia.first@acme.example")
    assert not user.has_usable_password()  # imported people have no password until they choose one

    response = client.post("/accounts/password-reset/", {"email": "fia.first@acme.example"}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/password-reset/sent/"
    assert len(smtp_inbox.messages) == 1
    message = smtp_inbox.messages[0]
    assert message["To"] == "fia.first@acme.example"
    body = message.get_content()
    assert "for the first time" in body
    link = re.search(r"http://[^/\s]+(/accounts/reset/\S+/)", body)
    assert link is not None

    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    new = "fia-chooses-a-long-one-9"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    client.logout()
    response = client.post("/accounts/login/", {"username": "fia.first@acme.example", "password": new})
    assert response.status_code == 302
    assert client.get("/").context["me"].employee_id == "E6100"


def test_no_email_leaves_for_an_address_without_an_account(client, company, smtp_inbox):
    response = client.post("/accounts/password-reset/", {"email": "nobody@acme.example"}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/password-reset/sent/"
    assert smtp_inbox.messages == []
