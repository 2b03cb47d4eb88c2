"""manage.py link_crm_users LINKS.csv [--as EMAIL]: link many CRM users to people at once.

The CSV has a header row and two columns: `crm_user_id` (the CRM's user or owner id, as on the import page) and
`person` (the person's work email or employee id). Each link is audit-logged like one made on the import page,
beats automatic matching in every later import, and is written into the store by the worker (or at once with
--sync).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q

from crm import services
from crm.importing.fields import salesforce_id18_py
from people.models import Person


class Command(BaseCommand):
    help = "Link CRM users to people from a CSV file with columns crm_user_id and person (email or employee id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--as", dest="actor", help="Record the links as made by this user (email).")
        parser.add_argument("--sync", action="store_true", help="Write the links into the store now.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = None
        if options.get("actor"):
            actor = get_user_model().objects.filter(email__iexact=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no user with email {options['actor']}")
        rows = self._rows(path)
        with transaction.atomic():
            for crm_user_id, person in rows:
                services.crm_user_link_set(actor=actor, crm_user_id=crm_user_id, crm_user_name="", person=person,
                                           apply=False)
            if not options["sync"]:
                services.crm_links_enqueue()
        self.stdout.write(f"Linked {len(rows)} CRM user(s) to people.")
        if options["sync"]:
            changed = services.crm_links_apply()
            self.stdout.write(f"The store now has {changed} changed link(s).")

    def _rows(self, path: Path) -> list[tuple[str, Person]]:
        problems: list[str] = []
        rows: list[tuple[str, Person]] = []
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = {"crm_user_id", "person"} - {h.strip() for h in reader.fieldnames or []}
            if missing:
                raise CommandError(f"{path.name}: row 1 lacks the column(s) {', '.join(sorted(missing))}")
            for number, row in enumerate(reader, start=2):
                crm_user_id = salesforce_id18_py((row.get("crm_user_id") or "").strip())
                query = (row.get("person") or "").strip()
                person = Person.objects.filter(Q(email__iexact=query) | Q(employee_id__iexact=query)).first()
                if not crm_user_id:
                    problems.append(f"{path.name}, row {number}, column crm_user_id: is empty")
                elif person is None:
                    problems.append(f"{path.name}, row {number}, column person: no person has the work email or "
                                    f"employee id {query!r}")
                else:
                    rows.append((crm_user_id, person))
        if problems:
            raise CommandError("Nothing was linked:\n" + "\n".join(problems[:200]))
        return rows
