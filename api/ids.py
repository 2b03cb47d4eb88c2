"""The one id type of the API: a database id, 1..2**63-1, wherever a client sends one (path, query or body).

    @router.get("/{api_id:person_id}")
    def person_get(request, person_id: Id): ...

    class PeopleQuery(Schema):
        manager: Id | None = None

Anything else (0, negative, beyond 64 bits) answers 422 with the error body, naming the field, before a query
runs: the database would overflow (a 500) on an id it cannot store. The `api_id` path converter matches any
whole number and leaves the bounds to `Id`, so the answer is the same 422 in a path as in a query; a path
segment that is not a number does not match and answers the API's 404.
"""

from __future__ import annotations

from typing import Annotated

from django.urls import register_converter
from pydantic import Field

from core.converters import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class ApiIdConverter:
    """Any whole number, passed on as text so that `Id` (pydantic) checks its bounds and answers 422."""

    regex = "-?[0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: int | str) -> str:
        return str(value)


def register() -> None:
    register_converter(ApiIdConverter, "api_id")
