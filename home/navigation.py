"""The navigation bar: which sections each signed-in person sees.

Each capability adds its sections here; `visible` decides from the person's scope, so the bar only offers pages
the person may open (the pages themselves still enforce scope in their selectors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Role
from development.navigation import sees_development as _sees_development
from insights import navigation as _insights
from people.scoping import Scope
from training import navigation as _training


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    visible: Callable[[Scope], bool]
    section: str  # the first path segment it lights up for, e.g. "people"


def _anyone(scope: Scope) -> bool:
    return True


def _sees_others(scope: Scope) -> bool:
    return scope.has(Role.ADMINISTRATOR, Role.HR_PARTNER, Role.SENIOR_SALES_LEADER, Role.SALES_MANAGER)


def _hr_or_admin(scope: Scope) -> bool:
    return scope.is_hr


def _admin(scope: Scope) -> bool:
    return scope.sees_everyone


NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "home:home", _anyone, ""),
    NavItem("People", "people:directory", _sees_others, "people"),
    NavItem("HR imports", "people:import_list", _hr_or_admin, "imports"),
    NavItem("CRM data", "crm:import_list", _hr_or_admin, "crm"),
    NavItem("Training", "training:home", _training.sees_training, "training"),
    NavItem("Development", "development:index", _sees_development, "development"),
    NavItem("Insights", "insights:situations", _insights.sees_insights, "insights"),
    NavItem("My diagnostic", "insights:me", _insights.sees_own_diagnostic_only, "insights"),
    NavItem("API", "api-1.0.0:openapi-view", _anyone, "api"),
]


def nav_for(scope: Scope) -> list[NavItem]:
    return [item for item in NAV_ITEMS if item.visible(scope)]
