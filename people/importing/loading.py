"""What a valid HR file changes, worked out in memory and then written in bulk.

`plan_changes` compares the file with a `Snapshot` by natural keys (employee ids, unit codes), so a check-only
run can report exactly what an import would do without writing. `apply_changes` writes it with a fixed number of
bulk statements, however many rows the file has.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from accounts.models import Role, RoleGrant
from people.importing.scope import EVERYTHING, ImportScope
from people.importing.state import Snapshot
from people.importing.validation import PersonRow, Plan
from people.models import EmploymentStatus, OrgUnit, Person

NAMES_KEPT = 50  # how many names per kind of change an import record keeps for its page
BATCH = 1000
_OPTIONAL_PERSON_COLUMNS = ("department", "job_title", "region", "location", "manager_since")


@dataclass
class UnitChange:
    code: str
    name: str
    kind: str
    parent_code: str
    existing: OrgUnit | None
    changed: list[str] = field(default_factory=list)


@dataclass
class PersonChange:
    employee_id: str
    outcome: str  # created, updated, unchanged, reactivated or deactivated
    target: dict[str, Any]  # field -> value; "manager" is an employee id, "org_unit" a unit code
    changed: list[str]
    existing: Person | None
    row: PersonRow | None  # None for people a full import deactivates because the file leaves them out


@dataclass
class Changes:
    units: list[UnitChange]
    people: list[PersonChange]

    def count(self, outcome: str) -> int:
        return sum(1 for change in self.people if change.outcome == outcome)

    def summary(self) -> dict[str, Any]:
        """Names (first NAMES_KEPT) of who each outcome touched, and org unit counts, for the import record."""
        names: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for change in self.people:
            if change.outcome == "unchanged" or len(names[change.outcome]) >= NAMES_KEPT:
                continue
            entry: dict[str, Any] = {
                "employee_id": change.employee_id,
                "name": f"{change.target['first_name']} {change.target['last_name']}".strip(),
            }
            if change.outcome in ("updated", "reactivated", "deactivated") and change.changed:
                entry["fields"] = change.changed
            names[change.outcome].append(entry)
        new_units = [u for u in self.units if u.existing is None]
        changed_units = [u for u in self.units if u.existing is not None and u.changed]
        return {
            **{outcome: names.get(outcome, []) for outcome in ("created", "updated", "reactivated", "deactivated")},
            "org_units": {
                "created": len(new_units),
                "updated": len(changed_units),
                "created_names": [f"{u.name} ({u.code})" for u in new_units[:NAMES_KEPT]],
                "updated_names": [f"{u.name} ({u.code})" for u in changed_units[:NAMES_KEPT]],
            },
        }


def _current(person: Person, snapshot: Snapshot) -> dict[str, Any]:
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "function": person.function,
        "hire_date": person.hire_date,
        "department": person.department,
        "job_title": person.job_title,
        "manager": snapshot.manager_employee_id(person),
        "org_unit": snapshot.code_of.get(person.org_unit_id, "") if person.org_unit_id else "",
        "region": person.region,
        "location": person.location,
        "manager_since": person.manager_since,
        "status": person.status,
        "end_date": person.end_date,
        "leaving_reason": person.leaving_reason,
    }


def _target(row: PersonRow, current: dict[str, Any] | None, columns: frozenset[str]) -> dict[str, Any]:
    target: dict[str, Any] = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "function": row.function,
        "hire_date": row.hire_date,
        "status": row.status,
        "end_date": row.end_date,
        "leaving_reason": row.leaving_reason,
    }
    # A column the file leaves out keeps what Promoted has; a column it has but leaves empty clears the value.
    for name in _OPTIONAL_PERSON_COLUMNS:
        target[name] = getattr(row, name) if name in columns or current is None else current[name]
    target["manager"] = row.manager_employee_id if "manager_employee_id" in columns or current is None \
        else current["manager"]
    target["org_unit"] = row.org_unit_code if "org_unit_code" in columns or current is None \
        else current["org_unit"]
    if current is not None and current["status"] == EmploymentStatus.INACTIVE == row.status:
        # Someone who has left and still has: keep the end date and reason Promoted recorded (for example the
        # date an earlier full import marked them as gone) when the file gives none.
        target["end_date"] = row.end_date or current["end_date"]
        target["leaving_reason"] = row.leaving_reason or current["leaving_reason"]
    return target


def _outcome(current: dict[str, Any] | None, target: dict[str, Any], changed: list[str]) -> str:
    if current is None:
        return "created"
    was_inactive = current["status"] == EmploymentStatus.INACTIVE
    is_inactive = target["status"] == EmploymentStatus.INACTIVE
    if was_inactive and not is_inactive:
        return "reactivated"
    if is_inactive and not was_inactive:
        return "deactivated"
    return "updated" if changed else "unchanged"


def _unit_changes(plan: Plan, snapshot: Snapshot) -> list[UnitChange]:
    changes = []
    for code, unit in plan.units.items():
        existing = snapshot.units.get(code)
        if unit.is_defined:
            name = unit.name
            kind = unit.kind or (existing.kind if existing else OrgUnit.Kind.TEAM)
            parent_code = unit.parent_code
        else:
            assert existing is not None  # validation rejects unknown codes without a name
            name = existing.name
            kind = unit.kind or existing.kind
            parent_code = unit.parent_code or snapshot.parent_code(existing)
        change = UnitChange(code=code, name=name, kind=kind, parent_code=parent_code, existing=existing)
        if existing is not None:
            current = {"name": existing.name, "kind": existing.kind, "parent": snapshot.parent_code(existing)}
            wanted = {"name": name, "kind": kind, "parent": parent_code}
            change.changed = [key for key in current if current[key] != wanted[key]]
        changes.append(change)
    return changes


def plan_changes(plan: Plan, snapshot: Snapshot, *, full: bool, today: dt.date,
                 scope: ImportScope = EVERYTHING) -> Changes:
    """Compare a valid file with Promoted's data: who is created, updated, unchanged, (re/de)activated.

    In a full import, active people missing from the file are deactivated, with today as their end date when
    they have none; for an HR partner "everyone" means everyone in the units they support.
    """
    people: list[PersonChange] = []
    in_file: set[str] = set()
    for row in plan.people:
        in_file.add(row.employee_id)
        existing = snapshot.people.get(row.employee_id)
        current = _current(existing, snapshot) if existing is not None else None
        target = _target(row, current, plan.columns)
        changed = [key for key in target if current is not None and current[key] != target[key]]
        people.append(PersonChange(row.employee_id, _outcome(current, target, changed), target, changed,
                                   existing, row))
    if full:
        for employee_id, existing in snapshot.people.items():
            if employee_id in in_file or existing.status == EmploymentStatus.INACTIVE:
                continue
            if not scope.covers(existing, snapshot):
                continue
            current = _current(existing, snapshot)
            target = {**current, "status": EmploymentStatus.INACTIVE, "end_date": existing.end_date or today}
            changed = [key for key in target if current[key] != target[key]]
            people.append(PersonChange(employee_id, "deactivated", target, changed, existing, None))
    return Changes(units=_unit_changes(plan, snapshot), people=people)


def _levels(parent_of: dict[str, str]) -> list[list[str]]:
    """New nodes grouped so that every node comes after its parent when that parent is new too.

    `parent_of` maps each new node to its parent ("" for none); the file is free of loops (validated), so
    creating the groups in order lets each node be inserted with its parent's key already known.
    """
    depth: dict[str, int] = {}
    for node in parent_of:
        chain = []
        while node in parent_of and node not in depth:
            chain.append(node)
            node = parent_of[node]
        base = depth.get(node, -1)
        for offset, member in enumerate(reversed(chain), start=1):
            depth[member] = base + offset
    levels: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in parent_of:
        levels[depth[node]].append(node)
    return levels


def _apply_units(changes: Changes, snapshot: Snapshot) -> dict[str, int]:
    """Create (parents first) and update org units; returns every unit's pk by code."""
    unit_pk = {code: unit.pk for code, unit in snapshot.units.items()}
    new = {u.code: u for u in changes.units if u.existing is None}
    for level in _levels({code: change.parent_code for code, change in new.items()}):
        units = [
            OrgUnit(code=code, name=new[code].name, kind=new[code].kind,
                    parent_id=unit_pk[new[code].parent_code] if new[code].parent_code else None)
            for code in level
        ]
        OrgUnit.objects.bulk_create(units, batch_size=BATCH)
        unit_pk.update({unit.code: unit.pk for unit in units})
    now = timezone.now()
    to_update = []
    for change in changes.units:
        if change.existing is None or not change.changed:
            continue
        unit = change.existing
        unit.name, unit.kind = change.name, change.kind
        unit.parent_id = unit_pk[change.parent_code] if change.parent_code else None
        unit.updated_at = now
        to_update.append(unit)
    OrgUnit.objects.bulk_update(to_update, ["name", "kind", "parent", "updated_at"], batch_size=BATCH)
    return unit_pk


