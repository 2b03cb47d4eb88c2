"""Helpers for answering HTTP requests safely."""

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request: HttpRequest) -> str:
    """The request's `next` (POST, then GET) when it stays on this site, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def safe_next(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Redirect to the request's `next` (POST, then GET) when it stays on this site, else to `default`.

    `default` is a URL name or path. An off-site, scheme-changing or unparseable `next` falls back to it, so a
    link can never send someone to another site (open redirect) or raise NoReverseMatch.
    """
    target = next_url(request)
    return HttpResponseRedirect(target) if target else redirect(default)
