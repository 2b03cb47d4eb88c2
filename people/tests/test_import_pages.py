"""The HR import pages: who may use them, uploading, the outcome page, history, template and problem downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from people.importing import people_import_run
from people.models import PeopleImport, Person
from people.tests.fixtures.hr_files import FIXTURES, csv_bytes, database_state, everyone_rows, run_import

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def run_jobs_in_process(settings):
    """Run background jobs as soon as they are enqueued (production runs them in manage.py db_worker)."""
    settings.TASKS = IMMEDIATE


def table_rows(page: str, table_class: str) -> list[list[str]]:
    """The text of each body cell of the first table with `table_class`, row by row."""
    table = page.split(table_class, 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def upload(client, path_or_bytes, *, name: str | None = None, mode: str = "partial", check_only: bool = False):
    data = path_or_bytes.read_bytes() if hasattr(path_or_bytes, "read_bytes") else path_or_bytes
    name = name or getattr(path_or_bytes, "name", "hr.csv")
    form = {"file": SimpleUploadedFile(name, data), "mode": mode}
    if check_only:
        form["check_only"] = "on"
    return client.post("/imports/people/upload/", form)


@pytest.mark.parametrize("persona", ["sam", "nora", "vera", "otto"])
def test_everyone_but_admins_and_hr_partners_gets_404(login, persona):
    record = run_import(FIXTURES.joinpath("people_broken.csv").read_bytes())
    client = login(persona)
    for url in ["/imports/people/", "/imports/people/upload/", "/imports/people/template.csv",
                f"/imports/people/{record.pk}/", f"/imports/people/{record.pk}/problems.csv"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"people_broken.csv" not in response.content
    assert upload(client, FIXTURES / "people_valid.csv").status_code == 404
    assert client.post(f"/imports/people/{record.pk}/confirm/").status_code == 404
    assert not Person.objects.filter(employee_id="B100").exists()
    assert PeopleImport.objects.count() == 1


@pytest.mark.parametrize("persona", ["admin", "hana"])
def test_admins_and_hr_partners_see_the_pages(login, persona):
    client = login(persona)
    page = client.get("/imports/people/upload/").content.decode()
    assert "<title>Upload an HR file · Promoted</title>" in page
    assert 'name="file"' in page
    assert "anyone who is\n      active in Promoted but missing from the file is marked as having left" in page
    assert "<code>manager_employee_id</code>" in page
    assert client.get("/imports/people/").status_code == 200


def test_admin_uploads_a_broken_file_and_sees_every_problem(login, company):
    client = login("admin")
    before = database_state()
    response = upload(client, FIXTURES / "people_broken.csv")
    record = PeopleImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/people/{record.pk}/"
    assert record.actor == company.admin

    page = client.get(response["Location"]).content.decode()
    assert "The file was not imported: 7 problems. Nothing was changed." in page
    problems = [cells[:3] for cells in table_rows(page, "errors-table")]
    assert problems == [["3", "hire_date", "15/06/2015"], ["4", "manager_employee_id", "B121"],
                        ["6", "email", "maja.berg@borealis.example"], ["6", "manager_employee_id", "B999"],
                        ["7", "leaving_reason", "resigned"], ["8", "function", "(empty)"],
                        ["8", "hr_partner_for", "WEST"]]
    assert "Reporting lines form a loop: Maja Berg (B120, row 4)" in page
    assert 'id="h-retry">Try again' in page
    assert 'type="file"' in page.split('id="h-retry"')[1]
    assert f'href="/imports/people/{record.pk}/problems.csv"' in page
    assert database_state() == before


def test_admin_imports_a_file_and_sees_counts_and_names(login):
    client = login("admin")
    response = upload(client, FIXTURES / "people_valid.csv", mode="partial")
    page = client.get(response["Location"]).content.decode()
    assert "Imported." in page
    assert '<div class="stat">7</div><div class="stat__label">created</div>' in page
    assert "Greta Olsen" in page.split("<h3>Created</h3>")[1]
    assert "Org units</h3>" in page
    assert Person.objects.filter(employee_id__startswith="B").count() == 7
    assert Person.objects.get(employee_id="B121").manager.employee_id == "B120"


def test_import_page_lists_warnings_apart_from_the_counts(login):
    rows = list(csv.DictReader(io.StringIO((FIXTURES / "people_valid.csv").read_text())))
    leaver = next(row for row in rows if row["employee_id"] == "B121")
    leaver["end_date"] = "2025-01-31"  # past, while the status still says active
    client = login("admin")
    response = upload(client, csv_bytes(rows), name="hr.csv", mode="partial")
    page = client.get(response["Location"]).content.decode()
    assert "Imported." in page
    section = page.split('<h2 id="h-warnings">', 1)[1].split("</section>", 1)[0]
    assert section.startswith("Warnings (1)")
    assert "the end date 2025-01-31 has passed" in unescape(section)
    assert Person.objects.get(employee_id="B121").status == "inactive"


def test_full_import_page_lists_who_was_marked_as_left(login, company):
    Person.objects.filter(manager_since__lt=dt.date(2020, 1, 6)).update(hire_date=dt.date(2014, 1, 1))
    rows = [row for row in everyone_rows() if row["first_name"] != "Sid"]
    client = login("admin")
    response = upload(client, csv_bytes(rows), name="hr-export.csv", mode="full")
    check = PeopleImport.objects.get()
    assert check.dry_run  # a full upload is always checked first
    page = client.get(response["Location"]).content.decode()
    assert '<div class="stat">1</div><div class="stat__label">to mark as left</div>' in page
    assert 'name="confirm_left"' in page
    assert Person.objects.get(pk=company.sid.pk).status == "active"

    response = client.post(f"/imports/people/{check.pk}/confirm/", {"deactivations": "1"}, follow=True)
    assert "Tick the box to confirm that the 1 person listed" in response.content.decode()
    assert PeopleImport.objects.count() == 1

    response = client.post(f"/imports/people/{check.pk}/confirm/", {"deactivations": "1", "confirm_left": "on"})
    real = PeopleImport.objects.exclude(pk=check.pk).get()
    assert (real.status, real.full, real.dry_run, real.deactivated) == ("succeeded", True, False, 1)
    page = client.get(response["Location"]).content.decode()
    assert '<div class="stat">1</div><div class="stat__label">marked as left</div>' in page
    assert "Sid Acme" in page.split("<h3>Marked as left</h3>")[1].split("</ul>")[0]
    assert Person.objects.get(pk=company.sid.pk).status == "inactive"


def test_a_full_import_confirmed_for_another_count_is_refused(login, company):
    rows = [row for row in everyone_rows() if row["first_name"] != "Sid"]
    client = login("admin")
    upload(client, csv_bytes(rows), name="hr-export.csv", mode="full")
    check = PeopleImport.objects.get()
    for forged in ("0", "2", "", "one"):
        response = client.post(f"/imports/people/{check.pk}/confirm/",
                               {"deactivations": forged, "confirm_left": "on"}, follow=True)
        assert "Tick the box to confirm" in response.content.decode()
    assert PeopleImport.objects.count() == 1
    assert Person.objects.get(pk=company.sid.pk).status == "active"


def test_check_only_then_import_with_one_click(login):
    client = login("admin")
    response = upload(client, FIXTURES / "people_valid.csv", mode="partial", check_only=True)
    check = PeopleImport.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "The file passed the check. Nothing was changed." in page
    assert '<div class="stat">7</div><div class="stat__label">to create</div>' in page
    assert "Import this file now (partial import)" in page
    assert not Person.objects.filter(employee_id__startswith="B").exists()

    response = client.post(f"/imports/people/{check.pk}/confirm/")
    real = PeopleImport.objects.exclude(pk=check.pk).get()
    assert response["Location"] == f"/imports/people/{real.pk}/"
    assert (real.status, real.dry_run, real.created, real.full) == ("succeeded", False, 7, False)
    assert Person.objects.filter(employee_id__startswith="B").count() == 7
    check.refresh_from_db()
    assert check.upload is None  # the file is not kept once imported

    response = client.post(f"/imports/people/{check.pk}/confirm/", follow=True)
    assert "can no longer be imported" in response.content.decode()
    assert PeopleImport.objects.count() == 2


def test_history_lists_every_import_with_counts(login, company, django_assert_max_num_queries):
    for _ in range(30):
        run_import(FIXTURES.joinpath("people_broken.csv").read_bytes(), actor=company.hana.user,
                   filename="broken.csv")
    run_import(FIXTURES.joinpath("people_valid.csv").read_bytes(), actor=company.admin, full=False,
               filename="valid.csv")
    client = login("admin")
    with django_assert_max_num_queries(12):
        response = client.get("/imports/people/")
    page = response.content.decode()
    assert "31 imports" in page
    first_row = page.split("<tbody>")[1].split("</tr>")[0]
    assert "admin@acme.example" in first_row
    assert "valid.csv" in first_row
    assert "Partial" in first_row
    assert "Imported" in first_row
    assert '<td class="num">7</td>' in first_row
    assert page.count("Hana Acme") >= 30
    assert page.count('<span class="badge badge--bad">Failed</span>') == 30


def test_template_has_every_column_two_examples_and_imports_cleanly(login):
    client = login("hana")
    response = client.get("/imports/people/template.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="promoted-people-template.csv"' in response["Content-Disposition"]
    body = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert body.splitlines()[0].startswith("employee_id,first_name,last_name,email,function,hire_date,")
    assert [r["employee_id"] for r in rows] == ["E1001", "E1002"]
    record = run_import(response.content, full=False)
    assert record.status == "succeeded", record.errors
    assert Person.objects.get(employee_id="E1002").manager.employee_id == "E1001"


def test_problems_download_lists_every_problem(login):
    record = run_import(FIXTURES.joinpath("people_broken.csv").read_bytes())
    response = login("admin").get(f"/imports/people/{record.pk}/problems.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "value", "problem"]
    assert len(rows) == 8
    assert rows[1][:3] == ["3", "hire_date", "15/06/2015"]


def test_problems_download_never_hands_a_formula_to_a_spreadsheet(login):
    data = csv_bytes([{"employee_id": "E1", "first_name": "Ann", "last_name": "Lee", "email": "ann@acme.example",
                       "function": '=HYPERLINK("http://evil.example","x")', "hire_date": "2021-01-01"}])
    record = run_import(data)
    response = login("admin").get(f"/imports/people/{record.pk}/problems.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][2] == "'=HYPERLINK(\"http://evil.example\",\"x\")"


def test_upload_waits_for_the_worker_and_the_page_polls_until_done(login, settings):
    settings.TASKS = DUMMY
    client = login("admin")
    response = upload(client, FIXTURES / "people_valid.csv")
    record = PeopleImport.objects.get()
    assert record.status == "queued"
    page = client.get(response["Location"]).content.decode()
    assert "Waiting to start" in page
    assert f'hx-get="/imports/people/{record.pk}/" hx-trigger="every 2s"' in page
    assert client.get(response["Location"], HTTP_HX_REQUEST="true").status_code == 204  # nothing new yet

    people_import_run(import_id=record.pk)  # what the worker does
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert "Imported." in fragment
    assert "hx-trigger" not in fragment  # finished: the page stops asking
    record.refresh_from_db()
    assert record.upload is None
    assert people_import_run(import_id=record.pk).created == 7  # running it twice does nothing more
    assert PeopleImport.objects.count() == 1


def test_a_stalled_import_says_the_worker_may_be_down(login, settings):
    settings.TASKS = DUMMY
    client = login("admin")
    upload(client, FIXTURES / "people_valid.csv")
    record = PeopleImport.objects.get()
    page = client.get(f"/imports/people/{record.pk}/").content.decode()
    assert "probably not running" not in page
    PeopleImport.objects.filter(pk=record.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=11))
    page = client.get(f"/imports/people/{record.pk}/").content.decode()
    assert "background worker that runs imports is probably not running. Ask your administrator" in page
    assert "manage.py" not in page


def test_only_the_latest_passed_check_keeps_its_file_and_queued_uploads_keep_theirs(login, settings):
    client = login("admin")
    upload(client, FIXTURES / "people_valid.csv", mode="partial", check_only=True)
    settings.TASKS = DUMMY
    upload(client, FIXTURES / "people_valid.csv", mode="partial")  # queued, waiting for the worker
    settings.TASKS = IMMEDIATE
    upload(client, FIXTURES / "people_valid.csv", mode="partial", check_only=True)
    first_check, queued, second_check = PeopleImport.objects.order_by("pk")
    assert first_check.upload is None
    assert bytes(queued.upload) == FIXTURES.joinpath("people_valid.csv").read_bytes()
    assert second_check.upload is not None
    assert people_import_run(import_id=queued.pk).created == 7


def test_unexpected_error_fails_the_import_and_changes_nothing(login, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("people.importing.service.apply_changes", boom)
    client = login("admin")
    response = upload(client, FIXTURES / "people_valid.csv")
    record = PeopleImport.objects.get()
    assert record.status == "failed"
    assert "unexpected error" in record.errors[0]["message"]
    assert "disk on fire" not in client.get(response["Location"]).content.decode()
    assert not Person.objects.filter(employee_id__startswith="B").exists()


def test_form_problems_are_shown_on_the_upload_page(login, monkeypatch):
    client = login("admin")
    page = client.post("/imports/people/upload/", {"mode": "full"}).content.decode()
    assert "This field is required." in page
    monkeypatch.setattr("people.import_forms.MAX_UPLOAD_BYTES", 10)
    page = upload(client, FIXTURES / "people_valid.csv").content.decode()
    assert "the limit is 10\xa0bytes" in page
    assert PeopleImport.objects.count() == 0


def test_not_a_csv_file_is_reported_on_the_import_page(login):
    client = login("admin")
    response = upload(client, b"%PDF-1.7", name="org-chart.pdf")
    page = client.get(response["Location"]).content.decode()
    assert "The file was not imported: 1 problem. Nothing was changed." in page
    assert "&#x27;org-chart.pdf&#x27; is not a CSV or XLSX file" in page
