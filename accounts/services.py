"""Writes to sign-ins and their credentials: personal API tokens.

A token is `pmt_` followed by 43 URL-safe characters. Only its SHA-256 digest is stored, so a token cannot be
recovered from the database; the raw value is handed back once, by `api_token_create`, for the page to show.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.selectors import is_administrator
from core.services import audit_log

TOKEN_PREFIX = "pmt_"  # noqa: S105 (a label, not a secret)
# Display prefix kept in clear for people to tell their tokens apart ("pmt_AbC123…").
DISPLAY_PREFIX_LENGTH = 10
# Writing last_used_at on every call would turn every API read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
# Raw tokens are "pmt_" + token_urlsafe(32) (43 characters); anything far off that is not worth a query.
_RAW_LENGTH_RANGE = range(20, 200)


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token for `user` and return it with its raw value.

    The raw value is not stored anywhere: the caller shows it once and then it is gone.
    Raises ValidationError when the name is blank or too long.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, such as the script or tool that will use it."})
    max_length = ApiToken._meta.get_field("name").max_length or 100
    if len(name) > max_length:
        raise ValidationError({"name": f"Keep the name to {max_length} characters or fewer."})
    raw = ApiToken.new_raw_token()
    token = ApiToken.objects.create(
        user=user, name=name, digest=ApiToken.digest_of(raw), prefix=raw[:DISPLAY_PREFIX_LENGTH]
    )
    audit_log(
        actor=user,
        action="api_token.created",
        target=token,
        summary=f"{user.email} created API token “{name}” ({token.prefix}…)",
        details={"name": name, "prefix": token.prefix},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke `token` so it no longer authenticates. Revoking a revoked token changes nothing.

    The owner may revoke their own tokens; an administrator may revoke anyone's. Raises PermissionDenied
    otherwise (views look tokens up through the caller's own tokens first, so others' tokens answer 404).
    """
    if token.user_id != actor.pk and not is_administrator(user=actor):
        raise PermissionDenied("You can only revoke your own API tokens.")
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at", "updated_at"])
    audit_log(
        actor=actor,
        action="api_token.revoked",
        target=locked,
        summary=f"{actor.email} revoked API token “{locked.name}” ({locked.prefix}…) of {token.user.email}",
        details={"name": locked.name, "prefix": locked.prefix, "owner_id": locked.user_id},
    )
    return locked


def api_token_authenticate(*, raw: str) -> User | None:
    """The active user a raw bearer token belongs to, or None for an unknown, revoked or disowned token.

    Records when the token was last used, at most once per LAST_USED_RESOLUTION.
    """
    raw = raw.strip()
    if not raw.startswith(TOKEN_PREFIX) or len(raw) not in _RAW_LENGTH_RANGE:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A plain UPDATE, not save(): no read-modify-write race and updated_at keeps meaning "edited".
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
