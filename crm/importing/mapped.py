"""mapped importer (being written)."""

from __future__ import annotations

from pathlib import Path

from crm.importing.pipeline import Pipeline


def plan(pipeline: Pipeline, paths: list[Path], mapping: Path | None = None) -> None:
    raise NotImplementedError
