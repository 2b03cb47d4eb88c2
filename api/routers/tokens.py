"""The caller's own personal API tokens: list, create (from a signed-in session only) and revoke."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from accounts import selectors, services
from accounts.models import ApiToken
from api.auth import caller
from api.errors import COMMON_ERRORS, ErrorOut
from api.ids import Id

router = Router(tags=["API tokens"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="The first characters of the token, to tell tokens apart.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(..., description="Updated at most once a minute.")
    revoked_at: dt.datetime | None


class TokenCreateIn(Schema):
    name: str = Field(..., min_length=1, max_length=100, description="What will use the token.")


class TokenCreatedOut(Schema):
    token: TokenOut
    raw: str = Field(..., description="The token itself. Shown this once: store it now.")


@router.get("", response={200: list[TokenOut], **COMMON_ERRORS}, url_name="tokens", summary="List your tokens")
def tokens_list(request: HttpRequest) -> list[ApiToken]:
    return list(selectors.api_tokens_of(user=caller(request)))


@router.post("", response={201: TokenCreatedOut, 403: ErrorOut, **COMMON_ERRORS}, url_name="token_create",
             summary="Create a token")
def token_create(request: HttpRequest, payload: TokenCreateIn) -> Status[dict[str, Any]]:
    """Create a personal token. Only from a signed-in session: a leaked token must not be able to mint more."""
    if getattr(request, "_promoted_auth_method", "") == "token":
        raise HttpError(403, "Create API tokens from a signed-in session (the tokens page), not with a token.")
    token, raw = services.api_token_create(user=caller(request), name=payload.name)
    return Status(201, {"token": token, "raw": raw})


@router.delete("/{api_id:token_id}", response={200: TokenOut, **COMMON_ERRORS}, url_name="token_revoke",
               summary="Revoke a token")
def token_revoke(request: HttpRequest, token_id: Id) -> ApiToken:
    """Revoke one of your tokens (revoking twice changes nothing). Anyone else's token answers 404."""
    user = caller(request)
    token = selectors.api_token_of(user=user, token_id=token_id)
    return services.api_token_revoke(token=token, actor=user)
