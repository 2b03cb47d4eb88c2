"""Fast, portable bulk writes for large imports.

Django's `bulk_update` builds a `CASE WHEN pk = ... THEN ...` per row and field, which becomes the slowest part of
importing tens of thousands of people. `update_columns` joins the table to a `VALUES` list instead: one linear
statement per chunk, valid on PostgreSQL and on SQLite 3.33+ (both name an unaliased VALUES list's columns
column1, column2, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def update_columns(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Set `fields` on many rows of `model`. Each row is (pk, value for fields[0], value for fields[1], ...).

    Values are bound parameters, cast to each column's database type (so NULLs and small integers are typed the
    same on every engine). Runs in the caller's transaction; returns the number of rows given.
    """
    if not rows:
        return 0
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_field = meta.pk
    assert pk_field is not None
    columns: list[models.Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, models.Field), f"{name} is not a concrete column of {meta.label}"
        columns.append(field)
    assignments = ", ".join(
        f"{quote(field.column)} = CAST(v.column{i + 2} AS {field.db_type(connection)})"
        for i, field in enumerate(columns)
    )
    width = len(fields) + 1
    chunk = max(1, 900 // width)  # stay under SQLite's most conservative parameter limit
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(part))
            params = [
                field.get_db_prep_save(value, connection) if i else value
                for row in part
                for i, (field, value) in enumerate(zip([pk_field, *columns], row, strict=True))
            ]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {placeholders}) AS v "  # noqa: S608
                f"WHERE {table}.{quote(pk_field.column)} = CAST(v.column1 AS {pk_field.db_type(connection)})",
                params,
            )
    return len(rows)
