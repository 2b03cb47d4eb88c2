"""Reading the HR file: CSV and XLSX, headers, encodings, and files that cannot be read at all."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from people.importing.columns import ALL_COLUMNS, REQUIRED_COLUMNS
from people.models import Person
from people.tests.fixtures.hr_files import csv_bytes, new_row, run_import, xlsx_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    new_row("E1", "Ada", "Boss", org_unit_code="CO", org_unit_name="Company"),
    new_row("E2", "José", "Müller", manager_employee_id="E1", org_unit_code="CO", email="jose@acme.example"),
]


def only_error(record) -> dict:
    assert record.status == "failed"
    assert len(record.errors) == 1, record.errors
    return record.errors[0]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"%PDF-1.4 something", "people.pdf", "'people.pdf' is not a CSV or XLSX file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1binary", "people.xls", "old-style Excel file (.xls)"),
        (b"", "people.csv", "The file is empty."),
        (b"  \r\n\r\n", "people.csv", "The file is empty."),
        (b"employee_id,first_name\x00,x", "people.csv", "binary data"),
        (b"not a zip at all", "people.xlsx", "is named .xlsx but is not an Excel workbook"),
        (b"PK\x03\x04garbage", "people.xlsx", "could not be opened as an Excel workbook"),
    ],
)
def test_unreadable_files_get_one_clear_error(db, data, filename, message):
    error = only_error(run_import(data, filename=filename))
    assert message in error["message"]
    assert error["row"] is None


def test_header_without_rows(db):
    error = only_error(run_import(csv_bytes([])))
    assert error["message"] == "The file has the column names but no people in it."


def test_missing_required_headers_are_listed_together(db):
    columns = [c for c in ALL_COLUMNS if c not in ("hire_date", "function")]
    error = only_error(run_import(csv_bytes(ROWS, columns)))
    assert (error["row"], error["column"]) == (1, "function, hire_date")
    assert error["message"].startswith("Required columns missing: function, hire_date.")


def test_no_header_row(db):
    data = b"E1,Ada,Boss,ada@acme.example,Sales,2021-03-01\r\n"
    error = only_error(run_import(data))
    assert "Required columns missing: employee_id, first_name, last_name, email, function, hire_date" in \
        error["message"]


def test_duplicate_header(db):
    data = csv_bytes(ROWS, [*REQUIRED_COLUMNS, "Email"])
    error = only_error(run_import(data))
    assert error["message"] == "Column 'email' appears twice (columns D and G). Keep one of them."


def test_not_utf8_asks_to_save_as_utf8(db):
    data = csv_bytes(ROWS, REQUIRED_COLUMNS, encoding="latin-1")
    error = only_error(run_import(data))
    assert "not UTF-8" in error["message"]
    assert "line 3" in error["message"]  # José is on the file's third line
    assert "CSV UTF-8" in error["message"]
    assert Person.objects.count() == 0


def test_utf8_with_byte_order_mark_semicolons_and_loose_headers(db):
    text = "\ufeff Employee ID ;FIRST_NAME;Last Name;email;Function;hire-date\r\n" \
           "E1;José;Müller;jose@acme.example;Sales;2021-03-01\r\n"
    record = run_import(text.encode("utf-8"))
    assert record.status == "succeeded", record.errors
    person = Person.objects.get(employee_id="E1")
    assert (person.first_name, person.last_name) == ("José", "Müller")


def test_unknown_columns_are_ignored_with_a_warning(db):
    rows = [dict(row, cost_centre="4711") for row in ROWS]
    record = run_import(csv_bytes(rows, [*REQUIRED_COLUMNS, "cost_centre"]))
    assert record.status == "succeeded", record.errors
    assert [w["message"] for w in record.warnings] == [
        "Column 'cost_centre' (column G) is not one Promoted reads, so it was ignored."]


def test_blank_lines_are_skipped_and_rows_keep_their_numbers_in_the_file(db):
    lines = csv_bytes(ROWS, REQUIRED_COLUMNS).decode().split("\r\n")
    bad = "E3,Cy,Seller,cy@acme.example,Sales,2021-13-01"
    data = "\r\n".join([lines[0], lines[1], "", ",,,,,", lines[2], bad, ""]).encode()
    error = only_error(run_import(data))
    assert (error["row"], error["column"]) == (6, "hire_date")


def test_quoted_values_with_commas_and_line_breaks(db):
    rows = [new_row("E1", "Ada", "Boss", job_title="Head of Sales, North\nand South")]
    record = run_import(csv_bytes(rows))
    assert record.status == "succeeded", record.errors
    assert Person.objects.get().job_title == "Head of Sales, North\nand South"


def test_xlsx_with_date_cells_and_numeric_ids(db):
    rows = [
        {**new_row(1001, "Ada", "Boss"), "hire_date": dt.datetime(2019, 4, 1), "manager_since": dt.date(2020, 1, 1)},
        {**new_row(1002, "Ben", "Seller"), "hire_date": "2021-03-01", "manager_employee_id": 1001.0},
    ]
    record = run_import(xlsx_bytes(rows), filename="people.xlsx")
    assert record.status == "succeeded", record.errors
    ada = Person.objects.get(employee_id="1001")
    assert (ada.hire_date, ada.manager_since) == (dt.date(2019, 4, 1), dt.date(2020, 1, 1))
    assert Person.objects.get(employee_id="1002").manager == ada


def test_xlsx_errors_carry_the_sheet_row_numbers(db):
    rows = [new_row("E1", "Ada", "Boss"), {**new_row("E2", "Ben", "Seller"), "hire_date": 45000},
            new_row("E3", "Cy", "Seller", function="Astrology")]
    record = run_import(xlsx_bytes(rows), filename="people.xlsx")
    assert [(e["row"], e["column"], e["value"]) for e in record.errors] == [
        (3, "hire_date", "45000"), (4, "function", "Astrology")]


def test_xlsx_reads_only_the_first_sheet_and_says_so(db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "People"
    sheet.append(list(REQUIRED_COLUMNS))
    sheet.append(["E1", "Ada", "Boss", "ada@acme.example", "Sales", dt.date(2021, 3, 1)])
    workbook.create_sheet("Notes").append(["anything"])
    out = io.BytesIO()
    workbook.save(out)
    record = run_import(out.getvalue(), filename="people.xlsx")
    assert record.status == "succeeded", record.errors
    assert record.warnings[0]["message"] == "The workbook has 2 sheets; only the first, 'People', was read."


def test_a_file_cut_in_its_last_line_is_refused_and_changes_nothing(db):
    data = csv_bytes(ROWS)
    cut = data.rstrip(b"\r\n")
    cut = cut[: cut.rfind(b",")]  # the last line loses its last cell and its line end
    error = only_error(run_import(cut))
    assert error["row"] == 3
    assert "cut short" in error["message"]
    assert not Person.objects.exists()


def test_a_complete_last_line_without_a_line_end_is_read(db):
    record = run_import(csv_bytes(ROWS).rstrip(b"\r\n"))
    assert record.status == "succeeded", record.errors
    assert Person.objects.count() == 2


def test_the_size_limit_holds_for_every_path_not_only_the_upload_form(db, monkeypatch):
    monkeypatch.setattr("people.importing.reading.MAX_UPLOAD_BYTES", 100)
    error = only_error(run_import(csv_bytes(ROWS)))
    assert "the limit is" in error["message"]
    assert not Person.objects.exists()
