"""Links to people that open for the person reading the page."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html

from people.models import Person
from people.scoping import may_see

register = template.Library()


@register.simple_tag(takes_context=True)
def person_link(context: template.Context, person: Person) -> str:
    """The person's name, linked to their profile only when the signed-in user may open it (a manager's own
    manager, for example, is outside their scope: the name is shown, the profile is not)."""
    request: Any = context.get("request")
    if request is not None and may_see(request.user, person):
        return format_html('<a href="{}">{}</a>', reverse("people:person", args=[person.pk]), person.full_name)
    return format_html("{}", person.full_name)
