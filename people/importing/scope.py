"""What the person importing an HR file may change.

An administrator (or the command line, run by whoever operates the server) may change everyone and set grants.
An HR partner may create and change only the people of the org units they support (and those units' sub-units),
may add org units only below those, and grants nothing: an `hr_partner_for` column must say what Promoted already
has. Everything else in their file is refused with its row, in words that name nobody outside their units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accounts.models import Role
from people.importing.state import Snapshot
from people.models import Person
from people.scoping import scope_for


@dataclass(frozen=True)
class ImportScope:
    unit_codes: frozenset[str] | None  # the org units the importer may change; None: everything
    supported: str = ""  # the importer's supported units, for messages ("North (N), South (S)")

    @property
    def is_everything(self) -> bool:
        return self.unit_codes is None

    @property
    def may_grant(self) -> bool:
        """Grants (`hr_partner_for`) in the file are applied only for an administrator."""
        return self.unit_codes is None

    def covers(self, person: Person, snapshot: Snapshot) -> bool:
        """Whether an existing person is among those the importer may change."""
        if self.unit_codes is None:
            return True
        return snapshot.code_of.get(person.org_unit_id or 0, "") in self.unit_codes


EVERYTHING = ImportScope(unit_codes=None)


def import_scope(*, actor: Any | None, snapshot: Snapshot) -> ImportScope:
    """The scope of an import by `actor` (None: the command line, which is the server's operator)."""
    if actor is None:
        return EVERYTHING
    scope = scope_for(actor)
    if scope.sees_everyone:
        return EVERYTHING
    paths = scope.hr_unit_paths if scope.has(Role.HR_PARTNER) else ()
    codes = frozenset(
        code for code, unit in snapshot.units.items() if any(unit.path.startswith(path) for path in paths)
    )
    roots = sorted(
        (unit for unit in snapshot.units.values() if unit.path in paths), key=lambda unit: unit.name
    )
    supported = ", ".join(f"{unit.name} ({unit.code})" for unit in roots) or "none"
    return ImportScope(unit_codes=codes, supported=supported)
