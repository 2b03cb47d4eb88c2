from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import ApiTokenCreateForm
from accounts.models import User
from core.forms import apply_errors


def sign_in_locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
                       credentials: dict[str, Any] | None = None) -> HttpResponse:
    """What a locked-out sign-in sees, on our sign-in page and the admin's (axes' AXES_LOCKOUT_CALLABLE)."""
    context = {
        "page_title": "Sign-in paused",
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def _user(request: HttpRequest) -> User:
    # LoginRequiredMiddleware guarantees a signed-in user on every view here.
    assert isinstance(request.user, User)
    return request.user


@never_cache  # the response that carries a new raw token must not be kept by any cache
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The signed-in person's API tokens: create one (its raw value is shown once, here), list, revoke."""
    user = _user(request)
    form = ApiTokenCreateForm(request.POST or None)
    created = None
    raw_token = ""
    if request.method == "POST" and form.is_valid():
        try:
            created, raw_token = services.api_token_create(user=user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            form = ApiTokenCreateForm()
    context = {
        "page_title": "API tokens",
        "form": form,
        "tokens": list(selectors.api_tokens_of(user=user)),
        "created": created,
        "raw_token": raw_token,
        "example_url": request.build_absolute_uri(reverse("api-1.0.0:me")),
        "docs_url": reverse("api-1.0.0:openapi-view"),
    }
    status = 201 if created else (422 if request.method == "POST" else 200)
    return render(request, "accounts/tokens.html", context, status=status)


@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the signed-in person's tokens; anyone else's token answers 404."""
    user = _user(request)
    token = selectors.api_token_of(user=user, token_id=token_id)
    token = services.api_token_revoke(token=token, actor=user)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "accounts/_token_row.html", {"token": token, "just_revoked": True})
    messages.success(request, f"Revoked “{token.name}”. Anything still using it will now get 401.")
    return redirect("accounts:api_tokens")
