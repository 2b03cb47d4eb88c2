"""The API's operations as its OpenAPI schema lists them, for tests that walk every route."""

from __future__ import annotations

from typing import Any

from api.urls import api


def openapi() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix="/api/v1/")


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation, the path with its {parameters}."""
    return [(method, path, op) for path, ops in openapi()["paths"].items() for method, op in ops.items()]


def fill_path(path: str, *, replace: str = "", value: str = "1") -> str:
    """The path with every path parameter set to 1, except `replace`, set to `value`."""
    out = path
    for segment in path.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            out = out.replace(segment, value if segment[1:-1] == replace else "1")
    return out
