"""What an import found: errors (the import changes nothing), warnings (it goes ahead, and says so) and notes
(how the files were read, where that is worth knowing but nothing was wrong with them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

ERRORS_PER_FILE = 200


@dataclass(frozen=True)
class Issue:
    """One problem in one place of the user's files. `row` counts the header as row 1, as spreadsheets do."""

    file: str
    message: str
    row: int | None = None
    column: str = ""
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        shown = f" (value {self.value!r})" if self.value else ""
        return f"{where}: {self.message}{shown}"


@dataclass
class IssueLog:
    """Collects many errors (the first ERRORS_PER_FILE per file in detail, all of them counted), warnings and
    notes."""

    errors: list[Issue] = field(default_factory=list)
    error_counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def error(self, issue: Issue) -> None:
        if issue in self.errors:
            return  # the same file checked twice (e.g. a lookup file that is also imported)
        self.error_counts[issue.file] += 1
        if self._shown(issue.file) < ERRORS_PER_FILE:
            self.errors.append(issue)

    def errors_counted(self, file: str, issues: list[Issue], total: int) -> None:
        """Record `total` errors of one kind in `file`, of which `issues` are the first few in detail."""
        fresh = [issue for issue in issues if issue not in self.errors]
        if issues and not fresh:
            return
        room = max(ERRORS_PER_FILE - self._shown(file), 0)
        self.errors.extend(fresh[:room])
        self.error_counts[file] += max(total - (len(issues) - len(fresh)), len(fresh))

    def warn(self, message: str) -> None:
        """Something in the files that the import worked around and the person should check."""
        if message not in self.warnings:
            self.warnings.append(message)

    def note(self, message: str) -> None:
        """How the files were read where the export itself leaves it open; true of every such export, so not a
        warning (a warning that always appears teaches people to skip warnings)."""
        if message not in self.notes:
            self.notes.append(message)

    def _shown(self, file: str) -> int:
        return sum(1 for issue in self.errors if issue.file == file)

    @property
    def has_errors(self) -> bool:
        return bool(self.error_counts)

    @property
    def error_total(self) -> int:
        return sum(self.error_counts.values())


class ImportFailed(Exception):
    """Raised inside an import when validation found errors; nothing has been written to the live tables."""

    def __init__(self, log: IssueLog) -> None:
        super().__init__(f"{log.error_total} error(s)")
        self.log = log
