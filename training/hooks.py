"""What the development app adds to the program, registered when Django starts (development/apps.py): training is
on a floor below development and cannot call it, the way people cannot call training (people.importing.hooks).

- completions: every time an enrolment becomes completed, in the same transaction (development queues the xAPI
  statement for the learning record store);
- the fundamentals' standing: how many management fundamentals a person has completed and mastered (development
  decides what mastered means: accepted evidence), for the program's pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Standing:
    """A manager's management fundamentals: how many there are, completed, and mastered (done)."""

    total: int
    completed: int
    mastered: int

    @property
    def label(self) -> str:
        return f"{self.completed}/{self.total} completed, {self.mastered}/{self.total} mastered"


Completion = Callable[..., Any]  # (*, enrolment) -> anything
StandingOf = Callable[[list[int]], dict[int, Standing]]

_on_completion: list[Completion] = []
_standing: dict[str, StandingOf] = {}


def completion_register(callback: Completion) -> None:
    """Call `callback(enrolment=...)` whenever an enrolment becomes completed (once, however often registered)."""
    if callback not in _on_completion:
        _on_completion.append(callback)


def completion_recorded(*, enrolment: Any) -> None:
    """Tell every registered callback, in order, inside the caller's transaction; a failure fails the caller."""
    for callback in _on_completion:
        callback(enrolment=enrolment)


def fundamentals_standing_register(standing_of: StandingOf) -> None:
    """Called from DevelopmentConfig.ready(): `standing_of(person_ids)` answers `fundamentals_standing`."""
    _standing["fundamentals"] = standing_of


def fundamentals_standing(person_ids: Iterable[int]) -> dict[int, Standing]:
    """Per person, fundamentals completed and mastered; empty without the development app."""
    standing_of = _standing.get("fundamentals")
    return standing_of(list(person_ids)) if standing_of is not None else {}
