"""Visibility of the Training section in the navigation bar (used by core/navigation.py)."""

from __future__ import annotations

from accounts.models import Role
from people.scoping import Scope
from training.models import Enrolment


def sees_training(scope: Scope) -> bool:
    """HR, administrators, sales leaders and managers; anyone else (a seller, an engineering manager) only
    once they are enrolled."""
    if scope.has(Role.ADMINISTRATOR, Role.HR_PARTNER, Role.SENIOR_SALES_LEADER, Role.SALES_MANAGER):
        return True
    return scope.person_id is not None and Enrolment.objects.filter(person_id=scope.person_id).exists()
