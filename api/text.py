"""No text the API accepts may hold the NUL character (\\x00): PostgreSQL cannot store or compare it.

A NUL in a query parameter or a JSON body reached the database and failed there (a 500 on PostgreSQL, where
SQLite let it pass). `refuse_nul` answers such a request with 422 before the endpoint runs, naming each field as
validation errors do (`q`, `items.0.name`), on every endpoint at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase

from api.errors import error_response

NUL = "\x00"
MESSAGE = "Text must not contain the NUL character (\\u0000)."


def _nul_fields(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield path or "__all__"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield name
            yield from _nul_fields(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_fields(item, f"{path}.{index}" if path else str(index))


def nul_details(request: HttpRequest) -> list[dict[str, Any]]:
    """A validation detail for each query parameter and JSON body field that holds a NUL."""
    fields = [("query", key) for key, values in request.GET.lists() if NUL in key or any(NUL in v for v in values)]
    # JSON writes a NUL as the escape \u0000 (a raw one is not JSON, and the endpoint answers its documented 400).
    if b"\\u0000" in request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None
        fields += [("body", name) for name in _nul_fields(body, "")]
    return [{"field": field, "message": MESSAGE, "location": location, "type": "string_nul"}
            for location, field in fields]


def refuse_nul(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap an API view: a request with NUL in its text answers 422 naming the fields."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        details = nul_details(request)
        if details:
            return error_response(422, "validation_error", "The request is not valid; see details.", details)
        return view(request, *args, **kwargs)

    return wrapped
