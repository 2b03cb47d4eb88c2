"""The base of commands run on someone's behalf: `--as EMAIL` (and a command's hidden older spelling)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError

from core.commands import ActingCommand

pytestmark = pytest.mark.django_db


class _Command(ActingCommand):
    as_deprecated_aliases = ("--actor",)

    def handle(self, *args: Any, **options: Any) -> None:
        self.acting = self.acting_user(options)


class _ActiveOnly(_Command):
    as_must_be_active = True


def _acting(command: ActingCommand, *argv: str) -> Any:
    parser = command.create_parser("manage.py", "test")
    options = vars(parser.parse_args(list(argv)))
    return command.acting_user(options)


def test_as_names_the_user_by_email_and_the_old_spelling_still_works():
    user = get_user_model().objects.create_user(email="hana@acme.example", password="x")
    assert _acting(_Command(), "--as", " HANA@acme.example ") == user
    assert _acting(_Command(), "--actor", "hana@acme.example") == user
    assert _acting(_Command()) is None


def test_the_old_spelling_is_hidden_from_help():
    help_text = _Command().create_parser("manage.py", "test").format_help()
    assert "--as EMAIL" in help_text
    assert "--actor" not in help_text


def test_an_unknown_or_inactive_user_is_refused():
    get_user_model().objects.create_user(email="gone@acme.example", password="x", is_active=False)
    with pytest.raises(CommandError, match=r"No user with the email ghost@acme\.example\."):
        _acting(_Command(), "--as", "ghost@acme.example")
    assert _acting(_Command(), "--as", "gone@acme.example") is not None
    with pytest.raises(CommandError, match=r"No active user with the email gone@acme\.example\."):
        _acting(_ActiveOnly(), "--as", "gone@acme.example")
