"""The NinjaAPI subclass behind /api/v1/ and its self-hosted interactive docs.

What it adds to django-ninja:
- every operation authenticates itself (token or session, see api.auth), so the API's URLs are exempt from
  Django's LoginRequiredMiddleware, which would otherwise answer token clients with a redirect to the sign-in page;
- a request whose text holds a NUL character answers 422 before any endpoint runs (api.text);
- the error body (api.errors) also for what happens outside operations: unknown URLs under /api/v1/, methods an
  endpoint does not accept, and the OpenAPI schema asked for without credentials;
- the docs page loads Swagger UI from django-ninja's bundled static files (never a CDN) and stays a sign-in page.
- the OpenAPI schema documents the error answers that come from outside an operation's own code (see
  `_document_framework_errors`), and is generated once per process (`_generated_once`), not per request.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema

from api.auth import SAFE_METHODS, authenticate_request
from api.errors import NOT_FOUND_MESSAGE, UNAUTHORIZED_MESSAGE, error_response
from api.text import refuse_nul

View = Callable[..., HttpResponseBase]


class LocalSwagger(Swagger):
    """Swagger UI served from django-ninja's own static files, inside a page with a way back to the app."""

    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        swagger_settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        context = {
            "api": api,
            "swagger_settings": json.dumps(swagger_settings, indent=1),
            "add_csrf": True,
            "page_title": f"{api.title} documentation",
        }
        return render(request, self.template, context)


def _json_errors(view: View) -> View:
    """Wrap an API URL's view so that 404s and 405s also answer with the error body."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response(404, "not_found", NOT_FOUND_MESSAGE)
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            converted = error_response(
                405, "bad_request", f"{request.method} is not accepted here. Allowed: {allowed}."
            )
            converted["Allow"] = allowed
            return converted
        return response

    wrapped.login_required = False  # type: ignore[attr-defined]
    return wrapped


def _generated_once(view: View) -> View:
    """Keep the OpenAPI schema's answer for the life of the process: the schema depends only on the code, the
    same for every caller, and generating it takes seconds, which the docs page waited for on every visit."""
    answers: dict[str, tuple[bytes, str]] = {}

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = json.dumps(kwargs, sort_keys=True, default=str)
        if key not in answers:
            response = view(request, *args, **kwargs)
            if not isinstance(response, HttpResponse) or response.status_code != 200:
                return response
            answers[key] = (response.content, response["Content-Type"])
        content, content_type = answers[key]
        return HttpResponse(content, content_type=content_type)

    return wrapped


def _requires_credentials(view: View) -> View:
    """The OpenAPI schema answers only callers who could use the API: by token or session, else 401."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if authenticate_request(request) is None:
            return error_response(401, "unauthorized", UNAUTHORIZED_MESSAGE)
        return view(request, *args, **kwargs)

    return wrapped


# Exempt from CSRF: it changes nothing and answers 404 to every method, where the CSRF check would answer a POST
# (or PUT, PATCH, DELETE) with the HTML 403 page instead of the API's error body.
@csrf_exempt
def _unknown_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", "No API endpoint here. The endpoints are listed at /api/v1/docs.")


_unknown_endpoint.login_required = False  # type: ignore[attr-defined]


ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
# Answers ninja and api.auth give before an operation's code runs, so no operation's `response=` lists them.
BODY_NOT_JSON = {"description": "The body is not JSON: \"Cannot parse request body\".", "content": ERROR_BODY}
CSRF_FAILED = {"description": "A signed-in session sent no valid X-CSRFToken header.", "content": ERROR_BODY}
TOO_MANY_BAD_TOKENS = {"description": "Too many rejected API tokens from your address: wait a few minutes.",
                       "content": ERROR_BODY}


def _document_framework_errors(schema: OpenAPISchema) -> None:
    """Add to every operation the error answers the framework gives on its behalf, in the one error schema:
    400 when it takes a body that is not JSON, 403 when it is unsafe (a session without a CSRF token), and 429
    when it takes tokens (accounts.throttling). An operation that documents one of them itself keeps its own."""
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            responses = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault(400, copy.deepcopy(BODY_NOT_JSON))
            if method.upper() not in SAFE_METHODS:
                responses.setdefault(403, copy.deepcopy(CSRF_FAILED))
            if {"TokenAuth": []} in operation.get("security", []):
                responses.setdefault(429, copy.deepcopy(TOO_MANY_BAD_TOKENS))


class PromotedAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_framework_errors(schema)
        return schema

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if not isinstance(pattern, URLPattern) or pattern.name == "openapi-view":
                continue  # the docs page is a page: signing in is a redirect, as everywhere else
            view = pattern.callback
            if pattern.name == "openapi-json":
                view = _requires_credentials(_generated_once(view))
            pattern.callback = _json_errors(refuse_nul(view))
        # [\s\S], not `.`: a path with a line break (%0A) must not slip past to the HTML 404.
        patterns.append(re_path(r"^(?P<rest>[\s\S]*)\Z", _unknown_endpoint, name="unknown-endpoint"))
        return patterns, app_name, namespace
