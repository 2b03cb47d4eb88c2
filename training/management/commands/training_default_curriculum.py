from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from training.curriculum import default_curriculum_install


class Command(BaseCommand):
    help = (
        "Add any missing part of the default curriculum (tracks, courses, competencies, providers). "
        "Never overwrites HR's edits."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            created = default_curriculum_install(apps)
        self.stdout.write(", ".join(f"{n} {kind} added" for kind, n in created.items()))
