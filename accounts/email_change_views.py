"""The page where a person confirms moving their sign-in to the work email HR gave (see accounts.email_changes)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.email_changes import change_for_token, sign_in_email_change_confirm
from accounts.models import User


@require_http_methods(["GET", "POST"])
def sign_in_email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what would change; POST moves the sign-in. Signing in first is required (middleware), and only
    the account's owner may confirm: anyone else sees the same 'not valid' page as for a bad link."""
    assert isinstance(request.user, User)
    problem = ""
    change = None
    try:
        change = change_for_token(token)
        if change.user_id != request.user.pk:
            raise ValidationError("This confirmation link is not for the account you are signed in with. Sign out "
                                  "and sign in with the address the email was about.")
    except ValidationError as exc:
        problem = " ".join(exc.messages)
        change = None
    if change is not None and request.method == "POST":
        try:
            sign_in_email_change_confirm(change=change, actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            problem = " ".join(getattr(exc, "messages", [str(exc)]))
        else:
            messages.success(request, f"From now on you sign in with {change.new_email}.")
            return redirect("home:home")
    return render(request, "accounts/sign_in_email_confirm.html", {
        "page_title": "Confirm your new sign-in email", "change": change, "problem": problem,
    }, status=400 if problem and request.method == "POST" else 200)
