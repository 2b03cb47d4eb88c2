"""`{% development_link subject %}`: a link to a manager's development plan on their person page, shown only to
people who may open it (the manager, their leaders, HR)."""

from __future__ import annotations

from typing import Any

from django import template

from development.permissions import can_view
from development.selectors import is_people_manager
from people.models import Person

register = template.Library()


@register.inclusion_tag("development/_person_link.html", takes_context=True)
def development_link(context: dict[str, Any], subject: Person) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    show = user is not None and is_people_manager(subject) and can_view(user, subject)
    return {"subject": subject, "show": show}
