"""Reads of sign-ins and their credentials, limited to what the caller may see."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import ApiToken, User


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The caller's own API tokens: active ones first (newest first), then revoked ones (latest first)."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"
    )


def api_token_of(*, user: User, token_id: int) -> ApiToken:
    """One of the caller's own tokens, or 404: someone else's token is indistinguishable from a missing one."""
    return get_object_or_404(ApiToken.objects.select_related("user"), pk=token_id, user=user)
