"""What the apps above people add to an HR import. People is on a floor below them and cannot import them, so they
register here when Django starts (the development program does, in training/hr_import.py), the way insights
registers its analysis with crm:

- a promotion preview: for someone the file makes a people manager, what the program will enrol them in and by
  when, shown on the check and import pages;
- after-import steps: run inside the import's transaction once its changes are applied (the program enrols the
  new managers), so the import and what follows from it land together or not at all; each step's counts are
  recorded under its own key of the import's changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from accounts.models import User

PromotionPreview = Callable[..., dict[str, Any]]  # (*, manager_since, sales, today) -> fields to show
AfterImport = Callable[..., dict[str, int]]  # (*, today, actor) -> counts to record

_promotion_previews: list[PromotionPreview] = []
_after_import: dict[str, AfterImport] = {}


def promotion_preview_register(preview: PromotionPreview) -> None:
    """Add `preview(*, manager_since, sales, today)`'s fields to each promotion an import lists (once)."""
    if preview not in _promotion_previews:
        _promotion_previews.append(preview)


def promotion_preview(*, manager_since: dt.date, sales: bool, today: dt.date) -> dict[str, Any]:
    """The registered previews' fields for one promotion (`sales`: they will manage sellers)."""
    fields: dict[str, Any] = {}
    for preview in _promotion_previews:
        fields.update(preview(manager_since=manager_since, sales=sales, today=today))
    return fields


def after_import_register(key: str, step: AfterImport) -> None:
    """Run `step(*, today, actor)` after an import applies its changes; its counts go to `changes[key]`."""
    _after_import[key] = step


def after_import_run(*, today: dt.date, actor: User | None) -> dict[str, dict[str, int]]:
    """Every registered step, in the order registered: key -> its counts. A failing step fails the import."""
    return {key: step(today=today, actor=actor) for key, step in _after_import.items()}
