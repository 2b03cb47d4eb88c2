"""Per-seller columns in memory: the one place the engine turns the store's per-seller rows into numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa


@dataclass
class SellerFrame:
    """Columns of equal length: float arrays (NaN for missing) and object arrays for text."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def get(self, name: str) -> np.ndarray | None:
        return self.columns.get(name)

    def take(self, rows: np.ndarray) -> SellerFrame:
        return SellerFrame({k: v[rows] for k, v in self.columns.items()})

    @classmethod
    def from_arrow(cls, table: pa.Table) -> SellerFrame:
        columns: dict[str, np.ndarray] = {}
        for name in table.column_names:
            col = table.column(name)
            if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_decimal(col.type):
                columns[name] = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
            elif pa.types.is_boolean(col.type):
                columns[name] = np.asarray(col.to_pylist(), dtype=object)
            else:
                columns[name] = np.asarray(col.to_pylist(), dtype=object)
        return cls(columns)

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> SellerFrame:
        if not rows:
            return cls({})
        names = list(rows[0])
        columns: dict[str, np.ndarray] = {}
        for name in names:
            values = [r.get(name) for r in rows]
            if all(v is None or isinstance(v, int | float) for v in values):
                columns[name] = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
            else:
                columns[name] = np.asarray(values, dtype=object)
        return cls(columns)


def finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def nan_quantile(values: np.ndarray, q: float) -> float | None:
    ok = finite(values)
    return float(np.quantile(ok, q)) if ok.size else None
