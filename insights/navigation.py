"""Who sees the insights entries in the navigation bar (the pages enforce scope themselves)."""

from __future__ import annotations

from accounts.models import Role
from people.scoping import Scope


def sees_insights(scope: Scope) -> bool:
    """Situations, team views and the gap map: managers, leaders, HR partners and administrators."""
    return scope.has(Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER, Role.HR_PARTNER, Role.ADMINISTRATOR)


def sees_own_diagnostic_only(scope: Scope) -> bool:
    """Sellers (who hold no wider role) get a direct link to their own diagnostic."""
    return scope.has(Role.SELLER) and not sees_insights(scope) and scope.person_id is not None
