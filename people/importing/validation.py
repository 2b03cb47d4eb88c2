"""Checking every row of the HR file against the format and against each other, collecting every problem.

`validate` never stops at the first problem: the user fixes the whole file in one go. It reads the database only
through a `Snapshot` taken beforehand, so it runs no queries of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from people.importing.columns import (
    FROM_FUNCTION_COLUMN,
    FUNCTION_HINT,
    FUNCTION_WORDS,
    LEAVING_REASON_HINT,
    LEAVING_REASON_WORDS,
    MAX_LENGTHS,
    ORG_UNIT_KIND_HINT,
    ORG_UNIT_KIND_WORDS,
    STATUS_HINT,
    STATUS_WORDS,
    UNIT_DEFINITION_COLUMNS,
    FunctionSource,
    function_in,
    vocabulary_key,
)
from people.importing.reading import Cell, Issue, Sheet
from people.importing.scope import EVERYTHING, ImportScope
from people.importing.state import Snapshot
from people.models import EmploymentStatus, Function

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
K = TypeVar("K", bound=Hashable)


@dataclass
class PersonRow:
    """One person as the file gives them, parsed. Optional columns missing from the file hold "" / None."""

    row: int
    employee_id: str
    first_name: str
    last_name: str
    email: str
    function: str
    hire_date: dt.date | None
    department: str = ""
    job_title: str = ""
    manager_employee_id: str = ""
    org_unit_code: str = ""
    region: str = ""
    location: str = ""
    manager_since: dt.date | None = None
    status: str = EmploymentStatus.ACTIVE
    end_date: dt.date | None = None
    leaving_reason: str = ""
    hr_partner_for: list[str] = field(default_factory=list)
    has_errors: bool = False


@dataclass
class UnitDefinition:
    """An org unit as the rows of the file define it; each attribute remembers the row that gave it."""

    code: str
    first_row: int
    name: str = ""
    name_row: int = 0
    parent_code: str = ""
    parent_row: int = 0
    kind: str = ""
    kind_row: int = 0

    @property
    def is_defined(self) -> bool:
        """Named in the file: the file then says everything about it (no parent = top of the tree)."""
        return bool(self.name)


@dataclass
class Plan:
    """The validated content of the file."""

    columns: frozenset[str]
    people: list[PersonRow]
    units: dict[str, UnitDefinition]
    errors: list[Issue]
    warnings: list[Issue]


def find_cycles(parent_of: dict[K, K | None]) -> list[list[K]]:
    """Every loop in a child -> parent map (each node has at most one parent), in first-seen order."""
    state: dict[K, int] = {}  # 1: on the walk in progress, 2: finished
    cycles: list[list[K]] = []
    for start in parent_of:
        walk: list[K] = []
        node: K | None = start
        while node is not None and node in parent_of and node not in state:
            state[node] = 1
            walk.append(node)
            node = parent_of[node]
        if node is not None and state.get(node) == 1:
            cycles.append(walk[walk.index(node):])
        for visited in walk:
            state[visited] = 2
    return cycles


class _RowReader:
    """Reads one row's cells into typed values, recording a problem for each bad one."""

    def __init__(self, row: int, cells: dict[str, Cell], errors: list[Issue],
                 missing: frozenset[str] = frozenset()) -> None:
        self.row = row
        self.cells = cells
        self.errors = errors
        self.missing = missing  # required columns the file lacks: reported once, on the header, not on every row
        self.failed = False

    def error(self, column: str, value: Cell | None, message: str) -> None:
        shown = value.isoformat() if isinstance(value, dt.date) else (value or "")
        self.errors.append(Issue(self.row, column, shown[:200], message))
        self.failed = True

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.cells.get(column, "")
        text = value.isoformat() if isinstance(value, dt.date) else value
        if required and not text and column not in self.missing:
            self.error(column, text, "Required, but empty.")
        limit = MAX_LENGTHS.get(column)
        if limit is not None and len(text) > limit:
            self.error(column, text, f"Longer than {limit} characters.")
        return text

    def date(self, column: str, *, required: bool = False) -> dt.date | None:
        value = self.cells.get(column, "")
        if isinstance(value, dt.date):
            return value
        if not value:
            if required and column not in self.missing:
                self.error(column, value, "Required, but empty.")
            return None
        if _ISO_DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                self.error(column, value, "There is no such date. Dates are written YYYY-MM-DD.")
                return None
        self.error(column, value, "Not a date in the expected format YYYY-MM-DD (for example 2024-03-31).")
        return None

    def choice(self, column: str, words: dict[str, str], hint: str, *, required: bool = False) -> str:
        value = self.text(column, required=required)
        if not value:
            return ""
        found = words.get(vocabulary_key(value))
        if found is None:
            self.error(column, value, f"Unknown value. Use one of: {hint}.")
            return ""
        return found

    def function(self, source: FunctionSource) -> str:
        """The function column's value; where the file has none, the function named in `source.column`'s value,
        else `source.default`."""
        found = self.choice("function", FUNCTION_WORDS, FUNCTION_HINT, required=not source.given)
        if found or self.failed_on("function") or not source.given:
            return found
        if source.column and source.column not in self.missing:
            named = self.text(source.column)
            found, candidates = function_in(named)
            if found:
                return found
            if not source.default:
                labels = dict(Function.choices)
                what = ("is empty here" if not named else
                        f"'{named}' could be {' or '.join(labels[c] for c in candidates)}" if candidates else
                        f"'{named}' names no function Promoted knows")
                self.error(source.column, named, (
                    f"The function is taken from this column, but {what}. Give the person's function in a "
                    f"function column, or a function for everyone else (one of: {FUNCTION_HINT})."))
                return ""
        return source.default

    def failed_on(self, column: str) -> bool:
        return any(issue.row == self.row and issue.column == column for issue in self.errors)

    def email(self) -> str:
        value = self.text("email", required=True).lower()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.error("email", value, "Not a valid email address.")
        return value


