"""Whether a manager is equipped to coach a task: they have shown mastery in a course that teaches it.

The rule is the development app's (development/equipment.py): a course equips a manager to coach the seller tasks
it teaches once accepted mastery evidence covers every competency the course builds. Insights is on a floor below
development and cannot import it, so development hands the rule over when Django starts (`equipment_register`,
from DevelopmentConfig.ready()), in bulk: the gap map lists every manager, with a fixed number of queries.
Without the development app (or before any course names the tasks it teaches) nobody counts as equipped, and the
pages say so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Equipment:
    """The development app's answers, for many managers or tasks at once."""

    mastery_is_recorded: Callable[[], bool]  # some course names the seller tasks it teaches
    equipped_task_keys: Callable[[list[int]], dict[int, set[str]]]  # manager person ids -> task keys
    courses_teaching: Callable[[list[str]], dict[str, list[Any]]]  # task keys -> active courses (training.Course)


_registered: dict[str, Equipment] = {}


def equipment_register(equipment: Equipment) -> None:
    """Called from DevelopmentConfig.ready(): from then on, these functions answer with development's rule."""
    _registered["equipment"] = equipment


def mastery_is_recorded() -> bool:
    """True when the development app is installed and some course names the seller tasks it teaches."""
    equipment = _registered.get("equipment")
    return equipment is not None and equipment.mastery_is_recorded()


def equipped_task_keys(manager_ids: Iterable[int]) -> dict[int, set[str]]:
    """Manager person id -> the seller task keys they are equipped to coach (missing ids: none)."""
    ids = list(manager_ids)
    equipment = _registered.get("equipment")
    if not ids or equipment is None:
        return {}
    return equipment.equipped_task_keys(ids)


def courses_teaching(task_keys: Iterable[str]) -> dict[str, list[Any]]:
    """Task key -> the active courses (training.Course, by title) that teach a manager to coach it."""
    keys = list(task_keys)
    equipment = _registered.get("equipment")
    if not keys or equipment is None:
        return {}
    return equipment.courses_teaching(keys)
