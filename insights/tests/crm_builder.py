"""Build small CRM stores for the engine's tests: rows by hand, written through Ibis into any backend."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa

from crm.schema import TABLES

UTC = dt.UTC


def ts(value: str) -> dt.datetime:
    """"2025-03-01" or "2025-03-01 14:00" as an aware UTC datetime."""
    fmt = "%Y-%m-%d %H:%M" if " " in value else "%Y-%m-%d"
    return dt.datetime.strptime(value, fmt).replace(tzinfo=UTC)


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


class CrmBuilder:
    """Collects rows per store table; `write(con)` creates the tables (all of them, or only `tables`)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self._seq = 0

    def _id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq:06d}"

    def user(self, user_id: str, employee_id: str | None = None, **kw: Any) -> str:
        self.rows["crm_users"].append({
            "user_id": user_id, "name": kw.get("name", user_id), "email": f"{user_id}@example.com",
            "employee_number": employee_id, "is_active": True, "person_employee_id": employee_id,
            "manager_user_id": kw.get("manager_user_id"),
        })
        return user_id

    def account(self, owner: str, account_id: str | None = None, **kw: Any) -> str:
        account_id = account_id or self._id("A")
        self.rows["accounts"].append({
            "account_id": account_id, "name": account_id, "owner_user_id": owner,
            "segment": kw.get("segment"), "region": kw.get("region"), "created_at": ts("2020-01-01"),
        })
        return account_id

    def opportunity(
        self, owner: str, account: str | None, *, amount: float, created: str, close: str, won: bool | None,
        kind: str | None = "new", opportunity_id: str | None = None, stage: str | None = None,
    ) -> str:
        """won=None leaves it open."""
        opportunity_id = opportunity_id or self._id("O")
        self.rows["opportunities"].append({
            "opportunity_id": opportunity_id, "account_id": account, "owner_user_id": owner,
            "name": opportunity_id, "amount": Decimal(str(amount)), "currency": "EUR",
            "stage": stage or ({True: "Closed Won", False: "Closed Lost"}.get(won, "Qualification")),  # type: ignore[arg-type]
            "is_closed": won is not None, "is_won": bool(won), "created_at": ts(created),
            "close_date": day(close), "opportunity_type": kind,
        })
        return opportunity_id

    def history(self, opportunity: str, at: str, stage: str, *, amount: float | None = None,
                close: str | None = None) -> None:
        self.rows["opportunity_stage_history"].append({
            "history_id": self._id("H"), "opportunity_id": opportunity, "changed_at": ts(at), "stage": stage,
            "amount": Decimal(str(amount)) if amount is not None else None,
            "close_date": day(close) if close else None,
        })

    def activity(self, owner: str, at: str, *, kind: str = "call", account: str | None = None,
                 opportunity: str | None = None, contact: str | None = None) -> None:
        self.rows["activities"].append({
            "activity_id": self._id("T"), "owner_user_id": owner, "activity_type": kind, "occurred_at": ts(at),
            "account_id": account, "opportunity_id": opportunity, "contact_id": contact,
        })

    def quota(self, user: str, start: str, end: str, amount: float) -> None:
        self.rows["quotas"].append({
            "user_id": user, "period_start": day(start), "period_end": day(end),
            "amount": Decimal(str(amount)), "currency": "EUR",
        })

    def arrow(self, name: str) -> pa.Table:
        schema = TABLES[name].to_pyarrow()
        rows = self.rows[name]
        return pa.table({f.name: pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema})

    def write(self, con: Any, *, tables: list[str] | None = None, database: str | None = None) -> None:
        for name in tables or list(TABLES):
            write_table(con, name, self.arrow(name), database=database)


def write_table(con: Any, name: str, data: pa.Table, *, database: str | None = None) -> None:
    kwargs = {"database": database} if database else {}
    con.create_table(name, schema=TABLES[name], overwrite=True, **kwargs)
    if data.num_rows:
        con.insert(name, data, **kwargs)


@contextmanager
def store_connection(backend: str) -> Iterator[tuple[Any, str | None]]:
    """An empty store on `backend` ("duckdb", or "postgres" when ANALYTICS_TEST_POSTGRES_URL is set): yields the
    connection and the database (schema) to use, and drops what it made afterwards."""
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        try:
            yield con, None
        finally:
            con.disconnect()
        return
    url = os.environ["ANALYTICS_TEST_POSTGRES_URL"]
    con = ibis.connect(url.replace("postgresql://", "postgres://", 1))
    schema = f"insights_test_{uuid.uuid4().hex[:10]}"
    con.create_database(schema)
    try:
        yield con, schema
    finally:
        con.drop_database(schema, force=True, cascade=True)
        con.disconnect()