def _parse_row(row: int, cells: dict[str, Cell], today: dt.date, errors: list[Issue],
               warnings: list[Issue], *, missing: frozenset[str] = frozenset(),
               function_source: FunctionSource = FROM_FUNCTION_COLUMN) -> PersonRow:
    read = _RowReader(row, cells, errors, missing)
    person = PersonRow(
        row=row,
        employee_id=read.text("employee_id", required=True),
        first_name=read.text("first_name", required=True),
        last_name=read.text("last_name", required=True),
        email=read.email(),
        function=read.function(function_source),
        hire_date=read.date("hire_date", required=True),
        department=read.text("department"),
        job_title=read.text("job_title"),
        manager_employee_id=read.text("manager_employee_id"),
        org_unit_code=read.text("org_unit_code"),
        region=read.text("region"),
        location=read.text("location"),
        manager_since=read.date("manager_since"),
        end_date=read.date("end_date"),
        leaving_reason=read.choice("leaving_reason", LEAVING_REASON_WORDS, LEAVING_REASON_HINT),
        hr_partner_for=[code.strip() for code in read.text("hr_partner_for").split(";") if code.strip()],
    )
    status = read.choice("status", STATUS_WORDS, STATUS_HINT)
    if person.end_date is not None and person.end_date < today:
        if status in (EmploymentStatus.ACTIVE, EmploymentStatus.ON_LEAVE):
            warnings.append(Issue(row, "status", read.text("status"), (
                f"The status says {status.replace('_', ' ')} but the end date {person.end_date} has passed, "
                "so the person was imported as inactive."
            )))
        status = EmploymentStatus.INACTIVE
    person.status = status or EmploymentStatus.ACTIVE

    if person.manager_employee_id and person.manager_employee_id == person.employee_id:
        read.error("manager_employee_id", person.manager_employee_id, "A person cannot be their own manager.")
    if person.hire_date is not None:
        if person.end_date is not None and person.end_date < person.hire_date:
            read.error("end_date", person.end_date, f"The end date is before the hire date ({person.hire_date}).")
        if person.manager_since is not None and person.manager_since < person.hire_date:
            read.error("manager_since", person.manager_since,
                       f"'Manager since' is before the hire date ({person.hire_date}).")
    if person.leaving_reason and person.end_date is None:
        read.error("leaving_reason", read.text("leaving_reason"),
                   "A leaving reason needs an end date; fill in the end date or leave the reason empty.")
    if not person.org_unit_code:
        given = [name for name in UNIT_DEFINITION_COLUMNS if read.text(name)]
        if given:
            read.error("org_unit_code", "", f"{', '.join(given)} given, but the unit has no org_unit_code.")
    read.choice("org_unit_kind", ORG_UNIT_KIND_WORDS, ORG_UNIT_KIND_HINT)  # reported here; merged per unit below
    person.has_errors = read.failed
    return person


