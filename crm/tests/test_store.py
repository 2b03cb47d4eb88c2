"""The store's connection module: engines, read-only sessions, tables, staging and the transaction helper."""

from __future__ import annotations

import ibis
import pytest

from crm import store
from crm.schema import TABLES


def test_engine_names() -> None:
    assert store.engine_name("duckdb:///var/analytics.duckdb") == "duckdb"
    assert store.engine_name("postgresql://u@h/db") == "postgres"
    assert store.engine_name("postgres://u@h/db/schema") == "postgres"


def test_tables_are_created_from_the_schema_and_gain_new_columns(analytics_url) -> None:  # type: ignore[no-untyped-def]
    with store.session() as con:
        store.tables_ensure(con)
        assert set(TABLES) <= set(con.list_tables())
        for name, schema in TABLES.items():
            assert con.table(name).columns == tuple(schema.names)
        store.execute(con, 'ALTER TABLE "quotas" DROP COLUMN "currency"')
        store.tables_ensure(con)
        assert "currency" in con.table("quotas").columns


def test_transaction_rolls_back_every_statement(analytics_url) -> None:  # type: ignore[no-untyped-def]
    with store.session() as con:
        store.tables_ensure(con)
        def insert_then_fail() -> None:
            with store.transaction(con):
                store.execute(con, "INSERT INTO crm_users (user_id, name) VALUES ('u1', 'One')")
                raise RuntimeError("stop")

        with pytest.raises(RuntimeError):
            insert_then_fail()
        assert con.execute(con.table("crm_users").count()) == 0
        with store.transaction(con):
            store.execute(con, "INSERT INTO crm_users (user_id, name) VALUES ('u1', 'One')")
        assert con.execute(con.table("crm_users").count()) == 1


def test_staging_tables_are_dropped_per_import(analytics_url) -> None:  # type: ignore[no-untyped-def]
    with store.session() as con:
        store.tables_ensure(con)
        for import_id in (7, 8):
            con.create_table(store.staging_name(import_id, "opportunities"), ibis.memtable({"a": [1]}))
        store.staging_drop(con, 7)
        assert store.staging_name(7, "opportunities") not in con.list_tables()
        assert store.staging_name(8, "opportunities") in con.list_tables()
        store.staging_drop_all(con)
        assert not [t for t in con.list_tables() if t.startswith(store.STAGING_PREFIX)]


def test_read_only_session_refuses_writes_and_works_before_any_import(analytics_url) -> None:  # type: ignore[no-untyped-def]
    with store.session(read_only=True) as con:
        if con.name == "duckdb":
            assert set(TABLES) <= set(con.list_tables())  # an empty store is created on first use
        with pytest.raises(Exception, match=r"(?i)read.only"):
            store.execute(con, "CREATE TABLE nope (a INTEGER)")


def test_jobs_get_the_memory_budget_and_pages_do_not(duckdb_url, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ANALYTICS_MEMORY_LIMIT = "1GB"

    def job_settings(**kwargs: bool) -> tuple[object, ...]:
        with store.session(**kwargs) as con:
            return tuple(con.raw_sql(
                "SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order')"
            ).fetchone())

    writing, analysing, page = job_settings(), job_settings(read_only=True, job=True), job_settings(read_only=True)
    assert writing == analysing
    assert analysing[1] is False
    assert page[1] is True
    assert page[0] != analysing[0]  # DuckDB's own default (a share of the machine's memory), not the budget


def test_a_writing_job_makes_readers_wait_then_say_so(duckdb_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(store.time, "sleep", lambda s: None)
    calls = []

    def locked(path, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(path)
        raise OSError('IO Error: Could not set lock on file "x.duckdb": Conflicting lock is held')

    monkeypatch.setattr(store.ibis.duckdb, "connect", locked)
    with pytest.raises(store.StoreBusy, match="being updated"):
        store._duckdb_connect("/tmp/x.duckdb", read_only=True)
    assert len(calls) == 10
