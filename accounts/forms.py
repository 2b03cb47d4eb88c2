from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm, _unicode_ci_compare  # type: ignore[attr-defined]
from django.http import HttpRequest

from accounts.models import ApiToken, User
from accounts.throttling import password_reset_allowed


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What will use it, e.g. “Quarterly report script”. Only you see this.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "Quarterly report script"}),
    )


class FirstSignInPasswordResetForm(PasswordResetForm):
    """Password reset that also reaches people who have never set a password.

    People imported from the HR file get an account with no usable password; Django's form skips those, so
    "signing in for the first time? use password reset" sent nothing. Here every active account with the address
    gets the link (the token is bound to the password's current value, so it stops working once a password is
    set), and the email says whether it sets a first password or replaces one.

    Resets are limited per address and per client address (accounts.throttling): over the limit the page answers
    exactly as usual, but no email is sent."""

    def save(self, **kwargs: Any) -> None:  # type: ignore[override]  # PasswordResetView passes keywords only
        request: HttpRequest | None = kwargs.get("request")
        if not password_reset_allowed(email=self.cleaned_data["email"], request=request):
            return
        super().save(**kwargs)

    def get_users(self, email: str) -> Iterator[User]:
        email_field = User.get_email_field_name()
        users = User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True})
        # Django's own comparison, as its form uses, so a look-alike address (Unicode case folding) gets nothing.
        return (u for u in users if _unicode_ci_compare(getattr(u, email_field), email))

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context.get("user")
        context["first_sign_in"] = bool(user is not None and not user.has_usable_password())
        super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                          html_email_template_name)
