from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from accounts.models import Role
from people.models import EmploymentStatus
from people.scoping import me as signed_in_person
from people.scoping import scope_for, visible_people


def home_summary(*, user: Any) -> dict[str, Any]:
    """Figures for the home page, each limited to what `user` may see."""
    scope = scope_for(user)
    me = signed_in_person(user)
    visible = visible_people(user)
    counts = visible.aggregate(
        active=Count("pk", filter=~Q(status=EmploymentStatus.INACTIVE)),
        inactive=Count("pk", filter=Q(status=EmploymentStatus.INACTIVE)),
    )
    team = []
    if me is not None and scope.has(Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER):
        team = list(
            visible.filter(manager=me)
            .exclude(status=EmploymentStatus.INACTIVE)
            .select_related("org_unit")
            .annotate(report_count=Count("direct_reports", filter=~Q(direct_reports__status="inactive")))
            .order_by("last_name", "first_name")
        )
    return {
        "me": me,
        "scope": scope,
        "visible_active": counts["active"],
        "visible_inactive": counts["inactive"],
        "team": team,
        "is_admin": scope.sees_everyone,
        "is_hr": Role.HR_PARTNER in scope.roles,
        "is_leader": Role.SENIOR_SALES_LEADER in scope.roles,
        "is_manager": Role.SALES_MANAGER in scope.roles,
        "is_seller": Role.SELLER in scope.roles,
    }
