"""The one connection module for the CRM analytics store.

Everything that reads or writes CRM facts gets its Ibis backend from here, configured by ANALYTICS_URL
(default: a DuckDB file in the data directory; `postgres://...` for PostgreSQL; any Ibis backend URL).
Web processes open it read-only; imports and analyses (background jobs) open it for writing.

Besides connecting, this module owns the store's physical shape: `tables_ensure` creates the tables of
crm/schema.py (and adds columns added there later), and the staging helpers give each import its own
`_staging_<import id>_...` tables, which `transaction` swaps into the live tables in one step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import ibis
import ibis.expr.types as ir
import sqlglot as sg
from django.conf import settings

from crm.schema import TABLES

STAGING_PREFIX = "_staging_"


class StoreBusy(RuntimeError):
    """The store is locked by a running import or analysis (DuckDB allows one writing process at a time)."""


def engine_name(url: str | None = None) -> str:
    """The Ibis backend name for `url` (duckdb, postgres, ...)."""
    scheme = urlparse(url or settings.ANALYTICS_URL).scheme
    return {"postgresql": "postgres"}.get(scheme, scheme)


def _duckdb_path(url: str) -> str:
    return url.removeprefix("duckdb://") or ":memory:"


def connect(*, url: str | None = None, read_only: bool = False, job: bool = False) -> Any:
    """An Ibis backend for the analytics store. Callers close it (or use `session`).

    Sessions run in UTC. A read-only DuckDB connection waits a few seconds for a writing job to let go of the
    file and then raises `StoreBusy`; on PostgreSQL a read-only session refuses writes at the server.
    A background job's session (every writing one, and a reading one asked for with `job=True`, such as the
    analysis) gets DuckDB's job settings: the ANALYTICS_MEMORY_LIMIT budget (spilling to disk beyond it), and
    intermediates built on every core without keeping rows in insertion order (queries order what they return).
    """
    url = url or settings.ANALYTICS_URL
    engine = engine_name(url)
    if engine == "duckdb":
        path = _duckdb_path(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if read_only and path != ":memory:" and not Path(path).exists():
            # Nothing imported yet: create the empty store (its tables, no rows) so readers find empty tables.
            empty = _duckdb_connect(path, read_only=False)
            try:
                tables_ensure(empty)
            finally:
                empty.disconnect()
        con = _duckdb_connect(path, read_only=read_only and path != ":memory:")
        con.raw_sql("SET TimeZone = 'UTC'")
        con.raw_sql("SET enable_progress_bar = false")  # jobs report progress on their records, not stdout
        if job or not read_only:
            con.raw_sql(f"SET memory_limit = '{_memory_limit()}'")
            con.raw_sql("SET preserve_insertion_order = false")
        return con
    if engine == "postgres":
        con = ibis.connect(url.replace("postgresql://", "postgres://", 1))
        con.raw_sql("SET TIME ZONE 'UTC'")
        if read_only:
            con.raw_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        return con
    return ibis.connect(url)


def _memory_limit() -> str:
    limit = str(getattr(settings, "ANALYTICS_MEMORY_LIMIT", "3GB"))
    if not limit.replace(".", "").replace(" ", "").isalnum():
        raise ValueError(f"ANALYTICS_MEMORY_LIMIT {limit!r} is not a size such as 3GB")
    return limit


def _duckdb_connect(path: str, *, read_only: bool) -> Any:
    attempts = 10 if read_only else 1
    for attempt in range(attempts):
        try:
            if read_only:
                return ibis.duckdb.connect(path, read_only=True)
            return ibis.duckdb.connect(path)
        except Exception as error:  # duckdb.IOException; the module is not imported at the top on purpose
            if "lock" not in str(error).lower():
                raise
            if attempt == attempts - 1:
                raise StoreBusy(
                    "The CRM data store is being updated by an import or analysis; try again in a minute."
                ) from error
            time.sleep(0.5)
    raise AssertionError("unreachable")


@contextmanager
def session(*, url: str | None = None, read_only: bool = False, job: bool = False) -> Iterator[Any]:
    """`with session(read_only=True) as con:` — a connection that is closed afterwards (see `connect`)."""
    con = connect(url=url, read_only=read_only, job=job)
    try:
        yield con
    finally:
        con.disconnect()


# --- the tables ---------------------------------------------------------------------------------------------


def tables_ensure(con: Any) -> None:
    """Create the tables of crm/schema.py that are missing, and add columns that the schema gained since."""
    existing = set(con.list_tables())
    for name, schema in TABLES.items():
        if name not in existing:
            con.create_table(name, schema=schema)
            continue
        have = set(con.table(name).columns)
        for column, dtype in schema.items():
            if column not in have:
                coltype = ibis.schema({column: dtype}).to_sqlglot_column_defs(con.dialect)[0].args["kind"]
                execute(con, f"ALTER TABLE {quote(con, name)} ADD COLUMN {quote(con, column)} "
                             f"{coltype.sql(con.dialect)}")


def quote(con: Any, name: str) -> str:
    return sg.to_identifier(name, quoted=True).sql(con.dialect)


def sql_of(con: Any, expr: ir.Expr) -> str:
    """The SQL text of an Ibis expression for this backend's dialect."""
    return str(ibis.to_sql(expr, dialect=con.name))


def execute(con: Any, sql: str) -> None:
    """Run one statement that returns nothing we need."""
    cursor = con.raw_sql(sql)
    # DuckDB answers with the connection itself, which must stay open; other backends with a cursor.
    if cursor is not getattr(con, "con", None) and hasattr(cursor, "close"):
        cursor.close()


@contextmanager
def transaction(con: Any) -> Iterator[None]:
    """All statements run through `execute(con, ...)` inside the block commit together or not at all."""
    if con.name == "duckdb":
        con.con.begin()
        try:
            yield
        except BaseException:
            con.con.rollback()
            raise
        con.con.commit()
        return
    if con.name == "postgres":
        with con.con.transaction():
            yield
        return
    raise NotImplementedError(f"transactions on {con.name} are not supported yet")


# --- staging ------------------------------------------------------------------------------------------------


def staging_prefix(import_id: int | str) -> str:
    return f"{STAGING_PREFIX}{import_id}_"


def staging_name(import_id: int | str, name: str) -> str:
    """The name of an import's own staging table `name` (never seen by readers of the live tables)."""
    return f"{staging_prefix(import_id)}{name}"


def staging_drop(con: Any, import_id: int | str) -> None:
    """Drop every staging table and view of one import (after a swap, a failure or a crash)."""
    prefix = staging_prefix(import_id)
    for name in con.list_tables():
        if name.startswith(prefix):
            _drop_relation(con, name)


def staging_drop_all(con: Any) -> None:
    """Drop the staging tables of every import (housekeeping after a worker was killed mid-import)."""
    for name in con.list_tables():
        if name.startswith(STAGING_PREFIX):
            _drop_relation(con, name)


def _drop_relation(con: Any, name: str) -> None:
    try:
        execute(con, f"DROP TABLE IF EXISTS {quote(con, name)}")
    except Exception:
        # Not a table: the raw views over an import's CSV files.
        execute(con, f"DROP VIEW IF EXISTS {quote(con, name)}")
