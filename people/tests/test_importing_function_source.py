"""An HR file without a function column: a function for everyone, or one taken from another column; and header
problems reported together with the rows' problems, in one pass."""

from __future__ import annotations

import csv
import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from people.importing import import_people, people_import_confirm
from people.importing.columns import REQUIRED_COLUMNS, FunctionSource, function_in, function_source_parse
from people.models import PeopleImport, Person
from people.tests.fixtures.hr_files import FIXTURES, csv_bytes, database_state, new_row

pytestmark = pytest.mark.django_db

NO_FUNCTION = [c for c in REQUIRED_COLUMNS if c != "function"]


def _import(data: bytes, source: FunctionSource | None = None, **kw) -> PeopleImport:  # type: ignore[no-untyped-def]
    return import_people(file=io.BytesIO(data), filename="hr.csv", actor=None, full=False,
                         function_source=source, **kw)


def _problems(record: PeopleImport) -> list[tuple[int | None, str, str]]:
    return [(e["row"], e["column"], e["value"]) for e in record.errors]


def test_function_words_inside_a_department_name() -> None:
    assert function_in("Inside Sales EMEA") == ("sales", [])
    assert function_in("Sales Operations North") == ("sales", [])  # not Operations: "sales operations" is longer
    assert function_in("Customer Success") == ("customer_success", [])
    assert function_in("R&D Berlin") == ("engineering", [])
    assert function_in("Marketing & Sales") == ("", ["marketing", "sales"])
    assert function_in("Facilities") == ("", [])
    assert function_in("") == ("", [])


def test_what_a_person_types_is_read_or_refused_with_the_reason() -> None:
    assert function_source_parse(column=" Job Family ", default="Inside sales") == FunctionSource("job_family", "sales")
    assert function_source_parse() == FunctionSource()
    with pytest.raises(ValueError, match=r"'Sails' is not a function\. Use one of: Sales, Marketing"):
        function_source_parse(default="Sails")
    with pytest.raises(ValueError, match="function column is always read"):
        function_source_parse(column="Function")


def test_a_file_without_a_function_column_takes_the_default(db) -> None:
    rows = [new_row("E1", "Ada", "Boss"), new_row("E2", "Bo", "Seller", manager_employee_id="E1")]
    data = csv_bytes(rows, [*NO_FUNCTION, "manager_employee_id"])

    refused = _import(data)
    assert refused.status == "failed"
    assert refused.errors[0]["message"].startswith("Required column missing: function.")
    assert "a function for everyone, on the upload page" in refused.errors[0]["message"]

    record = _import(data, FunctionSource(default="sales"))
    assert record.status == "succeeded", record.errors
    assert (record.function_column, record.function_default) == ("", "sales")
    assert set(Person.objects.values_list("function", flat=True)) == {"sales"}


def test_the_function_is_taken_from_another_column_of_the_file(db) -> None:
    data = (
        b"employee_id,first_name,last_name,email,hire_date,Job Family,function\r\n"
        b"E1,Ada,Boss,ada@acme.example,2020-01-01,Sales Leadership,Executive\r\n"  # the function column wins
        b"E2,Bo,Seller,bo@acme.example,2020-01-01,Inside Sales EMEA,\r\n"
        b"E3,Cy,Care,cy@acme.example,2020-01-01,Customer Success,\r\n"
        b"E4,Di,Ops,di@acme.example,2020-01-01,Facilities,\r\n"  # no function in it: the default
    )
    record = _import(data, FunctionSource(column="job_family", default="other"))
    assert record.status == "succeeded", record.errors
    assert not [w for w in record.warnings if "Job Family" in w["message"]]  # read, not "ignored"
    assert dict(Person.objects.values_list("employee_id", "function")) == {
        "E1": "executive", "E2": "sales", "E3": "customer_success", "E4": "other"}
    assert record.function_rule == "from column job_family, else Other"


def test_a_value_that_names_no_single_function_is_a_problem_on_its_cell(db) -> None:
    rows = [new_row("E1", "Ada", "Boss", department="Facilities"),
            new_row("E2", "Bo", "Both", department="Marketing & Sales"),
            new_row("E3", "Cy", "Empty", department=""),
            new_row("E4", "Di", "Fine", department="Field Sales")]
    before = database_state()
    record = _import(csv_bytes(rows, [*NO_FUNCTION, "department"]), FunctionSource(column="department"))
    assert record.status == "failed"
    assert _problems(record) == [(2, "department", "Facilities"), (3, "department", "Marketing & Sales"),
                                 (4, "department", "")]
    messages = [e["message"] for e in record.errors]
    assert "'Facilities' names no function Promoted knows" in messages[0]
    assert "'Marketing & Sales' could be Marketing or Sales" in messages[1]
    assert "is empty here" in messages[2]
    assert database_state() == before


