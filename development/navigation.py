"""Who sees the Development section in the navigation bar (the pages enforce scope themselves)."""

from __future__ import annotations

from accounts.models import Role
from people.scoping import Scope


def sees_development(scope: Scope) -> bool:
    """Managers (their plan), leaders (their managers' plans and reviews), HR and administrators."""
    return scope.has(Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER, Role.HR_PARTNER, Role.ADMINISTRATOR)
