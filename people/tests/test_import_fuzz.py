"""Property-based fuzzing of the HR importer (security issue 10): valid HR files, mutated the way real files get
damaged (tests/fuzzing.py), never make `import_people` raise. Each import either succeeds or fails; a failed one
changes nothing and says what is wrong and where; a full import never marks more people as left than it may
without a confirmation.

The company fixture is built once per test, not once per example (Hypothesis runs every example inside one call
of the test function). Each example therefore runs inside a savepoint that is rolled back afterwards, and first
checks that it starts from the database the fixture built. The longer run (>= 1,000 files) is
benchmarks/import_fuzz.py.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from people.importing import import_people
from people.importing.service import CONFIRM_DEACTIVATIONS_ABOVE
from people.models import PeopleImport, Person
from people.tests.fixtures.hr_files import (
    FIXTURES,
    csv_bytes,
    database_state,
    everyone_rows,
    run_import,
    xlsx_bytes,
)
from tests.fuzzing import BYTE_MUTATIONS, CELL_VALUES, DATES, Mutant, mutated

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=200, derandomize=True, deadline=None, database=None,
    # The fixture's database is the starting point of every example; the savepoint restores it (see above).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
# HR cells read as dates in four columns; a quarter of the odd values are dates.
HR_VALUES = st.one_of(CELL_VALUES, DATES)


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def check_import(mutant: Mutant, *, filename: str, actor: Any, full: bool, dry_run: bool,
                 start: list[tuple[Any, ...]]) -> PeopleImport:
    """Import the mutated file and assert the properties every import keeps, whatever the file holds."""
    assert database_state() == start, "the example did not start from the fixture's database"
    active = Person.objects.exclude(status="inactive").count()
    record = import_people(file=io.BytesIO(mutant.data), filename=filename, actor=actor, full=full,
                           dry_run=dry_run)  # raising here is the failure the test exists to catch

    assert record.status in (PeopleImport.Status.SUCCEEDED, PeopleImport.Status.FAILED)
    if record.status == PeopleImport.Status.FAILED or dry_run:
        assert database_state() == start
    if record.status == PeopleImport.Status.FAILED:
        assert record.errors
        assert (record.created, record.updated, record.deactivated, record.reactivated) == (0, 0, 0, 0)
    else:
        assert not record.errors
    for issue in [*record.errors, *record.warnings]:
        assert set(issue) == {"row", "column", "value", "message"}
        assert isinstance(issue["message"], str)
        assert len(issue["message"]) > 10
        assert "unexpected" not in issue["message"].lower()
        assert "Traceback" not in issue["message"]
        assert issue["row"] is None or (isinstance(issue["row"], int) and issue["row"] >= 1)
    for issue in record.errors:
        if issue["value"]:  # a bad value is shown where it is: its row and column
            assert issue["row"] is not None, issue
            assert issue["column"], issue
    if full and not dry_run and record.status == PeopleImport.Status.SUCCEEDED:
        assert record.deactivated <= CONFIRM_DEACTIVATIONS_ABOVE * active
    return record


# Built once per test from the fixture's database (an example that rebuilt them would draw from a different
# workbook each time: XLSX files carry the time they were saved).
@pytest.fixture
def start(company) -> list[tuple[Any, ...]]:
    return database_state()


@pytest.fixture
def everyone_csv(company) -> bytes:
    return csv_bytes(everyone_rows())


@pytest.fixture
def everyone_xlsx(company) -> bytes:
    return xlsx_bytes(everyone_rows())


@given(data=st.data(), full=st.booleans(), dry_run=st.booleans())
@FUZZ
def test_a_mutated_file_of_everyone_never_crashes_nor_changes_anything_when_refused(
    company, start, everyone_csv, data, full, dry_run
):
    mutant = data.draw(mutated(everyone_csv, values=HR_VALUES), label="file")
    with rolled_back():
        check_import(mutant, filename="hr.csv", actor=company.admin, full=full, dry_run=dry_run, start=start)


@given(data=st.data(), full=st.booleans())
@FUZZ
def test_a_mutated_new_company_file_never_crashes_nor_changes_anything_when_refused(company, start, data, full):
    mutant = data.draw(mutated((FIXTURES / "people_valid.csv").read_bytes(), values=HR_VALUES), label="file")
    with rolled_back():
        check_import(mutant, filename="people_valid.csv", actor=company.admin, full=full, dry_run=False,
                     start=start)


@given(data=st.data())
@settings(FUZZ, max_examples=80)
def test_a_damaged_workbook_never_crashes_nor_changes_anything(company, start, everyone_xlsx, data):
    mutant = data.draw(mutated(everyone_xlsx, mutations=BYTE_MUTATIONS, most=2), label="file")
    with rolled_back():
        check_import(mutant, filename="hr.xlsx", actor=company.admin, full=True, dry_run=False, start=start)


def test_the_mutations_reach_every_outcome(company, start, everyone_csv):
    """The fuzzing is only worth something if mutated files both pass and fail: a sample of each kind."""
    outcomes = set()
    valid = everyone_csv
    for data in (valid, valid.replace(b"\r\n", b"\n"), valid[: len(valid) // 2], b"\xff\xfe" + valid, b""):
        with rolled_back():
            outcomes.add(check_import(Mutant(steps=(), data=data), filename="hr.csv", actor=company.admin,
                                      full=True, dry_run=False, start=start).status)
    assert outcomes == {PeopleImport.Status.SUCCEEDED, PeopleImport.Status.FAILED}


# --- what the fuzzing found -------------------------------------------------------------------------------------


def _with_sheet_cut(workbook: bytes) -> bytes:
    """The workbook with its sheet's XML cut in half, in an otherwise sound zip (load_workbook accepts it)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            target.writestr(member, content)
    return out.getvalue()


def test_a_workbook_damaged_inside_its_sheet_is_refused_with_the_row_it_stopped_at(company, start, everyone_xlsx):
    """openpyxl reads a read-only sheet while its rows are iterated: broken XML there raised out of import_people
    (a ParseError) instead of refusing the file."""
    record = run_import(_with_sheet_cut(everyone_xlsx), filename="hr.xlsx", actor=company.admin, full=True)
    assert record.status == PeopleImport.Status.FAILED
    [error] = record.errors
    assert error["message"].startswith("The workbook is damaged: Promoted read ")
    assert "Open it in Excel and save it again" in error["message"]
    assert error["row"] >= 2  # the header and some rows were read before the cut
    assert database_state() == start
