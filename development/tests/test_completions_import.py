"""Completions imported from another learning system: errors name row, column and value; all or nothing;
re-importing changes nothing; completions complete open enrolments and go out as xAPI, but never master."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core.models import AuditEvent
from development import selectors, services
from development.models import CompletionImport, ImportedCompletion, XapiOutbox
from training.models import Course, Enrolment


@pytest.fixture(autouse=True)
def _no_task_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def run(company, text: str, who: str | None = "hana", source: str = "Cornerstone") -> CompletionImport:
    return services.completions_import(actor=company.user(who) if who else None, file_name="completions.csv",
                                       content=text.encode(), source_system=source)


def good_file(company) -> str:
    return (
        "Employee ID,Email,Course Code,Completed On,Score,Passed,Record ID,Learner Department\n"
        f"{company.nora.employee_id},,giving-feedback,2026-03-02,88,yes,CS-1,Sales\n"
        f",NORA@acme.example,setting-expectations,2026-03-09,,,CS-2,Sales\n"
        f"{company.dirk.employee_id},dirk@acme.example,forecasting,2026-04-01,91.5 %,passed,CS-3,Sales\n"
    )


def test_a_good_file_is_applied_with_counts_and_an_audit_record(company):
    record = run(company, good_file(company))
    assert record.status == CompletionImport.Status.APPLIED
    assert (record.rows_total, record.created_count, record.updated_count, record.unchanged_count) == (3, 3, 0, 0)
    assert record.ignored_columns == ["Learner Department"]
    nora = ImportedCompletion.objects.get(person=company.nora, course__key="giving-feedback")
    assert nora.completed_on == dt.date(2026, 3, 2)
    assert str(nora.score) == "88.00"
    assert nora.passed is True
    assert nora.source_system == "Cornerstone"
    assert nora.source_record_id == "CS-1"
    assert str(ImportedCompletion.objects.get(person=company.dirk).score) == "91.50"
    assert AuditEvent.objects.filter(action="development.completions.imported", target_id=str(record.pk)).exists()
    assert XapiOutbox.objects.filter(event=XapiOutbox.Event.IMPORTED_COMPLETION).count() == 3


def test_reimporting_the_same_file_changes_nothing(company):
    run(company, good_file(company))
    snapshot = list(ImportedCompletion.objects.order_by("pk").values())
    outbox = XapiOutbox.objects.count()
    again = run(company, good_file(company))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert list(ImportedCompletion.objects.order_by("pk").values()) == snapshot
    assert XapiOutbox.objects.count() == outbox


def test_a_corrected_score_updates_the_completion(company):
    run(company, good_file(company))
    record = run(company, good_file(company).replace(",88,yes,", ",90,yes,"))
    assert (record.created_count, record.updated_count, record.unchanged_count) == (0, 1, 2)
    assert str(ImportedCompletion.objects.get(person=company.nora, course__key="giving-feedback").score) == "90.00"


def test_errors_name_row_column_and_value_and_nothing_is_applied(company):
    text = (
        "employee_id,email,course_code,completed_on,score,passed\n"
        f"{company.nora.employee_id},,giving-feedback,2026-03-02,88,yes\n"      # row 2: fine
        "E-NOPE,,giving-feedback,2026-03-02,,\n"                                # row 3: unknown person
        f",{company.nora.email},no-such-course,2026-03-02,,\n"                  # row 4: unknown course
        f"{company.nora.employee_id},,setting-expectations,02/03/2026,,\n"      # row 5: date format
        f"{company.nora.employee_id},,effective-meetings,2026-03-02,140,\n"     # row 6: score range
        f"{company.nora.employee_id},,effective-meetings,2026-03-03,80,maybe\n"  # row 7: passed
        f"{company.nora.employee_id},{company.dirk.email},effective-meetings,2026-03-04,,\n"  # row 8: mismatch
        f"{company.nora.employee_id},,effective-meetings,2999-01-01,,\n"         # row 9: future
    )
    record = run(company, text)
    assert record.status == CompletionImport.Status.REJECTED
    assert [(e["row"], e["column"], e["value"]) for e in record.errors] == [
        (3, "employee_id", "E-NOPE"),
        (4, "course_code", "no-such-course"),
        (5, "completed_on", "02/03/2026"),
        (6, "score", "140"),
        (7, "passed", "maybe"),
        (8, "email", company.dirk.email),
        (9, "completed_on", "2999-01-01"),
    ]
    assert "Dirk Acme" in record.errors[5]["message"]
    assert not ImportedCompletion.objects.exists()
    assert not XapiOutbox.objects.exists()
    assert AuditEvent.objects.filter(action="development.completions.rejected").exists()


@pytest.mark.parametrize(("text", "message"), [
    ("", "The file is empty."),
    ("employee_id,completed_on\nE1,2026-01-01\n", "The required column course_code is missing"),
    ("course_code,completed_on\ngiving-feedback,2026-01-01\n", "needs an employee_id or an email column"),
    ("email,course_code,completed_on\n", "has a header but no rows"),
    ("email,email,course_code,completed_on\na,b,c,d\n", "appears twice"),
])
def test_file_level_errors(company, text, message):
    record = run(company, text)
    assert record.status == CompletionImport.Status.REJECTED
    assert message in record.errors[0]["message"]


def test_not_utf8_is_reported(company):
    record = services.completions_import(actor=company.user("hana"), file_name="x.csv",
                                         content="email,course_code,completed_on\né".encode("latin-1"),
                                         source_system="LMS")
    assert "not UTF-8" in record.errors[0]["message"]


def test_semicolon_separated_exports_are_read(company):
    text = f"email;course_code;completed_on\n{company.nora.email};giving-feedback;2026-03-02\n"
    assert run(company, text).created_count == 1


def test_people_outside_the_importers_scope_are_not_found(company):
    text = f"email,course_code,completed_on\n{company.mick.email},giving-feedback,2026-03-02\n"
    record = run(company, text)  # Hana supports North; Mick is in South
    assert record.errors[0]["message"] == "No person with this work email."
    assert run(company, text, who=None).status == CompletionImport.Status.APPLIED  # the command line: everyone


def test_only_hr_may_import(company):
    with pytest.raises(PermissionDenied):
        run(company, good_file(company), who="nora")


def test_an_open_enrolment_is_completed_but_nothing_is_mastered(company):
    today = timezone.localdate()
    enrolment = Enrolment.objects.create(person=company.nora, course=Course.objects.get(key="giving-feedback"),
                                         enrolled_on=today - dt.timedelta(days=20), due_on=today)
    run(company, good_file(company))
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED
    assert enrolment.completed_on == dt.date(2026, 3, 2)
    assert XapiOutbox.objects.filter(event=XapiOutbox.Event.COMPLETION).count() == 1
    statement = XapiOutbox.objects.get(event=XapiOutbox.Event.COMPLETION).statement
    assert statement["result"]["score"]["raw"] == 88.0
    assert selectors.mastered_competencies(manager=company.nora) == {}
    view = selectors.plan_view(user=company.user("nora"), manager=company.nora, relation="self")
    feedback = next(f for f in view.fundamentals if f.course.key == "giving-feedback")
    assert feedback.completed_on == dt.date(2026, 3, 2)
    assert feedback.status_label == "Completed, mastery not yet shown"
    imported = next(f for f in view.fundamentals if f.course.key == "setting-expectations")
    assert imported.completed_via == "Cornerstone"


def test_command_imports_and_reports_errors(company, tmp_path):
    path = tmp_path / "lms.csv"
    path.write_text(good_file(company))
    out = StringIO()
    call_command("import_completions", str(path), "--source", "Docebo", "--as", "hana@acme.example", stdout=out)
    assert "3 rows: 3 new, 0 updated, 0 unchanged" in out.getvalue()
    out = StringIO()
    call_command("import_completions", str(path), "--source", "Docebo", stdout=out)
    assert "0 new, 0 updated, 3 unchanged" in out.getvalue()
    path.write_text("email,course_code,completed_on\nnobody@acme.example,giving-feedback,2026-01-01\n")
    err = StringIO()
    with pytest.raises(CommandError, match="rejected with 1 error"):
        call_command("import_completions", str(path), "--source", "Docebo", stderr=err)
    assert "row 2, column email ('nobody@acme.example'): No person with this work email." in err.getvalue()


def test_import_page_uploads_and_shows_errors(login, company):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login("hana")
    response = client.post("/development/imports/", {
        "source_system": "Cornerstone",
        "file": SimpleUploadedFile("lms.csv", good_file(company).encode(), content_type="text/csv"),
    })
    record = CompletionImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/development/imports/{record.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "every row was applied" in page
    bad = client.post("/development/imports/", {
        "source_system": "Cornerstone",
        "file": SimpleUploadedFile("bad.csv", b"email,course_code,completed_on\nx@y.z,nope,2026-01-01\n"),
    }, follow=True).content.decode()
    assert "nothing was imported" in bad
    assert "No person with this work email." in bad
    assert "No course has this code" in bad
    listing = client.get("/development/imports/").content.decode()
    assert "lms.csv" in listing
    assert "bad.csv" in listing
    assert login("dirk").get(f"/development/imports/{record.pk}/").status_code == 404
