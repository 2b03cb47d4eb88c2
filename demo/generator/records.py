"""Neutral record tables: numpy columns per table, with references as row positions (docs in simulate.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from demo.generator.plan import KEY_BITS

# Subjects as one list, so activities store an index.

# Columns of each neutral table and which columns reference another table's rows.
COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "key",
        "owner",
        "name_a",
        "name_b",
        "suffix",
        "customer",
        "industry",
        "employees",
        "revenue",
        "geo",
        "source",
        "created",
        "parent",
    ),
    "contacts": ("key", "account", "owner", "first", "last", "title", "created"),
    "opportunities": (
        "key",
        "account",
        "owner",
        "amount",
        "stage",
        "close_day",
        "created",
        "modified",
        "existing",
        "forecast",
        "lead_source",
        "label",
        "is_closed",
        "is_won",
        "line_items",
    ),
    "history": ("key", "opportunity", "changed", "stage", "amount", "close_day", "forecast", "by"),
    "line_items": ("key", "opportunity", "product", "quantity", "unit", "total", "created"),
    "activities": (
        "key",
        "owner",
        "kind",
        "occurred",
        "duration",
        "account",
        "opportunity",
        "contact",
        "result",
        "direction",
        "subject",
        "purpose",
        "created",
    ),
    "quotas": ("owner", "start_day", "end_day", "amount"),
}
REFERENCES: dict[tuple[str, str], str] = {
    ("accounts", "parent"): "accounts",
    ("contacts", "account"): "accounts",
    ("opportunities", "account"): "accounts",
    ("history", "opportunity"): "opportunities",
    ("line_items", "opportunity"): "opportunities",
    ("activities", "account"): "accounts",
    ("activities", "opportunity"): "opportunities",
    ("activities", "contact"): "contacts",
}
KEYED = ("accounts", "contacts", "opportunities", "history", "line_items", "activities")

Table = dict[str, np.ndarray]


@dataclass
class SellerStats:
    """What the truth file reports about one seller's generated records."""

    row: int
    opportunities: int = 0
    won: int = 0
    won_revenue_cents: int = 0  # owned by the seller, closed in completed quarters
    quota_cents: int = 0  # completed quarters
    attainment: float | None = None
    attainment_planted: float | None = None
    manager_deals: int = 0
    manager_won_cents: int = 0
    wins_in_last_two_weeks: int = 0
    wins_in_period: int = 0
    activities: int = 0


@dataclass
class Records:
    """Neutral columns for a group of sellers; references are row positions within the group's tables."""

    tables: dict[str, Table]
    stats: list[SellerStats] = field(default_factory=list)

    def rows(self, table: str) -> int:
        return len(self.tables[table]["key" if table in KEYED else "owner"])


def empty_table(name: str) -> Table:
    return {c: np.zeros(0, dtype=np.int64) for c in COLUMNS[name] if c != "key"}


def merge_tables(a: Table, b: Table, offsets: dict[str, int], table: str) -> Table:
    """Rows of `b` after the rows of `a`, with b's references shifted by `offsets` (per referenced table)."""
    out = {}
    for column in a:
        values = b[column]
        target = REFERENCES.get((table, column))
        if target is not None and offsets.get(target):
            values = np.where(values >= 0, values + offsets[target], values)
        out[column] = np.concatenate([a[column], values])
    return out


def concatenate(parts: list[Records], rows: list[int]) -> Records:
    """Join sellers' records into one group: references shifted to group positions, keys assigned per seller
    block ((row + 1) << KEY_BITS | position), so keys do not depend on the grouping."""
    tables: dict[str, Table] = {}
    for name, columns in COLUMNS.items():
        pieces: dict[str, list[np.ndarray]] = {c: [] for c in columns}
        for part, row in zip(parts, rows, strict=True):
            table = part.tables[name]
            size = len(next(iter(table.values())))
            if name in KEYED:
                pieces["key"].append(((row + 1) << KEY_BITS) + np.arange(size, dtype=np.int64))
            for column in columns:
                if column != "key":
                    pieces[column].append(table[column])
        tables[name] = {c: (np.concatenate(v) if v else np.zeros(0, np.int64)) for c, v in pieces.items()}
    # Shift references: each part's positions are local to the part.
    for (name, column), target in REFERENCES.items():
        shifted = []
        offset = 0
        for part in parts:
            values = part.tables[name][column]
            shifted.append(np.where(values >= 0, values + offset, values))
            offset += len(next(iter(part.tables[target].values())))
        tables[name][column] = np.concatenate(shifted) if shifted else np.zeros(0, np.int64)
    stats = [st for part in parts for st in part.stats]
    return Records(tables=tables, stats=stats)
