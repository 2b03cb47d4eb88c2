"""`manage.py demo`: build the demo company and every capability's demo data, then print one login per role.

See docs/demo.md. Each capability adds its data through a step registered in demo.registry; this command only runs
them in order.
"""

from __future__ import annotations

import os
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from demo.registry import DemoContext, DemoLogin, demo_reset, demo_steps
from people.models import Person

DEFAULT_DEMO_PASSWORD = "promoted-demo-2026"  # noqa: S105 - the documented demo password (docs/demo.md)
MIN_SELLERS, MAX_SELLERS = 10, 100_000


def logins_table(logins: list[DemoLogin], password: str) -> str:
    """The logins as a plain-text table: role, name, email, password, what the login shows."""
    header = ("Role", "Name", "Email", "Password", "What it shows")
    rows = [(login.role, login.name, login.email, password, login.shows) for login in logins]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4]

    rule = "  ".join("-" * width for width in widths) + "  " + "-" * len(header[4])
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


class Command(BaseCommand):
    help = (
        "Generate the demo company (deterministic from --seed, sized by --sellers), load it through the HR "
        "importer, add every capability's demo data and print one login per kind of user."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=7, help="Same seed, same company (default: 7).")
        parser.add_argument(
            "--sellers", type=int, default=120,
            help=f"Active sellers; managers, directors and other functions scale with it "
                 f"({MIN_SELLERS}-{MAX_SELLERS}, default: 120).",
        )
        parser.add_argument(
            "--reset", action="store_true",
            help="Wipe the existing data first: people, sign-ins, HR imports and every capability's demo data.",
        )
        parser.add_argument(
            "--only", default="",
            help="Comma-separated steps to run (e.g. people,training); default: every registered step. "
                 "The people step always runs.",
        )
        parser.add_argument(
            "--password", default=None,
            help=f"Password for the printed logins (default: $DEMO_PASSWORD, else {DEFAULT_DEMO_PASSWORD!r}).",
        )

    def handle(self, *args: Any, seed: int, sellers: int, reset: bool, password: str | None, only: str = "",
               **options: Any) -> None:
        steps = demo_steps()
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        unknown = wanted - {step.name for step in steps}
        if unknown:
            raise CommandError(
                f"Unknown demo step(s): {', '.join(sorted(unknown))}. Steps: {', '.join(s.name for s in steps)}."
            )
        if wanted:
            steps = [step for step in steps if step.name in wanted or step.name == "people"]
        password = password or os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("The demo password is too weak: " + " ".join(exc.messages)) from exc
        if not MIN_SELLERS <= sellers <= MAX_SELLERS:
            raise CommandError(f"--sellers must be between {MIN_SELLERS} and {MAX_SELLERS}, got {sellers}.")
        existing = Person.objects.count()
        if existing and not reset:
            raise CommandError(
                f"This database already has {existing} people. Run `manage.py demo --reset` to wipe them, their "
                "sign-ins, the HR imports and all demo data, and build a fresh demo company."
            )
        if reset:
            self.stdout.write("Wiping the existing data (people, sign-ins, HR imports, demo data) ...")
            demo_reset()

        data_dir = Path(settings.DATA_DIR) / "demo"
        data_dir.mkdir(parents=True, exist_ok=True)
        context = DemoContext(
            seed=seed, size=sellers, data_dir=data_dir, write=self.stdout.write, password=password,
        )
        for step in steps:
            started = time.monotonic()
            self.stdout.write(self.style.MIGRATE_HEADING(f"Demo step: {step.name}"))
            step.run(context)
            self.stdout.write(f"  done in {time.monotonic() - started:.1f} s")

        table = logins_table(context.logins, password)
        (data_dir / "logins.txt").write_text(table + "\n", encoding="utf-8")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo ready (seed {seed}, {sellers} sellers). Sign in with:"))
        self.stdout.write(table)
        self.stdout.write(f"\nEveryone else in the company has no password (they would use password reset). "
                          f"This table is also in {data_dir / 'logins.txt'}.")
