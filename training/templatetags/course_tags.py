"""`{% course_link course %}`: a course's title, linked to its course page for those who may open it (people in
the program), plain text for anyone else, so no page shows a link that answers 404."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from training.models import Course
from training.selectors import program_access

register = template.Library()


@register.simple_tag(takes_context=True)
def course_link(context: template.Context, course: Course) -> SafeString:
    user: Any = getattr(context.get("request"), "user", None)
    if user is not None and user.is_authenticated and program_access(user).sees_program:
        return format_html('<a href="{}">{}</a>', reverse("training:course", args=[course.pk]), course.title)
    return format_html("{}", course.title)