def test_a_named_column_the_file_lacks_is_a_header_problem(db) -> None:
    record = _import(csv_bytes([new_row("E1", "Ada", "Boss")], NO_FUNCTION), FunctionSource(column="division"))
    assert record.status == "failed"
    assert _problems(record) == [(1, "division", "")]
    assert "no such column" in record.errors[0]["message"]


def test_header_and_row_problems_are_reported_together(db) -> None:
    rows = [new_row("E1", "Ada", "Boss", email="not-an-email"),
            new_row("E2", "Bo", "Seller", hire_date="03/04/2024", manager_employee_id="E9")]
    columns = ["employee_id", "first_name", "last_name", "email", "hire_date", "manager_employee_id", "Email"]
    before = database_state()
    record = _import(csv_bytes(rows, columns))
    assert record.status == "failed"
    assert _problems(record) == [
        (1, "email", "Email"),  # the column twice
        (1, "function", ""),  # the function column missing: once, not on every row
        (2, "email", "not-an-email"),
        (3, "hire_date", "03/04/2024"),
        (3, "manager_employee_id", "E9"),
    ]
    assert database_state() == before


def test_a_check_keeps_the_function_source_for_the_import_it_confirms(db, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    data = csv_bytes([new_row("E1", "Ada", "Boss")], NO_FUNCTION)
    check = _import(data, FunctionSource(default="marketing"), dry_run=True)
    check.upload = data
    check.save()
    real = people_import_confirm(check=check, actor=None)
    assert (real.status, real.function_default) == ("succeeded", "marketing"), real.errors
    assert Person.objects.get(employee_id="E1").function == "marketing"


# --- the upload page ----------------------------------------------------------------------------------------------

def test_the_upload_page_takes_a_column_and_a_default_function(login, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = login("admin")
    form_page = client.get("/imports/people/upload/").content.decode()
    assert 'name="function_from"' in form_page
    assert 'name="function_default"' in form_page
    data = csv_bytes([new_row("E1", "Ada", "Boss", department="Inside Sales"),
                      new_row("E2", "Bo", "Build", department="Warehouse")], [*NO_FUNCTION, "department"])
    response = client.post("/imports/people/upload/", {
        "file": SimpleUploadedFile("hr.csv", data), "mode": "partial", "function_from": "Department",
        "function_default": "operations"})
    record = PeopleImport.objects.get()
    assert (record.status, record.function_column, record.function_default) == ("succeeded", "department",
                                                                                 "operations"), record.errors
    assert dict(Person.objects.filter(employee_id__in=["E1", "E2"]).values_list("employee_id", "function")) == {
        "E1": "sales", "E2": "operations"}
    page = client.get(response["Location"]).content.decode()
    assert "from column department, else Operations" in page


def test_the_upload_page_refuses_the_function_column_as_its_own_source(login) -> None:  # type: ignore[no-untyped-def]
    client = login("admin")
    response = client.post("/imports/people/upload/", {
        "file": SimpleUploadedFile("hr.csv", b"x"), "mode": "partial", "function_from": "function"})
    assert response.status_code == 200
    assert "function column is always read" in response.content.decode()
    assert not PeopleImport.objects.exists()


def test_a_failed_upload_shows_header_and_row_problems_and_keeps_the_choices_for_the_retry(login, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = login("admin")
    data = csv_bytes([new_row("E1", "Ada", "Boss", department="Sales", hire_date="yesterday")],
                     ["employee_id", "first_name", "email", "hire_date", "department"])
    response = client.post("/imports/people/upload/", {
        "file": SimpleUploadedFile("hr.csv", data), "mode": "partial", "function_from": "department"})
    page = client.get(response["Location"]).content.decode()
    assert "Required column missing: last_name." in page
    assert "yesterday" in page
    assert 'name="function_from" id="id_function_from" value="department"' in page


# --- the command ------------------------------------------------------------------------------------------------

def _command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_people", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_takes_a_default_function_and_a_column(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = list(csv.DictReader(io.StringIO(FIXTURES.joinpath("people_valid.csv").read_text())))
    for row in rows:
        row["Division"] = row.pop("function")
    path = tmp_path / "hr.csv"
    path.write_bytes(csv_bytes(rows, [c for c in rows[0]]))

    with pytest.raises(CommandError, match="1 problem"):
        _command(str(path))
    out, _ = _command(str(path), "--function-from", "Division", "--default-function", "Other")
    assert "7 created" in out
    assert Person.objects.get(employee_id="B110").function == "sales"
    assert PeopleImport.objects.filter(status="succeeded").get().function_column == "division"

    with pytest.raises(CommandError, match=r"'Sails' is not a function"):
        _command(str(path), "--default-function", "Sails")
