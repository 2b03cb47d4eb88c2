"""Who sells: the sales organisation the CRM export is generated for.

A roster is read from one of three places, all giving the same `Roster`:
- the demo company plan (`demo.company.CompanyPlan`), in memory;
- an HR-format people CSV (the HR import's columns, docs/imports.md), optionally with the people truth JSON
  written beside it by demo/company.py;
- the Django database (people with function "sales"), optionally with the people truth JSON.

Only the sales function is kept: sellers (nobody reports to them) and the managers and leaders above them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demo.generator.model import SITUATIONS

if TYPE_CHECKING:
    from demo.company import CompanyPlan

TURNOVER_WINDOW_DAYS = 365
TURNOVER_MIN_LEAVERS = 3


class RosterError(ValueError):
    """The people data cannot be used: names the file, row and column where it can."""


@dataclass(frozen=True)
class RosterPerson:
    """One person in sales, as the HR data knows them."""

    employee_id: str
    first_name: str
    last_name: str
    email: str
    job_title: str
    manager_employee_id: str  # "" at the top of the sales line
    team_name: str
    region: str
    location: str
    hire_date: dt.date | None
    end_date: dt.date | None
    status: str  # active | on_leave | inactive
    leaving_reason: str  # voluntary | involuntary | ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status != "inactive"


@dataclass
class Roster:
    """The sales organisation: people in employee-id order, who sells in which situation, and what HR planted.

    `situations` has an entry for every seller; `turnover_managers` maps a manager's employee id to the number
    of their sellers who left voluntarily in the last twelve months, for the managers the people truth (or,
    without it, the HR data) marks as `team_turnover`.
    """

    people: list[RosterPerson]
    situations: dict[str, str]
    turnover_managers: dict[str, int] = field(default_factory=dict)
    as_of: dt.date | None = None
    source: str = ""

    def __post_init__(self) -> None:
        self.people.sort(key=lambda p: p.employee_id)
        self._by_id = {p.employee_id: p for p in self.people}
        self._teams: dict[str, list[RosterPerson]] = defaultdict(list)
        for person in self.people:
            if person.employee_id in self.situations:
                self._teams[person.manager_employee_id].append(person)

    def person(self, employee_id: str) -> RosterPerson:
        return self._by_id[employee_id]

    def has(self, employee_id: str) -> bool:
        return employee_id in self._by_id

    @property
    def sellers(self) -> list[RosterPerson]:
        """Every seller, leavers included (they still own CRM history), in employee-id order."""
        return [p for p in self.people if p.employee_id in self.situations]

    @property
    def managers(self) -> list[RosterPerson]:
        """People some seller reports to directly, in employee-id order."""
        return [p for p in self.people if p.employee_id in self._teams]

    def team(self, manager_employee_id: str) -> list[RosterPerson]:
        """The sellers who report to this manager (leavers included), in employee-id order."""
        return list(self._teams.get(manager_employee_id, ()))


_TITLE_RULES: tuple[tuple[str, str], ...] = (
    (r"key account|strategic|named account|global account|enterprise account", "key_accounts"),
    (r"inside|sdr\b|sales development|telesales", "inside_sales"),
    (r"new business|new logo|hunter|business development|bdr\b", "new_logo"),
    (r"territory|field|account executive|account manager", "territory"),
)


def situation_from_title(title: str) -> str:
    """The selling situation a job title suggests (territory when the title says nothing more)."""
    lowered = title.lower()
    for pattern, situation in _TITLE_RULES:
        if re.search(pattern, lowered):
            return situation
    return "territory"


def _date(value: str, *, where: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise RosterError(f"{where}: {value!r} is not a yyyy-mm-dd date.") from exc


def _truth_sellers(truth: Mapping[str, Any] | None) -> dict[str, str]:
    sellers = (truth or {}).get("sellers") or {}
    return {eid: str(info.get("situation") or "") for eid, info in sellers.items() if isinstance(info, dict)}


def _truth_turnover(truth: Mapping[str, Any] | None) -> dict[str, int] | None:
    if truth is None or "struggling_managers" not in truth:
        return None
    found: dict[str, int] = {}
    for entry in truth.get("struggling_managers") or []:
        if "team_turnover" in (entry.get("patterns") or []):
            found[str(entry["employee_id"])] = int(entry.get("voluntary_leavers_last_12_months") or 0)
    return found


def _turnover_from_people(
    people: Iterable[RosterPerson], sellers: set[str], as_of: dt.date
) -> dict[str, int]:
    """Managers whose sellers left voluntarily at least TURNOVER_MIN_LEAVERS times in the last twelve
    months."""
    counts: dict[str, int] = defaultdict(int)
    for person in people:
        if (
            person.employee_id in sellers
            and person.leaving_reason == "voluntary"
            and person.end_date
            and 0 <= (as_of - person.end_date).days <= TURNOVER_WINDOW_DAYS
            and person.manager_employee_id
        ):
            counts[person.manager_employee_id] += 1
    return {m: n for m, n in sorted(counts.items()) if n >= TURNOVER_MIN_LEAVERS}


def build_roster(
    sales: list[RosterPerson],
    *,
    truth: Mapping[str, Any] | None,
    as_of: dt.date | None,
    source: str,
) -> Roster:
    if not sales:
        raise RosterError(
            f"{source}: nobody in the sales function, so there is nobody to generate CRM data for."
        )
    reports: dict[str, int] = defaultdict(int)
    for person in sales:
        if person.manager_employee_id:
            reports[person.manager_employee_id] += 1
    planted = _truth_sellers(truth)
    situations: dict[str, str] = {}
    for person in sales:
        if person.employee_id in planted or not reports.get(person.employee_id):
            situation = planted.get(person.employee_id, "")
            situations[person.employee_id] = (
                situation if situation in SITUATIONS else (situation_from_title(person.job_title))
            )
    if not situations:
        raise RosterError(f"{source}: the sales function has no sellers (people nobody reports to).")
    truth_as_of = (truth or {}).get("as_of")
    as_of = as_of or (dt.date.fromisoformat(truth_as_of) if truth_as_of else None)
    turnover = _truth_turnover(truth)
    if turnover is None:
        turnover = _turnover_from_people(sales, set(situations), as_of or dt.datetime.now(tz=dt.UTC).date())
    return Roster(people=sales, situations=situations, turnover_managers=turnover, as_of=as_of, source=source)


def read_people_truth(path: Path | str | None) -> dict[str, Any] | None:
    """The people truth JSON (demo/company.py `write_truth`), or None when there is no file."""
    if path is None:
        return None
    target = Path(path)
    if not target.exists():
        return None
    try:
        data = json.loads(target.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise RosterError(f"{target}: not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
    if not isinstance(data, dict):
        raise RosterError(f"{target}: expected a JSON object at the top level.")
    return data


REQUIRED_COLUMNS = ("employee_id", "first_name", "last_name", "email", "job_title", "function")


def roster_from_people_csv(
    path: Path | str,
    *,
    truth: Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
) -> Roster:
    """The sales people in an HR-format people CSV (the HR import's columns; extra columns are ignored)."""
    target = Path(path)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise RosterError(f"{target}: missing column(s) {', '.join(missing)} in the header row.")
        sales: list[RosterPerson] = []
        for line, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if row.get("function", "").lower() != "sales":
                continue
            where = f"{target.name}, row {line}"
            if not row["employee_id"]:
                raise RosterError(f"{where}, column employee_id: empty.")
            sales.append(
                RosterPerson(
                    employee_id=row["employee_id"],
                    first_name=row["first_name"],
                    last_name=row["last_name"],
                    email=row["email"].lower(),
                    job_title=row["job_title"],
                    manager_employee_id=row.get("manager_employee_id", ""),
                    team_name=row.get("org_unit_name", "") or row.get("department", ""),
                    region=row.get("region", ""),
                    location=row.get("location", ""),
                    hire_date=_date(row.get("hire_date", ""), where=f"{where}, column hire_date"),
                    end_date=_date(row.get("end_date", ""), where=f"{where}, column end_date"),
                    status=(row.get("status") or "active").lower(),
                    leaving_reason=(row.get("leaving_reason") or "").lower(),
                )
            )
    return build_roster(sales, truth=truth, as_of=as_of, source=str(target))


def roster_from_company_plan(plan: CompanyPlan) -> Roster:
    """The sales people of a demo company plan (demo.company), with its planted truth."""
    sales = [
        RosterPerson(
            employee_id=p.employee_id,
            first_name=p.first_name,
            last_name=p.last_name,
            email=p.email.lower(),
            job_title=p.job_title,
            manager_employee_id=p.manager_employee_id,
            team_name=p.unit.name,
            region=p.region,
            location=p.location,
            hire_date=p.hire_date,
            end_date=p.end_date,
            status=p.status,
            leaving_reason=p.leaving_reason,
        )
        for p in plan.people
        if p.function == "sales"
    ]
    return build_roster(
        sales, truth=plan.truth(), as_of=plan.as_of, source=f"demo company (seed {plan.seed})"
    )


def roster_from_database(*, truth: Mapping[str, Any] | None = None, as_of: dt.date | None = None) -> Roster:
    """The sales people in the Django database (the HR data as imported)."""
    from people.models import Function, Person

    people = (
        Person.objects.filter(function=Function.SALES)
        .select_related("manager", "org_unit")
        .order_by("employee_id")
    )
    sales = [
        RosterPerson(
            employee_id=p.employee_id,
            first_name=p.first_name,
            last_name=p.last_name,
            email=p.email.lower(),
            job_title=p.job_title,
            manager_employee_id=p.manager.employee_id if p.manager else "",
            team_name=p.org_unit.name if p.org_unit else p.department,
            region=p.region,
            location=p.location,
            hire_date=p.hire_date,
            end_date=p.end_date,
            status=p.status,
            leaving_reason=p.leaving_reason,
        )
        for p in people
    ]
    return build_roster(sales, truth=truth, as_of=as_of, source="the people database")