def _assign(person: Person, target: dict[str, Any], fields: list[str], person_pk: dict[str, int],
            unit_pk: dict[str, int]) -> list[str]:
    """Copy `fields` of `target` onto `person`; returns the model field names to save."""
    model_fields = []
    for name in fields:
        if name == "manager":
            person.manager_id = person_pk[target["manager"]] if target["manager"] else None
        elif name == "org_unit":
            person.org_unit_id = unit_pk[target["org_unit"]] if target["org_unit"] else None
        else:
            setattr(person, name, target[name])
        model_fields.append(name)
    return model_fields


def _release_taken_emails(changes: Changes, snapshot: Snapshot) -> None:
    """Park changing emails on placeholders first when the file moves an email from one person to another."""
    moving = [c for c in changes.people if c.existing is not None and "email" in c.changed]
    wanted = {c.target["email"]: c.employee_id for c in changes.people if c.outcome == "created"}
    wanted.update({c.target["email"]: c.employee_id for c in moving})
    if not any(snapshot.email_owner.get(email, owner) != owner for email, owner in wanted.items()):
        return
    for change in moving:
        assert change.existing is not None
        change.existing.email = f"moving-{change.existing.pk}@import.invalid"
    Person.objects.bulk_update([c.existing for c in moving if c.existing], ["email"], batch_size=BATCH)


