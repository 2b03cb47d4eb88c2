"""Limit/offset pagination shared by every list endpoint.

A list answers `{"total": N, "limit": L, "offset": O, "items": [...]}`: `total` counts everything matching the
filters (within the caller's scope), so a client pages with `offset += limit` while `offset < total`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Field, Schema

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

M = TypeVar("M", bound=Model)


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page (1 to {MAX_LIMIT}).")
    offset: int = Field(0, ge=0, description="How many matching items to skip.")


class PageMeta(Schema):
    total: int = Field(..., description="How many items match, across all pages.")
    limit: int
    offset: int


def paginate(queryset: QuerySet[M], params: PageParams) -> dict[str, Any]:
    """One page of an ordered queryset: two queries (count and slice) however large the set."""
    total = queryset.count()
    items = list(queryset[params.offset : params.offset + params.limit]) if params.offset < total else []
    return {"total": total, "limit": params.limit, "offset": params.offset, "items": items}
