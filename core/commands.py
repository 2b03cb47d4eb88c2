"""The base of management commands run on someone's behalf: one `--as EMAIL` option, one way to read it."""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class ActingCommand(BaseCommand):
    """A command whose work is recorded as (and, where the command says so, scoped to) the user given with
    `--as EMAIL`; without it, the command line. Subclasses call `super().add_arguments(parser)` and read the user
    with `self.acting_user(options)`."""

    as_help: ClassVar[str] = "Record the work as done by this user (email)."
    # Only an active sign-in may act (for commands scoped to what the user may see).
    as_must_be_active: ClassVar[bool] = False
    # Older spellings still accepted, hidden from --help (kept for scripts written against them).
    as_deprecated_aliases: ClassVar[tuple[str, ...]] = ()

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="acting_email", metavar="EMAIL", default="", help=self.as_help)
        for alias in self.as_deprecated_aliases:
            parser.add_argument(alias, dest="acting_email", metavar="EMAIL", help=argparse.SUPPRESS)

    def acting_user(self, options: dict[str, Any]) -> Any | None:
        """The user named by `--as`, None when it was not given; a CommandError when nobody has that email."""
        email = (options.get("acting_email") or "").strip()
        if not email:
            return None
        users = get_user_model().objects.filter(email__iexact=email)
        if self.as_must_be_active:
            users = users.filter(is_active=True)
        user = users.first()
        if user is None:
            active = "active " if self.as_must_be_active else ""
            raise CommandError(f"No {active}user with the email {email}.")
        return user
