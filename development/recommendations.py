"""From a manager's team coaching needs (the bottom-up engine in insights) to the sales-management courses that
teach the manager to coach those tasks, with the reasons kept so the plan can say why.

The engine's contract: `insights.selectors.manager_coaching_needs(*, user, manager)` returns items (objects or
dicts) with `task_key`, `task_name`, `priority`, `sellers` and `reason`, most urgent first. Courses name the
seller tasks they teach through training.CourseSellerTask.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from people.models import Person
from training.models import Course

logger = logging.getLogger(__name__)

NO_ANALYSIS = "No team analysis yet: the coaching needs of this manager's team have not been computed."
ANALYSIS_FAILED = "The team analysis could not be read just now; the error has been logged."


@dataclass(frozen=True)
class CoachingNeed:
    task_key: str
    task_name: str
    priority: str
    reason: str
    sellers: tuple[tuple[str, str], ...]  # (id, name)
    rank: int = 0  # 1 = the team's most urgent need
    team_size: int = 0
    coaching_focus: str = ""

    def as_reason(self) -> dict[str, Any]:
        return {
            "task_key": self.task_key,
            "task_name": self.task_name,
            "priority": self.priority,
            "rank": self.rank,
            "reason": self.reason,
            "coaching_focus": self.coaching_focus,
            "team_size": self.team_size,
            "sellers": [{"id": sid, "name": name} for sid, name in self.sellers],
        }


@dataclass
class NeedsResult:
    """The needs, or why there are none to show (`note`)."""

    needs: list[CoachingNeed] = field(default_factory=list)
    available: bool = True
    note: str = ""


@dataclass
class Recommendation:
    course: Course
    needs: list[CoachingNeed]
    rank: int
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # task key -> other courses teaching it

    @property
    def reasons(self) -> list[dict[str, Any]]:
        return [{**need.as_reason(), "also_taught_in": self.alternatives.get(need.task_key, [])}
                for need in self.needs]


def _get(item: Any, name: str, default: Any = "") -> Any:
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def _seller(item: Any) -> tuple[str, str]:
    """A seller as (id, display name), whatever shape the engine hands over (Person, dict, id or name)."""
    if isinstance(item, Person):
        return (str(item.pk), item.full_name)
    if isinstance(item, dict):
        sid = item.get("id") or item.get("person_id") or item.get("employee_id") or ""
        name = item.get("name") or item.get("full_name") or item.get("employee_id") or str(sid)
        return (str(sid), str(name))
    full_name = getattr(item, "full_name", None)
    if full_name:
        return (str(getattr(item, "pk", getattr(item, "id", ""))), str(full_name))
    return ("", str(item))


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def normalise_need(item: Any, position: int = 0) -> CoachingNeed:
    """One need from the engine, whatever its shape; `position` (0-based) stands in for a missing rank."""
    sellers = _get(item, "sellers", ()) or ()
    return CoachingNeed(
        task_key=str(_get(item, "task_key")),
        task_name=str(_get(item, "task_name") or _get(item, "task_key")),
        priority=str(_get(item, "priority")),
        reason=str(_get(item, "reason")),
        sellers=tuple(_seller(s) for s in sellers),
        rank=_int(_get(item, "rank", 0)) or position + 1,
        team_size=_int(_get(item, "team_size", 0)),
        coaching_focus=str(_get(item, "coaching_focus", "") or ""),
    )


def team_coaching_needs(*, user: Any, manager: Person) -> NeedsResult:
    """The manager's team coaching needs as `user` may see them, or a note saying why there are none."""
    try:
        from insights.selectors import manager_coaching_needs  # the engine may not be installed yet
    except (ImportError, AttributeError):
        return NeedsResult(available=False, note=NO_ANALYSIS)
    try:
        if not _analysis_exists():
            return NeedsResult(available=False, note=NO_ANALYSIS)
        items = manager_coaching_needs(user=user, manager=manager)
    except Exception:
        # The plan must still open when the analytics store is down or not loaded; the log keeps the cause.
        logger.exception("manager_coaching_needs failed for manager %s", manager.pk)
        return NeedsResult(available=False, note=ANALYSIS_FAILED)
    if items is None:
        return NeedsResult(available=False, note=NO_ANALYSIS)
    return NeedsResult(needs=[normalise_need(item, i) for i, item in enumerate(items) if _get(item, "task_key")])


def _analysis_exists() -> bool:
    """The engine answers [] both for "no needs" and "never analysed"; its latest_run() tells them apart."""
    try:
        from insights.selectors import latest_run
    except (ImportError, AttributeError):
        return True  # an engine without runs: trust its answer
    return latest_run() is not None


def recommend_courses(needs: Iterable[CoachingNeed]) -> tuple[list[Recommendation], list[CoachingNeed]]:
    """The fewest active courses that together teach every need some course teaches, most urgent first; and the
    needs no course teaches yet (so HR can see the curriculum's gaps).

    Greedy cover in the order of urgency: for the most urgent need not yet covered, take the course teaching it
    that also covers the most other uncovered needs (ties: the more focused course, then curriculum order). Each
    recommendation lists every need it addresses; other courses teaching the same need are named as
    alternatives, so a leader can swap one in by hand.
    """
    ordered = list(needs)
    keys = {need.task_key for need in ordered}
    courses: dict[int, Course] = {}
    tasks_of: dict[int, set[str]] = {}
    for course in (
        Course.objects.filter(is_active=True, seller_tasks__task_key__in=keys)
        .select_related("track", "provider")
        .prefetch_related("seller_tasks", "competencies")
        .distinct()
    ):
        courses[course.pk] = course
        tasks_of[course.pk] = {t.task_key for t in course.seller_tasks.all()}
    teachable = {key for tasks in tasks_of.values() for key in tasks} & keys
    uncovered_keys = set(teachable)
    chosen: list[Recommendation] = []
    for position, need in enumerate(ordered):
        if need.task_key not in uncovered_keys:
            continue
        candidates = [c for c in courses.values() if need.task_key in tasks_of[c.pk]]
        best = min(candidates, key=lambda c: (-len(tasks_of[c.pk] & uncovered_keys), len(tasks_of[c.pk]),
                                              c.track.position, c.position, c.title))
        uncovered_keys -= tasks_of[best.pk]
        chosen.append(Recommendation(course=best, needs=[n for n in ordered if n.task_key in tasks_of[best.pk]],
                                     rank=position))
    picked = {rec.course.pk for rec in chosen}
    for rec in chosen:
        rec.alternatives = {
            need.task_key: sorted(c.title for c in courses.values()
                                  if c.pk not in picked and need.task_key in tasks_of[c.pk])
            for need in rec.needs
        }
    uncovered = [need for need in ordered if need.task_key not in teachable]
    return chosen, uncovered
