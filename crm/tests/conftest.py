"""Store fixtures: every store test runs on DuckDB and, when ANALYTICS_TEST_POSTGRES_URL is set, on PostgreSQL
(each test in a schema of its own, dropped afterwards)."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_ENV = "ANALYTICS_TEST_POSTGRES_URL"


@pytest.fixture(params=["duckdb", "postgres"])
def analytics_url(request: pytest.FixtureRequest, tmp_path: Path, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """ANALYTICS_URL for one test: a fresh DuckDB file, or a fresh schema on the PostgreSQL test server."""
    if request.param == "duckdb":
        url = f"duckdb://{tmp_path / 'analytics.duckdb'}"
        settings.ANALYTICS_URL = url
        yield url
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: the PostgreSQL variant of the store tests needs a server "
                    f"(bin/test sets it)")
    import psycopg

    schema = f"crm_test_{uuid.uuid4().hex[:12]}"
    conninfo = base.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as pg:
        pg.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base.rstrip('/')}/{schema}"
    settings.ANALYTICS_URL = url
    try:
        yield url
    finally:
        with psycopg.connect(conninfo, autocommit=True) as pg:
            pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def duckdb_url(tmp_path: Path, settings) -> str:  # type: ignore[no-untyped-def]
    url = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    settings.ANALYTICS_URL = url
    return url


def fixture_files(*parts: str) -> list[Path]:
    return sorted(FIXTURES.joinpath(*parts).glob("*.csv"))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    """A CSV file as Data Loader writes one: every value quoted."""
    with path.open("w", newline="") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)


def table_rows(table: str) -> list[dict]:  # type: ignore[type-arg]
    from crm import store

    with store.session() as con:
        return list(con.to_pyarrow(con.table(table)).to_pylist())


def store_counts() -> dict[str, int]:
    from crm import store
    from crm.schema import TABLES

    with store.session() as con:
        store.tables_ensure(con)
        return {t: int(con.execute(con.table(t).count())) for t in TABLES}
