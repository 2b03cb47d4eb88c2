"""Moving a sign-in to a new email address, only when its owner confirms it.

HR imports change people's work emails; the sign-in must not follow by itself, or whoever controls the new
address (or whoever typed it into the HR file) would get the account through a password reset. Instead:

1. `sign_in_email_change_request` records the change and, once the transaction commits, sends a confirmation link
   to the new address and a notice to the old one.
2. The owner opens the link while signed in with their current email and confirms
   (`sign_in_email_change_confirm`); only then does the sign-in move. The link is signed, expires, and works once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import SignInEmailChange, User
from core.services import audit_log

LINK_VALID_FOR = dt.timedelta(days=7)
_SALT = "accounts.sign-in-email-change"


def confirmation_token(change: SignInEmailChange) -> str:
    """The signed token of the confirmation link: it names the change and the address it moves to."""
    return signing.dumps({"change": change.pk, "email": change.new_email}, salt=_SALT, compress=True)


def change_for_token(token: str) -> SignInEmailChange:
    """The open change a confirmation token names. Raises ValidationError when the link is bad, old or used."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=LINK_VALID_FOR)
    except signing.SignatureExpired as expired:
        raise ValidationError("This confirmation link has expired. Ask your HR partner to import the change "
                              "again, or an administrator to send a new link.") from expired
    except signing.BadSignature as bad:
        raise ValidationError("This confirmation link is not valid. Check that you opened the whole link from "
                              "the email.") from bad
    change = (
        SignInEmailChange.objects.select_related("user")
        .filter(pk=payload.get("change"), new_email=payload.get("email")).first()
    )
    if change is None or not change.is_open:
        raise ValidationError("This confirmation link was already used or is no longer needed.")
    return change


def _send_request_emails(change: SignInEmailChange) -> None:
    link = settings.SITE_URL + reverse("accounts:sign_in_email_confirm", args=[confirmation_token(change)])
    days = LINK_VALID_FOR.days
    send_mail(
        subject="Confirm your new sign-in email for Promoted",
        message=(
            "Hello,\n\n"
            f"Your HR record now gives {change.new_email} as your work email. Your Promoted sign-in is still "
            f"{change.old_email}.\n\n"
            f"To sign in with {change.new_email} from now on, sign in to Promoted as usual and open this link "
            f"(it works once, for {days} days):\n{link}\n\n"
            "If you did not expect this, do nothing: your sign-in stays as it is. Tell your HR partner.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[change.new_email],
    )
    send_mail(
        subject="Your work email changed in Promoted's HR records",
        message=(
            "Hello,\n\n"
            f"Promoted's HR records now give {change.new_email} as your work email. Your sign-in stays "
            f"{change.old_email} unless you confirm the change from the email we sent to the new address.\n\n"
            "If this is not right, do nothing and tell your HR partner or your administrator.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[change.old_email],
    )


def sign_in_email_change_request(*, user: User, new_email: str) -> SignInEmailChange | None:
    """Ask `user` to confirm moving their sign-in to `new_email`; emails go out when the transaction commits.

    Returns the open change, or None when there is nothing to ask (same address). Asking again for the same
    address sends nothing new; a different address replaces (cancels) the earlier open request.
    """
    new_email = new_email.strip().lower()
    if new_email == user.email:
        SignInEmailChange.objects.filter(user=user, confirmed_at=None, cancelled_at=None).update(
            cancelled_at=timezone.now())
        return None
    open_changes = SignInEmailChange.objects.filter(user=user, confirmed_at=None, cancelled_at=None)
    existing = open_changes.filter(new_email=new_email).first()
    if existing is not None:
        return existing
    open_changes.update(cancelled_at=timezone.now())
    change = SignInEmailChange.objects.create(user=user, old_email=user.email, new_email=new_email)
    transaction.on_commit(lambda: _send_request_emails(change))
    return change


@transaction.atomic
def sign_in_email_change_confirm(*, change: SignInEmailChange, actor: User) -> User:
    """Move the sign-in of `change.user` to the new address. Only the account's owner, signed in, may do it.

    Raises PermissionDenied for anyone else, ValidationError when the change no longer holds (already used,
    the sign-in changed meanwhile, or another account has the address now).
    """
    if actor.pk != change.user_id:
        raise PermissionDenied("Only the owner of this sign-in can confirm the change.")
    change = SignInEmailChange.objects.select_for_update().select_related("user").get(pk=change.pk)
    user = change.user
    if not change.is_open or user.email != change.old_email:
        raise ValidationError("This change was already made or is no longer needed.")
    if User.objects.filter(email=change.new_email).exclude(pk=user.pk).exists():
        raise ValidationError(
            f"Another account already signs in with {change.new_email}, so your sign-in cannot move there. "
            "Tell your administrator."
        )
    user.email = change.new_email
    user.save(update_fields=["email", "username"])
    change.confirmed_at = timezone.now()
    change.save(update_fields=["confirmed_at", "updated_at"])
    audit_log(
        actor=actor, action="account.sign_in_email_changed", target=user,
        summary=f"Sign-in moved from {change.old_email} to {change.new_email}, confirmed by its owner",
        details={"old_email": change.old_email, "new_email": change.new_email},
    )
    old = change.old_email
    transaction.on_commit(lambda: send_mail(
        subject="Your Promoted sign-in email changed",
        message=(
            f"Hello,\n\nYou now sign in to Promoted with {change.new_email} instead of {old}.\n\n"
            "If you did not do this, tell your administrator at once.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[old],
    ))
    return user
