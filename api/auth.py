"""Who is calling the API: a personal API token, or the browser session of a signed-in person.

Tokens are tried first so that scripts never meet CSRF (a cross-site page cannot set an Authorization header).
The session is accepted for safe methods as is, and for unsafe methods only with a valid CSRF token
(`X-CSRFToken` header, as htmx and the interactive docs send it); an unsigned-in request answers 401.
A client address that sent API_TOKEN_FAILURES_PER_IP bad tokens within API_TOKEN_FAILURE_WINDOW_MINUTES gets 429
for any token until the window ends (accounts.throttling).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from accounts.models import User
from accounts.services import api_token_authenticate
from accounts.throttling import api_token_failure_record, api_token_failures_exceeded

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TOO_MANY_FAILURES_MESSAGE = "Too many rejected API tokens from your address. Wait a few minutes, then try again."


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pmt_…`, checked against the digests of active tokens of active users."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if api_token_failures_exceeded(request):
            # Refused before the lookup: a client guessing tokens gets no answer about them, right or wrong.
            raise HttpError(429, TOO_MANY_FAILURES_MESSAGE)
        user = api_token_authenticate(raw=token)
        if user is None:
            api_token_failure_record(request)
            # Lets the 401 say the token was rejected rather than missing.
            request._promoted_bad_token = True  # type: ignore[attr-defined]
            return None
        # Selectors and services downstream read request.user, as they do for pages.
        request.user = user
        request._promoted_auth_method = "token"  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """Django's session cookie, with CSRF enforced for unsafe methods once the session is known to be signed in.

    Unlike ninja's `django_auth`, CSRF is checked only for a signed-in session, so an unsigned-in POST gets the
    401 it deserves rather than a 403 about CSRF. `csrf = True` also tells the interactive docs to send the token.
    """

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        unsafe = request.method not in SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False)
        if unsafe and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header with the csrftoken value.")
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()
# The default for every router: token first, then session.
DEFAULT_AUTH = [token_auth, session_auth]


def authenticate_request(request: HttpRequest) -> User | None:
    """The caller by token or session, for views outside ninja's operations (the OpenAPI schema). Read-only."""
    for auth in DEFAULT_AUTH:
        try:
            user = auth(request)
        except HttpError as exc:
            if exc.status_code == 429:
                return None  # a throttled token is no caller: the schema view answers 401
            raise
        if isinstance(user, User):
            return user
    return None


def caller(request: HttpRequest) -> User:
    """The authenticated user of an API operation (ninja has already rejected everyone else with 401)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise HttpError(401, "Authentication required.")
    return user
