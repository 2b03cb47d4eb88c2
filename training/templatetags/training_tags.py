"""Training cards for other apps' pages: `{% load training_tags %}{% training_home_card %}` on the home page,
`{% training_person_card subject %}` on a person's page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from people.models import Person
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


@register.inclusion_tag("training/_person_card.html", takes_context=True)
def training_person_card(context: dict[str, Any], subject: Person) -> dict[str, Any]:
    """`{% training_person_card subject %}` on a person's page: their program progress and upcoming sessions,
    with a way to defer or pull them out for those allowed to ask. Shown to people who may open the person's
    training page, when the person is in the program."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not selectors.program_access(user).sees_program:
        return {"show": False}
    progress = selectors.person_training(user=user, person_id=subject.pk)
    if progress is None or not progress.items:
        return {"show": False}
    now = timezone.now()
    upcoming = [i for i in progress.items if i.booking is not None and i.booking.session.starts_at > now]
    return {
        "show": True,
        "subject": subject,
        "progress": progress,
        "upcoming": upcoming,
        "own": selectors.program_access(user).person_id == subject.pk,
        "request": request,
    }
