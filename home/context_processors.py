from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from home.navigation import nav_for
from people.scoping import scope_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    section = request.path.strip("/").split("/", 1)[0]
    return {
        "nav_items": nav_for(scope),
        "nav_section": section,
        "user_scope": scope,
        "user_role_labels": scope_role_labels(scope.roles),
    }


def scope_role_labels(roles: frozenset[str]) -> list[str]:
    from accounts.models import Role

    return [label for value, label in Role.choices if value in roles]
