"""One error body for every failure the API can answer with.

    {"error": {"code": "not_found", "message": "Not found.", "details": []}}

`code` is one of ERROR_CODES; `details` lists field problems for validation errors, each naming the field path
("limit", "name", "items.0.date") and where it came from (query, path, body, header, cookie, form).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("promoted.api")

ErrorCode = Literal["not_found", "unauthorized", "forbidden", "validation_error", "bad_request", "server_error"]
ERROR_CODES: tuple[str, ...] = ErrorCode.__args__  # type: ignore[attr-defined]

NOT_FOUND_MESSAGE = "Not found."
UNAUTHORIZED_MESSAGE = "Sign in, or send a personal API token as “Authorization: Bearer pmt_…”."
BAD_TOKEN_MESSAGE = "The API token is unknown, revoked, or belongs to a deactivated account."  # noqa: S105
LOCATIONS = {"query", "path", "body", "header", "cookie", "form", "file"}
BODY_LOCATIONS = {"body", "form", "file"}


class ErrorDetail(Schema):
    field: str
    message: str
    location: str | None = None
    type: str | None = None


class ErrorInfo(Schema):
    code: ErrorCode
    message: str
    details: list[ErrorDetail] = []


class ErrorOut(Schema):
    error: ErrorInfo


def error_payload(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> HttpResponse:
    """The error body as a response, for views outside ninja's operations (URL fallbacks, the schema view)."""
    response = JsonResponse(error_payload(code, message, details), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="Promoted API"'
    return response


def code_for_status(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        422: "validation_error",
    }.get(status, "server_error" if status >= 500 else "bad_request")


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ninja's (pydantic's) error list as details naming the field path.

    Ninja locates errors as (source, [parameter name,] field, ...). Query, path and header schemas are flattened
    into the request, but a body schema sits under its parameter's name, which the client never sent: dropped.
    """
    details = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        location = loc.pop(0) if loc and loc[0] in LOCATIONS else None
        if location in BODY_LOCATIONS and len(loc) > 1:
            loc.pop(0)  # ninja's name for the body parameter ("payload"), not part of the JSON the client sent
        details.append(
            {
                "field": ".".join(loc) or "__all__",
                "message": str(error.get("msg", "Invalid value.")),
                "location": location,
                "type": error.get("type"),
            }
        )
    return details


def django_validation_details(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": field, "message": message, "location": None, "type": "invalid"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": "__all__", "message": message, "location": None, "type": "invalid"} for message in exc.messages]


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every failure inside an operation answer with the error body.

    Handlers take `exc: Any` because ninja types a handler's exception as "instance or class"; ninja looks the
    handler up by the exception's class, so each receives an instance of the class it is registered for.
    """

    def respond(request: HttpRequest, status: int, code: str, message: str,
                details: list[dict[str, Any]] | None = None) -> HttpResponse:
        response = api.create_response(request, error_payload(code, message, details), status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="Promoted API"'
        return response

    def on_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 422, "validation_error", "The request is not valid; see details.",
                       validation_details(exc.errors))

    def on_django_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 422, "validation_error", "The request is not valid; see details.",
                       django_validation_details(exc))

    def on_authentication(request: HttpRequest, exc: Any) -> HttpResponse:
        message = BAD_TOKEN_MESSAGE if getattr(request, "_promoted_bad_token", False) else UNAUTHORIZED_MESSAGE
        return respond(request, 401, "unauthorized", message)

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, exc.status_code, code_for_status(exc.status_code), exc.message)

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        # The same answer whether the object is missing or outside the caller's scope: no hint it exists.
        return respond(request, 404, "not_found", NOT_FOUND_MESSAGE)

    def on_permission_denied(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 403, "forbidden", str(exc) or "You may not do this.")

    def on_unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("Unhandled error in API %s %s", request.method, request.path, exc_info=exc)
        message = "Something went wrong on our side. It has been logged."
        if settings.DEBUG:
            message += f" ({type(exc).__name__}: {exc})"
        return respond(request, 500, "server_error", message)

    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, on_not_found)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Exception, on_unexpected)


# Documented on every operation so clients (and generated SDKs) know the shape of failures.
COMMON_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
