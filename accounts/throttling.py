"""Limits on guessing: sign-in lockouts (django-axes), password reset emails and API token failures.

Sign-in failures are counted by django-axes in the database (settings: AXES_*; lockouts appear in the admin).
Axes cannot count password reset emails or bad API tokens, so those use `RateLimit`, a fixed-window counter in
Django's cache: the first event for a key starts a window, at most `limit` events pass in it, and the window ends
`window` after its first event. The cache must be shared by every web process (see CACHES in settings). The count
is read and written without a lock, so two requests at the very same moment may both pass: good enough to stop a
flood, not a precise quota. Every limit and its setting is listed in docs/configuration.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import math
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger("promoted.throttling")


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from, as every limit counts it (axes calls this too).

    Behind TRUSTED_PROXY_COUNT proxies that each append to X-Forwarded-For, the entry that many from the right is
    the one the outermost trusted proxy saw; anything left of it was written by the client and is ignored.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = _valid_ip(forwarded[-proxies])
            if address:
                return address
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def attempted_email(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The sign-in email an attempt was for, case-folded so that NORA@ and nora@ count as one account.

    The sign-in forms send it as `username`; `authenticate(email=...)` and axes' own bookkeeping as `email`.
    """
    post = getattr(request, "POST", None) or {}
    for source in (credentials or {}, post):
        for field in ("username", "email"):
            value = source.get(field)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    return ""


class SignInLockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check, for sign-ins that come with a request.

    Every sign-in form (ours and the admin's) passes the request to `authenticate`, so whatever a browser or a script
    sends is counted and locked out. Calls without a request come from code running on the server (management
    commands, the demo's checks, the test client's `login`); axes would raise for those, here they go on to the
    password check unthrottled. A new sign-in path must pass the request; tests/accounts prove both forms do.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` events per key in a window of `window` that starts with the key's first event."""

    scope: str
    limit: int
    window: dt.timedelta

    def _cache_key(self, key: str) -> str:
        # Hashed: addresses are not kept in the clear, and any value makes a valid key for every cache backend.
        return f"ratelimit:{self.scope}:{hashlib.sha256(key.encode()).hexdigest()}"

    def _current(self, cache_key: str, now: float) -> tuple[int, float]:
        stored = cache.get(cache_key)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[1] > now:
            return int(stored[0]), float(stored[1])
        return 0, now + self.window.total_seconds()

    def hit(self, key: str) -> bool:
        """Count one event for key; True while it is within the limit, False once it goes over."""
        cache_key = self._cache_key(key)
        now = time.time()
        count, ends = self._current(cache_key, now)
        count += 1
        # The expiry travels with the count: some backends' incr() would reset the timeout.
        cache.set(cache_key, (count, ends), timeout=max(1, math.ceil(ends - now)))
        return count <= self.limit

    def exceeded(self, key: str) -> bool:
        """Whether key has used up its events in the current window (counts nothing)."""
        count, _ = self._current(self._cache_key(key), time.time())
        return count >= self.limit


def _per_hour(scope: str, limit: int) -> RateLimit:
    return RateLimit(scope=scope, limit=limit, window=dt.timedelta(hours=1))


def password_reset_allowed(*, email: str, request: HttpRequest | None) -> bool:
    """Count a password reset request; False when its address or its client address is over the hourly limit.

    Both counters count every request, whether or not the address has an account, so the answer (and the
    page, which always says the same) tells nothing about which addresses exist.
    """
    per_address = _per_hour("password-reset-address", settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR)
    per_ip = _per_hour("password-reset-ip", settings.PASSWORD_RESETS_PER_IP_PER_HOUR)
    # Folded as Django's reset form compares addresses, so case or look-alike variants share one counter.
    address_ok = per_address.hit(unicodedata.normalize("NFKC", email.strip()).casefold())
    ip = client_ip(request) if request is not None else None
    ip_ok = per_ip.hit(ip) if ip else True
    if not (address_ok and ip_ok):
        logger.warning("Password reset email withheld: %s limit reached (client %s).",
                       "address" if not address_ok else "client address", ip or "unknown")
    return address_ok and ip_ok


def _api_token_failures() -> RateLimit:
    return RateLimit(
        scope="api-token-failures",
        limit=settings.API_TOKEN_FAILURES_PER_IP,
        window=dt.timedelta(minutes=settings.API_TOKEN_FAILURE_WINDOW_MINUTES),
    )


def api_token_failures_exceeded(request: HttpRequest) -> bool:
    """Whether the request's client address has sent too many bad API tokens lately."""
    ip = client_ip(request)
    return bool(ip) and _api_token_failures().exceeded(ip or "")


def api_token_failure_record(request: HttpRequest) -> None:
    ip = client_ip(request)
    if ip and not _api_token_failures().hit(ip):
        logger.warning("API token failures from %s reached the limit; refusing its tokens for a while.", ip)
