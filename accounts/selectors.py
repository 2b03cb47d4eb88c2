"""Reads of sign-ins and their credentials, limited to what the caller may see."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import ApiToken, Role, RoleGrant, User


def held_roles(*, user: User, granted: Iterable[str]) -> frozenset[str]:
    """The roles `user` holds, given the roles granted to them: those, and administrator for a superuser.

    The one definition of a user's roles; people.scoping builds every scope on it.
    """
    roles = set(granted)
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    return frozenset(roles)


def is_administrator(*, user: User) -> bool:
    """Whether `user` administers Promoted (and so sees everyone): one query for their grants."""
    granted = RoleGrant.objects.filter(user=user).values_list("role", flat=True)
    return Role.ADMINISTRATOR in held_roles(user=user, granted=granted)


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The caller's own API tokens: active ones first (newest first), then revoked ones (latest first)."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"
    )


def api_token_of(*, user: User, token_id: int) -> ApiToken:
    """One of the caller's own tokens, or 404: someone else's token is indistinguishable from a missing one."""
    return get_object_or_404(ApiToken.objects.select_related("user"), pk=token_id, user=user)
