"""The one connection module for the CRM analytics store.

Everything that reads or writes CRM facts gets its Ibis backend from here, configured by ANALYTICS_URL
(default: a DuckDB file in the data directory; `postgres://...` for PostgreSQL; any Ibis backend URL).
Web processes open it read-only; imports and analyses (background jobs) open it for writing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import ibis
from django.conf import settings


def engine_name(url: str | None = None) -> str:
    """The Ibis backend name for `url` (duckdb, postgres, ...)."""
    scheme = urlparse(url or settings.ANALYTICS_URL).scheme
    return {"postgresql": "postgres"}.get(scheme, scheme)


def connect(*, url: str | None = None, read_only: bool = False) -> Any:
    """An Ibis backend for the analytics store. Callers close it (or use `session`)."""
    url = url or settings.ANALYTICS_URL
    engine = engine_name(url)
    if engine == "duckdb":
        path = url.removeprefix("duckdb://") or ":memory:"
        if read_only and path != ":memory:":
            return ibis.duckdb.connect(path, read_only=True)
        return ibis.duckdb.connect(path)
    if engine == "postgres":
        return ibis.connect(url.replace("postgresql://", "postgres://", 1))
    return ibis.connect(url)


@contextmanager
def session(*, url: str | None = None, read_only: bool = False) -> Iterator[Any]:
    con = connect(url=url, read_only=read_only)
    try:
        yield con
    finally:
        con.disconnect()
