"""What the development program adds to an HR import (registered with people.importing.hooks when Django starts;
people is on a floor below training and cannot call it itself)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from people.importing.hooks import after_import_register, promotion_preview_register
from training.catch_up import promotion_preview
from training.services import enrolment_rules_apply


def new_managers_enrol(*, today: dt.date, actor: Any) -> dict[str, int]:
    """New people managers in the file are enrolled in the program at once (no opt-out), in the import's
    transaction: the counts the import page shows."""
    result = enrolment_rules_apply(today=today, actor=actor)
    return {
        "enrolled": len(result.enrolled),
        "seats_confirmed": result.seats_confirmed,
        "waitlisted": result.waitlisted,
    }


def register() -> None:
    """Called from TrainingConfig.ready()."""
    promotion_preview_register(promotion_preview)
    after_import_register("training", new_managers_enrol)
