"""Parsing another learning system's completions export (CSV) into checked rows, or a list of errors naming the
row, the column and the value. Nothing here writes; development.services.completions_import applies the result.

Header set (case and spaces in names do not matter; see docs/development.md):
    employee_id   the HR system's employee id            } at least one of the two columns, and a value in
    email         the person's work email                } one of them on every row
    course_code   the Promoted course key (e.g. coaching-conversations)     required
    completed_on  the completion date, YYYY-MM-DD (an ISO date-time is cut to its date)  required
    score         percent 0-100, optional ("87", "87.5", "87 %")
    passed        yes/no, true/false, 1/0, passed/failed, optional
    record_id     the source system's id for the completion, optional
Other columns are ignored and listed as such in the import's result.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from people.models import Person
from training.models import Course

KNOWN_COLUMNS = ("employee_id", "email", "course_code", "completed_on", "score", "passed", "record_id")
REQUIRED_COLUMNS = ("course_code", "completed_on")
ALIASES = {
    "employee": "employee_id",
    "employee_number": "employee_id",
    "work_email": "email",
    "user_email": "email",
    "course": "course_code",
    "course_key": "course_code",
    "completion_date": "completed_on",
    "completed_at": "completed_on",
    "date_completed": "completed_on",
    "score_percent": "score",
    "result": "passed",
    "completion_id": "record_id",
}
TRUE_WORDS = {"yes", "y", "true", "1", "passed", "pass"}
FALSE_WORDS = {"no", "n", "false", "0", "failed", "fail"}
MAX_ROWS = 50_000


@dataclass(frozen=True)
class CompletionRow:
    row: int  # the line in the file, the header being line 1
    person: Person
    course: Course
    completed_on: dt.date
    score: Decimal | None
    passed: bool | None
    record_id: str


@dataclass
class ParseResult:
    rows: list[CompletionRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    rows_total: int = 0

    def error(self, row: int | None, column: str, value: str, message: str) -> None:
        self.errors.append({"row": row, "column": column, "value": value[:200], "message": message})


def normalise_header(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def _decode(content: bytes, result: ParseResult) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        result.error(None, "", "", f"The file is not UTF-8 text (byte {exc.start} cannot be read). "
                                   "Export it as CSV UTF-8.")
        return None


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:4096]
    try:
        return csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        return None


def _parse_score(raw: str) -> Decimal | None:
    cleaned = raw.replace("%", "").replace(",", ".").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value


def parse_completions(content: bytes, *, people: QuerySet[Person]) -> ParseResult:
    """Check every row of the file against the people in `people` (the importer's scope) and the active and
    inactive courses. Returns the resolved rows, or errors; callers apply nothing when there is any error."""
    result = ParseResult()
    text = _decode(content, result)
    if text is None:
        return result
    if not text.strip():
        result.error(None, "", "", "The file is empty.")
        return result
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        result.error(1, "", "", f"The header line cannot be read: {exc}")
        return result
    columns = [normalise_header(h) for h in header]
    seen: dict[str, int] = {}
    for index, name in enumerate(columns):
        if name in KNOWN_COLUMNS:
            if name in seen:
                result.error(1, header[index], header[index], f"The column {name} appears twice.")
            seen[name] = index
        elif name:
            result.ignored_columns.append(header[index].strip())
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            result.error(1, name, "", f"The required column {name} is missing. Columns found: "
                                      f"{', '.join(h.strip() for h in header) or 'none'}.")
    if "employee_id" not in seen and "email" not in seen:
        result.error(1, "employee_id", "", "The file needs an employee_id or an email column to find people.")
    if result.errors:
        return result

    raw_rows: list[tuple[int, dict[str, str]]] = []
    for line_number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(raw_rows) >= MAX_ROWS:
            result.error(line_number, "", "", f"The file has more than {MAX_ROWS} rows; split it.")
            return result
        if len(values) > len(columns):
            result.error(line_number, "", ",".join(values[len(columns):]),
                         f"The row has {len(values)} values but the header names {len(columns)} columns.")
        raw_rows.append((line_number, {name: (values[i].strip() if i < len(values) else "")
                                       for name, i in seen.items()}))
    result.rows_total = len(raw_rows)
    if not raw_rows and not result.errors:
        result.error(None, "", "", "The file has a header but no rows.")
        return result

    by_employee_id: dict[str, Person] = {}
    by_email: dict[str, Person] = {}
    employee_ids = {r["employee_id"] for _, r in raw_rows if r.get("employee_id")}
    emails = {r["email"].lower() for _, r in raw_rows if r.get("email")}
    for found in people.filter(employee_id__in=employee_ids):
        by_employee_id[found.employee_id] = found
    for found in people.annotate(email_lower=Lower("email")).filter(email_lower__in=emails):
        by_email[found.email.lower()] = found
    course_codes = {r["course_code"].lower() for _, r in raw_rows if r.get("course_code")}
    courses = {
        c.key.lower(): c
        for c in Course.objects.annotate(key_lower=Lower("key")).filter(key_lower__in=course_codes)
        .select_related("track")
    }
    today = timezone.localdate()

    for line, raw in raw_rows:
        person = _resolve_person(line, raw, by_employee_id, by_email, result)
        course = None
        code = raw.get("course_code", "")
        if not code:
            result.error(line, "course_code", "", "The course code is empty.")
        else:
            course = courses.get(code.lower())
            if course is None:
                result.error(line, "course_code", code, "No course has this code (the course key in Promoted).")
        completed_on = None
        raw_date = raw.get("completed_on", "")
        if not raw_date:
            result.error(line, "completed_on", "", "The completion date is empty.")
        else:
            completed_on = _parse_date(raw_date)
            if completed_on is None:
                result.error(line, "completed_on", raw_date, "Not a date; write it as YYYY-MM-DD.")
            elif completed_on > today:
                result.error(line, "completed_on", raw_date, "The completion date is in the future.")
        score = None
        raw_score = raw.get("score", "")
        if raw_score:
            score = _parse_score(raw_score)
            if score is None:
                result.error(line, "score", raw_score, "Not a number; give the score in percent (0-100).")
            elif not Decimal("0") <= score <= Decimal("100"):
                result.error(line, "score", raw_score, "The score must be between 0 and 100 (percent).")
                score = None
            else:
                score = score.quantize(Decimal("0.01"))
        passed = None
        raw_passed = raw.get("passed", "")
        if raw_passed:
            word = raw_passed.lower()
            if word in TRUE_WORDS:
                passed = True
            elif word in FALSE_WORDS:
                passed = False
            else:
                result.error(line, "passed", raw_passed, "Write yes or no (or true/false, passed/failed, 1/0).")
        record_id = raw.get("record_id", "")
        if len(record_id) > 200:
            result.error(line, "record_id", record_id, "The record id is longer than 200 characters.")
        if person is not None and course is not None and completed_on is not None:
            result.rows.append(CompletionRow(line, person, course, completed_on, score, passed, record_id))
    _check_duplicates(result)
    return result


def _resolve_person(line: int, raw: dict[str, str], by_employee_id: dict[str, Person],
                    by_email: dict[str, Person], result: ParseResult) -> Person | None:
    employee_id = raw.get("employee_id", "")
    email = raw.get("email", "")
    if not employee_id and not email:
        result.error(line, "employee_id", "", "Give the person's employee_id or email.")
        return None
    person_by_id = by_employee_id.get(employee_id) if employee_id else None
    person_by_email = by_email.get(email.lower()) if email else None
    if employee_id and person_by_id is None:
        result.error(line, "employee_id", employee_id, "No person with this employee id.")
        return None
    if email and person_by_email is None and person_by_id is None:
        result.error(line, "email", email, "No person with this work email.")
        return None
    if person_by_id is not None and person_by_email is not None and person_by_id.pk != person_by_email.pk:
        result.error(line, "email", email,
                     f"This email belongs to {person_by_email.full_name}, but the employee id "
                     f"{employee_id} to {person_by_id.full_name}.")
        return None
    return person_by_id or person_by_email


def _check_duplicates(result: ParseResult) -> None:
    """The same person, course and date twice is one completion; twice with different results is an error."""
    first: dict[tuple[int, int, dt.date], CompletionRow] = {}
    unique: list[CompletionRow] = []
    for row in result.rows:
        key = (row.person.pk, row.course.pk, row.completed_on)
        earlier = first.get(key)
        if earlier is None:
            first[key] = row
            unique.append(row)
        elif (earlier.score, earlier.passed) != (row.score, row.passed):
            result.error(row.row, "score", str(row.score or ""),
                         f"Row {earlier.row} records the same completion with a different result.")
    result.rows = unique
