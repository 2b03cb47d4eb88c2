"""Linking CRM users to people: by email (case-insensitive), then employee number, with a person's explicit
choice (CrmUserLink) beating both. The link is stored in crm_users.person_employee_id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow as pa

from crm import store
from crm.models import CrmUserLink
from people.models import Person

BY_LINK, BY_EMAIL, BY_EMPLOYEE_NUMBER = "explicit", "email", "employee_number"


@dataclass
class LinkResult:
    links: dict[str, str] = field(default_factory=dict)
    methods: dict[str, int] = field(default_factory=lambda: {BY_LINK: 0, BY_EMAIL: 0, BY_EMPLOYEE_NUMBER: 0})
    unmatched: int = 0


def match_users(users: list[dict[str, Any]]) -> LinkResult:
    """For CRM users ({user_id, email, employee_number}), the linked Person's employee id, by method."""
    explicit = dict(CrmUserLink.objects.values_list("crm_user_id", "person__employee_id"))
    emails = {str(u["email"]).lower() for u in users if u.get("email")}
    numbers = {str(u["employee_number"]) for u in users if u.get("employee_number")}
    by_email: dict[str, str] = {}
    for chunk in _chunks(sorted(emails)):
        for email, employee_id in Person.objects.filter(email__in=chunk).values_list("email", "employee_id"):
            by_email[email.lower()] = employee_id
    # Person emails are stored as entered; catch the ones whose case differs from the CRM's.
    missing = emails - by_email.keys()
    if missing:
        for email, employee_id in Person.objects.values_list("email", "employee_id").iterator():
            if email.lower() in missing:
                by_email[email.lower()] = employee_id
    by_number: dict[str, str] = {}
    for chunk in _chunks(sorted(numbers)):
        by_number.update({e: e for e in Person.objects.filter(employee_id__in=chunk)
                          .values_list("employee_id", flat=True)})
    result = LinkResult()
    for user in users:
        user_id = str(user["user_id"])
        email = str(user.get("email") or "").lower()
        number = str(user.get("employee_number") or "")
        if user_id in explicit:
            result.links[user_id] = explicit[user_id]
            result.methods[BY_LINK] += 1
        elif email and email in by_email:
            result.links[user_id] = by_email[email]
            result.methods[BY_EMAIL] += 1
        elif number and number in by_number:
            result.links[user_id] = by_number[number]
            result.methods[BY_EMPLOYEE_NUMBER] += 1
        else:
            result.unmatched += 1
    return result


def link_staged_users(con: Any, staged_name: str, import_id: int | str) -> LinkResult:
    """Set person_employee_id on an import's staged crm_users (in the store, before the swap)."""
    staged = con.table(staged_name)
    users = con.to_pyarrow(staged.select("user_id", "email", "employee_number")).to_pylist()
    result = match_users(users)
    store.execute(con, f"UPDATE {store.quote(con, staged_name)} SET person_employee_id = NULL")  # noqa: S608
    if result.links:
        _update_from(con, staged_name, result.links, store.staging_name(import_id, "links"))
    return result


def apply_links_to_live(con: Any) -> int:
    """Re-link every CRM user in the live store (after someone linked an owner by hand). Returns links set."""
    store.tables_ensure(con)
    users = con.to_pyarrow(con.table("crm_users").select("user_id", "email", "employee_number")).to_pylist()
    result = match_users(users)
    current = {r["user_id"]: r["person_employee_id"]
               for r in con.to_pyarrow(con.table("crm_users").select("user_id", "person_employee_id")).to_pylist()}
    changed = {u: e for u, e in result.links.items() if current.get(u) != e}
    if changed:
        with store.transaction(con):
            _update_from(con, "crm_users", changed, store.staging_name("links", "live"))
    return len(changed)


def _update_from(con: Any, target: str, links: dict[str, str], link_table: str) -> None:
    data = pa.table({"user_id": list(links), "person_employee_id": list(links.values())})
    store.execute(con, f"DROP TABLE IF EXISTS {store.quote(con, link_table)}")
    con.create_table(link_table, ibis.memtable(data))
    t, lt = store.quote(con, target), store.quote(con, link_table)
    store.execute(con, f"UPDATE {t} SET person_employee_id = l.person_employee_id FROM {lt} l "  # noqa: S608
                       f"WHERE {t}.user_id = l.user_id")
    store.execute(con, f"DROP TABLE {lt}")


def known_user_ids(con: Any, user_ids: list[str]) -> set[str]:
    """Which of `user_ids` are CRM users in the store (exactly as written: normalise them first)."""
    if not user_ids or "crm_users" not in set(con.list_tables()):
        return set()
    users = con.table("crm_users")
    found: set[str] = set()
    for chunk in _chunks(sorted(set(user_ids))):
        expr = users.filter(users.user_id.isin(chunk)).select("user_id")
        found.update(str(r["user_id"]) for r in con.to_pyarrow(expr).to_pylist())
    return found


def unmatched_owners(con: Any, *, limit: int = 500) -> list[dict[str, Any]]:
    """CRM users with no linked person, with how many records each owns, most records first."""
    users = con.table("crm_users")
    unmatched = users.filter(users.person_employee_id.isnull())
    owned = []
    for table, column in (("opportunities", "owner_user_id"), ("accounts", "owner_user_id"),
                          ("activities", "owner_user_id")):
        t = con.table(table)
        owned.append(t.group_by(user_id=t[column]).aggregate(**{table: t.count()}))
    expr = unmatched.select("user_id", "name", "email", "is_active")
    for counts in owned:
        expr = expr.left_join(counts, "user_id").drop("user_id_right")
    expr = expr.mutate(
        opportunities=expr.opportunities.fill_null(0), accounts=expr.accounts.fill_null(0),
        activities=expr.activities.fill_null(0),
    )
    expr = expr.order_by([ibis.desc(expr.opportunities + expr.accounts + expr.activities), "user_id"]).limit(limit)
    rows = con.to_pyarrow(expr).to_pylist()
    return [
        {
            "user_id": r["user_id"], "name": _clean(r["name"]), "email": _clean(r["email"]),
            "is_active": None if r["is_active"] is None else bool(r["is_active"]),
            "opportunities": int(r["opportunities"]), "accounts": int(r["accounts"]),
            "activities": int(r["activities"]),
        }
        for r in rows
    ]


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)]