@dataclass
class Keys:
    """Primary keys by natural key after a load: people by employee id, org units by code."""

    person_pk: dict[str, int]
    unit_pk: dict[str, int]


def _create_people(changes: Changes, person_pk: dict[str, int], unit_pk: dict[str, int]) -> None:
    """Insert the new people, managers first, each with their manager and unit already set."""
    new = {c.employee_id: c for c in changes.people if c.outcome == "created"}
    manager_of = {employee_id: change.target["manager"] for employee_id, change in new.items()}
    for level in _levels(manager_of):
        people = []
        for employee_id in level:
            target = new[employee_id].target
            person = Person(employee_id=employee_id, **{
                key: value for key, value in target.items() if key not in ("manager", "org_unit")
            })
            person.manager_id = person_pk[target["manager"]] if target["manager"] else None
            person.org_unit_id = unit_pk[target["org_unit"]] if target["org_unit"] else None
            people.append(person)
        Person.objects.bulk_create(people, batch_size=BATCH)
        person_pk.update({person.employee_id: person.pk for person in people})


def apply_changes(changes: Changes, snapshot: Snapshot) -> Keys:
    """Write `changes` with bulk statements (a few per level of the org tree). Call inside a transaction."""
    unit_pk = _apply_units(changes, snapshot)
    _release_taken_emails(changes, snapshot)
    person_pk = {employee_id: person.pk for employee_id, person in snapshot.people.items()}
    _create_people(changes, person_pk, unit_pk)

    now = timezone.now()
    groups: dict[tuple[str, ...], list[Person]] = defaultdict(list)
    for change in changes.people:
        if change.existing is None or not change.changed:
            continue
        assigned = _assign(change.existing, change.target, change.changed, person_pk, unit_pk)
        change.existing.updated_at = now
        groups[(*assigned, "updated_at")].append(change.existing)
    for fields, people in groups.items():
        Person.objects.bulk_update(people, list(fields), batch_size=BATCH)
    return Keys(person_pk=person_pk, unit_pk=unit_pk)


def hr_partner_units(plan: Plan, *, full: bool, keys: Keys) -> dict[int, list[int]] | None:
    """The HR-partner assignments for people.services.access_sync: person pk -> supported org unit pks.

    None when the file has no hr_partner_for column (assignments stay as they are). A partial import keeps the
    derived assignments of people it does not mention.
    """
    if "hr_partner_for" not in plan.columns:
        return None
    result: dict[int, list[int]] = {}
    for row in plan.people:
        if row.status != EmploymentStatus.INACTIVE and row.hr_partner_for:
            units = dict.fromkeys(keys.unit_pk[code] for code in row.hr_partner_for)
            result[keys.person_pk[row.employee_id]] = list(units)
    if not full:
        in_file = {row.employee_id for row in plan.people}
        grants = (
            RoleGrant.objects.filter(role=Role.HR_PARTNER, source=RoleGrant.Source.DERIVED)
            .select_related("user__person")
            .prefetch_related("org_units")
        )
        for grant in grants:
            person = getattr(grant.user, "person", None)
            if person is not None and person.employee_id not in in_file:
                result[person.pk] = [unit.pk for unit in grant.org_units.all()]
    return result
