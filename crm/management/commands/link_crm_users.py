"""manage.py link_crm_users LINKS.csv [--source SOURCE] [--as EMAIL] [--sync]: link many CRM users to people.

The CSV has a header row and two columns: `crm_user_id` (the CRM's user or owner id, as on the import page) and
`person` (the person's work email or employee id). Ids are read as the CRM they come from writes them (`--source`,
by default the source of the latest successful import): Salesforce ids of 15 characters get their 18-character
form, other CRMs' ids are kept as written. Each link is audit-logged like one made on the import page, beats
automatic matching in every later import, and is written into the store by the worker (or at once with --sync).
The command says how many links match a CRM user in the store and lists every one that does not.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.db.models import Q

from core.commands import ActingCommand
from crm import selectors, services, store
from crm.importing.registry import user_id_as_stored
from crm.models import CrmSource
from people.models import Person


@dataclass(frozen=True)
class LinkRow:
    row: int  # in the file, the header being row 1
    crm_user_id: str  # as the store writes it
    person: Person


class Command(ActingCommand):
    as_help = "Record the links as made by this user (email)."
    help = "Link CRM users to people from a CSV file with columns crm_user_id and person (email or employee id)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file")
        parser.add_argument("--source", choices=CrmSource.values,
                            help="The CRM the ids come from (default: the source of the latest successful import).")
        parser.add_argument("--sync", action="store_true", help="Write the links into the store now.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        source = options.get("source") or selectors.latest_import_source()
        if source is None:
            raise CommandError("No CRM import has succeeded yet, so it is not known how the ids are written: "
                               "give --source (salesforce, hubspot or mapped).")
        actor = self.acting_user(options)
        rows = self._rows(path, source)
        with transaction.atomic():
            for link in rows:
                services.crm_user_link_set(actor=actor, crm_user_id=link.crm_user_id, crm_user_name="",
                                           person=link.person, apply=False)
            if not options["sync"]:
                services.crm_links_enqueue()
        self._report(path, rows)
        if options["sync"]:
            changed = services.crm_links_apply()
            self.stdout.write(f"The store now has {changed} changed link(s).")

    def _rows(self, path: Path, source: str) -> list[LinkRow]:
        problems: list[str] = []
        rows: list[LinkRow] = []
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = {"crm_user_id", "person"} - {h.strip() for h in reader.fieldnames or []}
            if missing:
                raise CommandError(f"{path.name}: row 1 lacks the column(s) {', '.join(sorted(missing))}")
            for number, row in enumerate(reader, start=2):
                crm_user_id = user_id_as_stored(source, row.get("crm_user_id") or "")
                query = (row.get("person") or "").strip()
                person = Person.objects.filter(Q(email__iexact=query) | Q(employee_id__iexact=query)).first()
                if not crm_user_id:
                    problems.append(f"{path.name}, row {number}, column crm_user_id: is empty")
                elif person is None:
                    problems.append(f"{path.name}, row {number}, column person: no person has the work email or "
                                    f"employee id {query!r}")
                else:
                    rows.append(LinkRow(number, crm_user_id, person))
        if problems:
            raise CommandError("Nothing was linked:\n" + "\n".join(problems[:200]))
        return rows

    def _report(self, path: Path, rows: list[LinkRow]) -> None:
        try:
            known = selectors.crm_users_in_store([link.crm_user_id for link in rows])
        except store.StoreBusy as error:
            self.stdout.write(f"Saved {len(rows)} link(s); they could not be checked against the CRM data: {error}")
            return
        unmatched = [link for link in rows if link.crm_user_id not in known]
        self.stdout.write(f"Saved {len(rows)} link(s): {len(rows) - len(unmatched)} match a CRM user in the store, "
                          f"{len(unmatched)} match none.")
        if unmatched:
            self.stdout.write("No CRM user has these ids (the link applies once an import brings the id; check "
                              "the id against the import page):")
            for link in unmatched:
                person = link.person
                self.stdout.write(f"  {path.name}, row {link.row}: {link.crm_user_id!r} -> {person.full_name} "
                                  f"({person.employee_id}, {person.email})")
