"""The training card on the home page: `{% load training_tags %}{% training_home_card %}`."""

from __future__ import annotations

from typing import Any

from django import template

from training import selectors

register = template.Library()


@register.inclusion_tag("training/_home_card.html", takes_context=True)
def training_home_card(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    access = selectors.program_access(user)
    if not access.sees_program:
        return {"show": False}
    mine = selectors.my_training(user=user).progress if access.is_enrolled else None
    awaiting = len(selectors.deferrals_awaiting(user=user))
    return {"show": True, "access": access, "mine": mine, "awaiting": awaiting}