class _Validator:
    def __init__(self, sheet: Sheet, snapshot: Snapshot, *, full: bool, today: dt.date,
                 scope: ImportScope = EVERYTHING, function_source: FunctionSource = FROM_FUNCTION_COLUMN) -> None:
        self.sheet = sheet
        self.function_source = function_source
        self.snapshot = snapshot
        self.scope = scope
        self.full = full
        self.today = today
        self.errors: list[Issue] = list(sheet.errors)  # the header's problems, reported with the rows'
        self.missing = sheet.missing
        if function_source.column and function_source.column not in sheet.columns:
            self.missing = self.missing | {function_source.column}
            self.error(1, function_source.column, "", (
                f"The function is to be taken from column '{function_source.column}', but the file has no such "
                "column."))
        self.warnings: list[Issue] = []
        self.people: list[PersonRow] = []
        self.by_id: dict[str, PersonRow] = {}  # first row of each employee id
        self.units: dict[str, UnitDefinition] = {}

    def error(self, row: int | None, column: str, value: str, message: str) -> None:
        self.errors.append(Issue(row, column, value[:200], message))

    def run(self) -> Plan:
        columns = self.sheet.columns
        for row, cells in self.sheet.rows:
            person = _parse_row(row, cells, self.today, self.errors, self.warnings, missing=self.missing,
                                function_source=self.function_source)
            self.people.append(person)
            self._merge_unit(row, cells, person)
        self._check_unique()
        self._check_units()
        self._check_managers()
        self._check_hr_partner_codes()
        self._check_sign_ins()
        if not self.scope.is_everything:
            self._check_scope()
        self.errors.sort(key=lambda issue: (issue.row or 0))
        self.warnings.sort(key=lambda issue: (issue.row or 0))
        return Plan(columns=columns, people=self.people, units=self.units, errors=self.errors,
                    warnings=self.warnings)

    # --- uniqueness -------------------------------------------------------------------------------------------
    def _check_unique(self) -> None:
        first_email: dict[str, int] = {}
        for person in self.people:
            if person.employee_id:
                first = self.by_id.setdefault(person.employee_id, person)
                if first is not person:
                    self.error(person.row, "employee_id", person.employee_id,
                               f"Employee id {person.employee_id} is also on row {first.row}; each person must "
                               "appear once.")
            if person.email:
                seen = first_email.setdefault(person.email, person.row)
                if seen != person.row:
                    self.error(person.row, "email", person.email,
                               f"This email is also on row {seen}; each person needs their own work email.")
        for person in self.people:
            owner_id = self.snapshot.email_owner.get(person.email)
            if owner_id and owner_id != person.employee_id and owner_id not in self.by_id:
                owner = self.snapshot.people[owner_id]
                if self.scope.covers(owner, self.snapshot):
                    self.error(person.row, "email", person.email, (
                        f"This email belongs to {owner.full_name} ({owner_id}) in Promoted, who is not in this "
                        "file. Use that employee id, or a different email."
                    ))
                else:
                    self.error(person.row, "email", person.email, (
                        "This email already belongs to someone else in Promoted; each person needs their own work "
                        "email."
                    ))

    # --- org units ------------------------------------------------------------------------------------------
    def _merge_unit(self, row: int, cells: dict[str, Cell], person: PersonRow) -> None:
        code = person.org_unit_code
        if not code:
            return
        unit = self.units.setdefault(code, UnitDefinition(code=code, first_row=row))
        name = _text(cells, "org_unit_name")
        parent = _text(cells, "org_unit_parent_code")
        kind = ORG_UNIT_KIND_WORDS.get(vocabulary_key(_text(cells, "org_unit_kind")), "")
        for column, value, attribute in (
            ("org_unit_name", name, "name"),
            ("org_unit_parent_code", parent, "parent_code"),
            ("org_unit_kind", kind, "kind"),
        ):
            if not value:
                continue
            current = getattr(unit, attribute)
            if not current:
                setattr(unit, attribute, value)
                setattr(unit, attribute.split("_")[0] + "_row", row)
            elif current != value:
                first_row = getattr(unit, attribute.split("_")[0] + "_row")
                self.error(row, column, _text(cells, column), (
                    f"Org unit {code} has {column} '{current}' on row {first_row} but '{value}' here; "
                    "one unit must be described the same way on every row."
                ))
        if parent and parent == code:
            self.error(row, "org_unit_parent_code", parent, f"Org unit {code} cannot be its own parent.")

    def _unit_known(self, code: str) -> bool:
        unit = self.units.get(code)
        return (unit is not None and unit.is_defined) or code in self.snapshot.units

    def _check_units(self) -> None:
        for code, unit in self.units.items():
            if not self._unit_known(code):
                self.error(unit.first_row, "org_unit_code", code, (
                    f"Unknown org unit code {code}: it is not in Promoted yet, so give its org_unit_name (and "
                    "org_unit_parent_code) on at least one row."
                ))
            if unit.parent_code and unit.parent_code != code and not self._unit_known(unit.parent_code):
                self.error(unit.parent_row, "org_unit_parent_code", unit.parent_code, (
                    f"Unknown org_unit_parent_code {unit.parent_code}: no row defines that unit (with its "
                    "org_unit_code and org_unit_name) and Promoted does not have it."
                ))
        parent_of: dict[str, str | None] = {
            code: self.snapshot.parent_code(existing) or None for code, existing in self.snapshot.units.items()
        }
        for code, unit in self.units.items():
            if unit.parent_code == code:
                continue  # reported as its own parent already
            if unit.is_defined or unit.parent_code:
                parent_of[code] = unit.parent_code or None
        for cycle in find_cycles(parent_of):
            in_file = [self.units[code] for code in cycle if code in self.units]
            first = min(in_file, key=lambda u: (not u.parent_row, u.parent_row or u.first_row), default=None)
            loop = " → ".join([*cycle, cycle[0]])
            self.error(first.parent_row or first.first_row if first else None, "org_unit_parent_code",
                       first.parent_code if first else "",
                       f"Org units form a loop: {loop}. A unit cannot sit below itself.")

    def _check_hr_partner_codes(self) -> None:
        if "hr_partner_for" not in self.sheet.columns:
            return
        for person in self.people:
            for code in person.hr_partner_for:
                if not self._unit_known(code):
                    self.error(person.row, "hr_partner_for", code, (
                        f"Unknown org unit code {code}: HR partners can only support units defined in this file "
                        "or already in Promoted."
                    ))

    # --- sign-ins and scope -----------------------------------------------------------------------------------
    def _check_sign_ins(self) -> None:
        """A work email that is already another account's sign-in would hand that account over: refuse it."""
        reported = {issue.row for issue in self.errors if issue.column == "email"}
        for person in self.people:
            if not person.email or person.row in reported:
                continue
            owner = self.snapshot.account_owner.get(person.email)
            if owner is None or owner == person.employee_id or owner in self.by_id:
                continue
            self.error(person.row, "email", person.email, (
                "This email is already used to sign in to Promoted by another account, so it cannot be this "
                "person's work email here. Use the person's own work email, or ask an administrator."
            ))

    def _check_scope(self) -> None:
        """An HR partner's file may change only the people and org units they support; it grants nothing."""
        codes = self.scope.unit_codes or frozenset()
        supported = self.scope.supported
        snapshot = self.snapshot
        allowed = set(codes)
        grown = True
        while grown:  # new units below a supported unit (or below such a new unit) are theirs too
            new = {c for c, u in self.units.items() if c not in snapshot.units and u.parent_code in allowed}
            grown = not new <= allowed
            allowed |= new
        for code, unit in self.units.items():
            existing_unit = snapshot.units.get(code)
            if existing_unit is None:
                if code not in allowed and unit.is_defined:
                    self.error(unit.first_row, "org_unit_parent_code", unit.parent_code, (
                        f"New org unit {code} must sit below one of the units you support: {supported}."
                    ))
            elif code not in codes:
                changed = (
                    (unit.name and unit.name != existing_unit.name)
                    or (unit.kind and unit.kind != existing_unit.kind)
                    or (unit.parent_code and unit.parent_code != snapshot.parent_code(existing_unit))
                )
                if changed:
                    self.error(unit.first_row, "org_unit_code", code, (
                        f"Org unit {code} is not one you support; only an administrator can change it. You support "
                        f"{supported}."
                    ))
            elif unit.parent_code and unit.parent_code != snapshot.parent_code(existing_unit) and (
                    unit.parent_code not in allowed):
                self.error(unit.parent_row, "org_unit_parent_code", unit.parent_code, (
                    f"You can move org unit {code} only below a unit you support: {supported}."
                ))
        has_unit_column = "org_unit_code" in self.sheet.columns
        for person in self.people:
            existing = snapshot.people.get(person.employee_id)
            if existing is not None and not self.scope.covers(existing, snapshot):
                self.error(person.row, "employee_id", person.employee_id, (
                    f"Employee id {person.employee_id} is not one of the people you support; only an "
                    f"administrator can import changes for them. You support {supported}."
                ))
                continue
            if has_unit_column:
                target = person.org_unit_code
            else:
                target = snapshot.code_of.get(existing.org_unit_id or 0, "") if existing is not None else ""
            if target not in allowed:
                self.error(person.row, "org_unit_code", target, (
                    f"Org unit {target} is not one you support; you can import people only into the units you "
                    f"support and their sub-units: {supported}." if target else
                    f"You can import people only into the units you support: {supported}; give one of them."
                ))
        if "hr_partner_for" in self.sheet.columns:
            for person in self.people:
                current = snapshot.hr_partner_codes.get(person.employee_id, frozenset())
                if frozenset(person.hr_partner_for) != current:
                    shown = ";".join(sorted(current))
                    self.error(person.row, "hr_partner_for", ";".join(person.hr_partner_for), (
                        "Only an administrator can change who is HR partner for which units. Leave this as "
                        + (f"Promoted has it ({shown})" if shown else "empty") + ", or leave the column out."
                    ))

    # --- reporting lines ------------------------------------------------------------------------------------
    def _check_managers(self) -> None:
        has_column = "manager_employee_id" in self.sheet.columns
        snapshot = self.snapshot
        for person in self.people:
            manager_id = person.manager_employee_id
            if not manager_id or manager_id == person.employee_id or manager_id in self.by_id:
                continue
            existing = snapshot.people.get(manager_id)
            if existing is not None and not self.scope.covers(existing, snapshot):
                continue  # someone outside the importer's units stays as they are, even in a full import
            if self.full:
                hint = (f" {existing.full_name} is in Promoted but would be marked as having left, because a full "
                        "import treats everyone missing from the file as gone." if existing else "")
                self.error(person.row, "manager_employee_id", manager_id,
                           f"Unknown manager id {manager_id}: nobody in this file has it.{hint}")
            elif existing is None:
                self.error(person.row, "manager_employee_id", manager_id,
                           f"Unknown manager id {manager_id}: nobody in this file or in Promoted has it.")

        # The reporting lines after the import: the file's rows, and everyone else as Promoted has them.
        parent_of: dict[str, str | None] = {
            employee_id: snapshot.manager_employee_id(existing) or None
            for employee_id, existing in snapshot.people.items()
        }
        for employee_id, person in self.by_id.items():
            if has_column:
                manager_id = person.manager_employee_id
            else:
                existing = snapshot.people.get(employee_id)
                manager_id = snapshot.manager_employee_id(existing) if existing else ""
            parent_of[employee_id] = manager_id if manager_id and manager_id != employee_id else None
        for cycle in find_cycles(parent_of):
            self._report_reporting_cycle(cycle)
        self._warn_inactive_managers()

    def _describe(self, employee_id: str) -> str:
        person = self.by_id.get(employee_id)
        if person is not None:
            return f"{person.first_name} {person.last_name} ({employee_id}, row {person.row})"
        existing = self.snapshot.people[employee_id]
        if not self.scope.covers(existing, self.snapshot):
            return "someone outside the units you support (not in this file)"
        return f"{existing.full_name} ({employee_id}, not in this file)"

    def _report_reporting_cycle(self, cycle: list[str]) -> None:
        rows = [self.by_id[e].row for e in cycle if e in self.by_id]
        loop = " → ".join([*(self._describe(e) for e in cycle), self._describe(cycle[0])])
        first = min(rows, default=None)
        first_id = next((e for e in cycle if e in self.by_id and self.by_id[e].row == first), cycle[0])
        self.error(first, "manager_employee_id", self.by_id[first_id].manager_employee_id if first else "",
                   f"Reporting lines form a loop: {loop}. Someone in the loop must report to a person outside it.")

    def _warn_inactive_managers(self) -> None:
        for person in self.people:
            manager_id = person.manager_employee_id
            if not manager_id or person.status == EmploymentStatus.INACTIVE or person.has_errors:
                continue
            manager_row = self.by_id.get(manager_id)
            if manager_row is not None:
                inactive = manager_row.status == EmploymentStatus.INACTIVE
            else:
                existing = self.snapshot.people.get(manager_id)
                inactive = existing is not None and existing.status == EmploymentStatus.INACTIVE
            if inactive:
                self.warnings.append(Issue(person.row, "manager_employee_id", manager_id, (
                    f"Reports to {manager_id}, who is inactive; the person stays in that manager's reporting line."
                )))


def _text(cells: dict[str, Cell], column: str) -> str:
    value = cells.get(column, "")
    return value.isoformat() if isinstance(value, dt.date) else value


def validate(sheet: Sheet, *, snapshot: Snapshot, full: bool, today: dt.date,
             scope: ImportScope = EVERYTHING, function_source: FunctionSource = FROM_FUNCTION_COLUMN) -> Plan:
    """Parse and check every row of `sheet`; `Plan.errors` lists every problem (empty when the file is valid),
    the header's first.

    `full` says the file lists everyone (so every manager must be in it); `today` decides which end dates have
    passed; `scope` is what the importing person may change (people.importing.scope); `function_source` says
    where the function comes from for rows whose file has no function (columns.FunctionSource).
    """
    return _Validator(sheet, snapshot, full=full, today=today, scope=scope, function_source=function_source).run()
