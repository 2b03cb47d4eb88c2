"""The demo's steps: each capability adds its own demo data without editing `manage.py demo`.

Each capability's step is a module of this package, `demo/<capability>.py`, with a `register_demo_steps()`
that `demo.register_demo_steps` calls (once, from the shell's HomeConfig.ready()); add a new capability's module
there:

    # demo/crm.py
    def register_demo_steps() -> None:
        register_demo_step("crm", 20, crm_demo_step, reset=crm_demo_reset)

Steps run in `order` (people is 10, so later capabilities use 20, 30, ...). A step reads what earlier steps left
in `context.shared` (the people step leaves the company plan in `context.plan`) and adds its own results. A
`reset` hook deletes the data the step owns; `manage.py demo --reset` runs the hooks in reverse order, so data
that points at people is gone before the people are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from core.models import AuditEvent

if TYPE_CHECKING:
    from demo.company import CompanyPlan


@dataclass(frozen=True)
class DemoLogin:
    """A login the demo hands out, printed in the logins table."""

    role: str
    name: str
    email: str
    shows: str


@dataclass
class DemoContext:
    """What every demo step gets: the run's parameters, where to write files, and what earlier steps made."""

    seed: int
    size: int  # active sellers
    data_dir: Path  # var/demo: files the steps write (the HR file, truth files, exports)
    write: Callable[[str], None]  # prints a line for the person running the demo
    password: str  # the demo password set on the printed logins
    plan: CompanyPlan | None = None
    logins: list[DemoLogin] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    run: Callable[[DemoContext], None]
    reset: Callable[[], None] | None = None


_STEPS: dict[str, DemoStep] = {}


def register_demo_step(
    name: str, order: int, func: Callable[[DemoContext], None], *, reset: Callable[[], None] | None = None
) -> None:
    """Add (or replace, by name) a demo step. `reset` deletes the data the step owns, for `demo --reset`."""
    _STEPS[name] = DemoStep(name=name, order=order, run=func, reset=reset)


def demo_steps() -> list[DemoStep]:
    """The registered steps in the order they run."""
    return sorted(_STEPS.values(), key=lambda step: (step.order, step.name))


def demo_reset() -> None:
    """Wipe the demo's data: every step's own data (latest step first), then sign-ins, sessions, the audit log
    and queued background jobs. Data that migrations put in place (for example the default curriculum) stays.
    """
    for step in reversed(demo_steps()):
        if step.reset is not None:
            step.reset()
    with transaction.atomic():
        Session.objects.all().delete()
        AuditEvent.objects.all().delete()
        DBTaskResult.objects.all().delete()
        User.objects.all().delete()
