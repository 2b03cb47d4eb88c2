"""Who may see and act on a manager's development record.

Everything starts from people.scoping: a manager outside the signed-in person's scope does not exist for them
(404). Within scope:
- the manager themself sees their plan and evidence and may submit evidence, but never review it;
- their leaders (anyone above them in the reporting line) see, submit, review and manage the plan;
- HR partners (for the units they support) and administrators do the same;
- anyone else who can see the person (e.g. a peer manager with no reporting line to them) sees nothing here.
"""

from __future__ import annotations

from typing import Any

from people.models import Person
from people.scoping import is_above, is_hr_for, is_self, visible_people


def _relation(user: Any, manager: Person) -> str:
    """"self", "leader", "hr" or "" (no standing) for `user` towards `manager`, assuming `manager` is visible."""
    if is_self(user, manager):
        return "self"
    if is_above(user, manager):
        return "leader"
    if is_hr_for(user, manager):
        return "hr"
    return ""


def relation_to(user: Any, manager: Person) -> str:
    """The user's standing towards `manager`'s development record ("" when none or out of scope)."""
    if not visible_people(user).filter(pk=manager.pk).exists():
        return ""
    return _relation(user, manager)


def can_view(user: Any, manager: Person) -> bool:
    return relation_to(user, manager) != ""


def can_review(user: Any, manager: Person) -> bool:
    """HR or the manager's own leader; never the manager themself (not even an HR partner who is the manager)."""
    return relation_to(user, manager) in ("leader", "hr")


def can_manage_plan(user: Any, manager: Person) -> bool:
    """Due dates, added modules and check-ins: the people who hold the manager to the plan."""
    return relation_to(user, manager) in ("leader", "hr")
