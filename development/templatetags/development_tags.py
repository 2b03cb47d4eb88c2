"""`{% development_link subject %}`: a link to a manager's development plan on their person page, shown only to
people who may open it (the manager, their leaders, HR). `{% development_home_card %}`: on the home page, the
evidence waiting for the reader's review and the decisions on their own evidence."""

from __future__ import annotations

from typing import Any

from django import template

from development.permissions import can_view
from development.selectors import home_evidence, is_people_manager
from people.models import Person

register = template.Library()


def _reader(context: dict[str, Any]) -> Any | None:
    """The signed-in user reading the page, or None."""
    user = getattr(context.get("request"), "user", None)
    return user if user is not None and user.is_authenticated else None


@register.inclusion_tag("development/_person_link.html", takes_context=True)
def development_link(context: dict[str, Any], subject: Person) -> dict[str, Any]:
    user = _reader(context)
    show = user is not None and is_people_manager(subject) and can_view(user, subject)
    return {"subject": subject, "show": show}


@register.inclusion_tag("development/_home_card.html", takes_context=True)
def development_home_card(context: dict[str, Any]) -> dict[str, Any]:
    user = _reader(context)
    evidence = home_evidence(user=user) if user is not None else None
    shown = evidence is not None and (evidence.waiting_count > 0 or bool(evidence.decisions))
    return {"evidence": evidence if shown else None}
