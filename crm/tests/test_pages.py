"""The CRM data pages: who may use them, uploading real exports, progress, outcome, errors and linking owners."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from crm import services
from crm.models import CrmImport, CrmUserLink
from crm.tests.conftest import FIXTURES, fixture_files, table_rows

pytestmark = pytest.mark.django_db

PAT = "0055g00000PaTt1AAF"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, duckdb_url, tmp_path):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Uploads go to DATA_DIR/uploads/crm/<import id>/: a folder per test, as parallel test databases reuse ids.
    settings.DATA_DIR = tmp_path


def _uploads(paths: list[Path]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(p.name, p.read_bytes(), content_type="text/csv") for p in paths]


def _upload(client, source: str, paths: list[Path], **extra):  # type: ignore[no-untyped-def]
    return client.post(reverse("crm:import_new"), {"source": source, "export_files": _uploads(paths), **extra},
                       follow=True)


@pytest.mark.parametrize("who", ["otto", "sam", "nora", "vera"])
def test_only_administrators_and_hr_partners_see_crm_pages(login, company, who) -> None:  # type: ignore[no-untyped-def]
    crm_import = services.crm_import_create(source="salesforce", actor=company.admin, paths=[])
    client = login(who)
    for url in (reverse("crm:import_list"), reverse("crm:import_new"),
                reverse("crm:import_detail", args=[crm_import.pk])):
        assert client.get(url).status_code == 404
    response = client.post(reverse("crm:link_owner", args=[crm_import.pk]), {"crm_user_id": PAT, "person": "x"})
    assert response.status_code == 404
    assert "CRM data" not in client.get(reverse("home:home")).content.decode()


def test_nav_offers_crm_data_to_administrators_and_hr(login) -> None:  # type: ignore[no-untyped-def]
    for who in ("admin", "hana"):
        page = login(who).get(reverse("crm:import_list")).content.decode()
        assert ">CRM data<" in page
        assert "No CRM data has been imported yet" in page


def test_administrator_uploads_a_salesforce_export_and_sees_the_counts(login, company) -> None:  # type: ignore[no-untyped-def]
    client = login("admin")

    response = _upload(client, "salesforce", fixture_files("salesforce", "good"))

    page = response.content.decode()
    crm_import = CrmImport.objects.get()
    assert response.redirect_chain[-1][0] == reverse("crm:import_detail", args=[crm_import.pk])
    assert crm_import.status == CrmImport.Status.SUCCEEDED, crm_import.errors
    assert crm_import.created_by == company.admin
    assert crm_import.upload_dir.endswith(f"uploads/crm/{crm_import.pk}")
    assert Path(crm_import.upload_dir, "Opportunity.csv").is_file()
    assert "Imported." in page
    assert "Opportunities" in page
    assert "Activities" in page
    assert "Pat Contractor" in page  # the unmatched owner, with a form to link them
    assert 'name="person"' in page
    # Skipped rows are warnings; how quotas were read is a note, shown apart from them.
    warnings, notes = page.split('id="h-notes"')
    assert "Warnings (3)" in warnings
    assert "row(s) skipped (deleted records)" in warnings
    assert "Notes (1)" in notes
    assert "ForecastingQuota.csv has no EndDate and there is no Period.csv" in notes
    assert "one quarter" not in warnings
    assert AuditEvent.objects.filter(action="crm.import_succeeded", target_id=str(crm_import.pk)).exists()

    again = _upload(client, "salesforce", fixture_files("salesforce", "good")).content.decode()
    assert "Everything in these files was already in Promoted: nothing changed." in again

    listing = client.get(reverse("crm:import_list")).content.decode()
    assert listing.count("Imported</span>") == 2


def test_an_hr_roster_in_the_export_folder_is_shown_as_not_read(login, tmp_path) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "hr_roster.csv"
    roster.write_text("employee_id,first_name,last_name,email,department\nE1,Sam,Acme,sam@acme.example,Sales\n")

    page = _upload(login("admin"), "salesforce", [*fixture_files("salesforce", "good"), roster]).content.decode()

    assert CrmImport.objects.get().status == CrmImport.Status.SUCCEEDED
    assert "Imported." in page
    warnings = page.split('id="h-warnings"')[1].split("</section>")[0]
    assert "hr_roster.csv was not read: it is not a Salesforce export this importer knows" in warnings


def test_a_zip_of_the_export_is_unpacked(login) -> None:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in fixture_files("salesforce", "good"):
            archive.write(path, f"export-2026-11/{path.name}")
        archive.writestr("__MACOSX/._User.csv", "junk")
    upload = SimpleUploadedFile("export.zip", buffer.getvalue(), content_type="application/zip")

    response = login("hana").post(reverse("crm:import_new"), {"source": "salesforce", "export_files": [upload]},
                                  follow=True)

    crm_import = CrmImport.objects.get()
    assert crm_import.status == CrmImport.Status.SUCCEEDED, crm_import.errors
    assert sorted(crm_import.file_names) == sorted(p.name for p in fixture_files("salesforce", "good"))
    assert "Imported." in response.content.decode()


def test_a_broken_export_shows_each_problem_and_changes_nothing(login) -> None:  # type: ignore[no-untyped-def]
    response = _upload(login("admin"), "salesforce", fixture_files("salesforce", "broken"))

    page = response.content.decode()
    assert "Not imported: nothing was changed." in page
    assert "Opportunity.csv" in page
    assert "CloseDate" in page
    assert "15/12/2026" in page
    assert "<td class=\"num\" data-label=\"Row\">3</td>" in page
    assert table_rows("opportunities") == []


def test_example_mapping_file_is_offered_and_imports(login, company) -> None:  # type: ignore[no-untyped-def]
    client = login("hana")
    page = client.get(reverse("crm:import_new")).content.decode()
    assert reverse("crm:mapping_example") in page
    response = client.get(reverse("crm:mapping_example"))
    assert response["Content-Disposition"] == 'attachment; filename="mapping-example.toml"'
    example = response.content.decode()
    assert "[tables.opportunities]" in example
    mapping = SimpleUploadedFile("mapping.toml", response.content)
    _upload(client, "mapped", fixture_files("mapped", "good"), mapping=mapping)
    assert CrmImport.objects.get().status == CrmImport.Status.SUCCEEDED
    assert login("otto").get(reverse("crm:mapping_example")).status_code == 404


def test_another_crm_needs_a_mapping_file(login) -> None:  # type: ignore[no-untyped-def]
    response = _upload(login("admin"), "mapped", fixture_files("mapped", "good"))
    assert "need a mapping file" in response.content.decode()
    assert not CrmImport.objects.exists()


def test_mapped_and_hubspot_uploads(login) -> None:  # type: ignore[no-untyped-def]
    client = login("admin")
    mapping = FIXTURES / "mapped" / "good" / "mapping.toml"
    upload = SimpleUploadedFile("mapping.toml", mapping.read_bytes())
    _upload(client, "mapped", fixture_files("mapped", "good"), mapping=upload)
    _upload(client, "hubspot", fixture_files("hubspot", "labels"))

    mapped, hubspot = CrmImport.objects.order_by("pk")
    assert mapped.status == CrmImport.Status.SUCCEEDED, mapped.errors
    assert mapped.counts["opportunities"]["inserted"] == 3
    assert hubspot.status == CrmImport.Status.SUCCEEDED, hubspot.errors
    assert hubspot.counts["activities"]["inserted"] == 6  # one task not started yet


def test_linking_an_unmatched_owner_to_a_person_in_scope(login, company, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client = login("hana")  # HR partner for North: Lou (who left) is in her scope, Sid (South) is not
    _upload(client, "salesforce", fixture_files("salesforce", "good"))
    crm_import = CrmImport.objects.get()
    url = reverse("crm:link_owner", args=[crm_import.pk])

    refused = client.post(url, {"crm_user_id": PAT, "person": "sid@acme.example"}, follow=True)
    assert "No one you can see" in refused.content.decode()
    assert not CrmUserLink.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"crm_user_id": PAT, "person": company.lou.employee_id}, follow=True)

    link = CrmUserLink.objects.get()
    assert link.person == company.lou
    assert link.set_by == company.user("hana")
    link.refresh_from_db()
    assert link.applied_at is not None  # the job ran (immediately in tests) and wrote it to the store
    users = {u["user_id"]: u for u in table_rows("crm_users")}
    assert users[PAT]["person_employee_id"] == company.lou.employee_id
    assert AuditEvent.objects.filter(action="crm.user_linked").exists()
    assert "Linked to Lou Acme" in response.content.decode()

    # The next import keeps the hand-made link.
    again = services.run_import(source="salesforce", paths=fixture_files("salesforce", "good"), actor=None)
    assert again.link_summary["explicit"] == 1
    assert again.unmatched_owners == []


def test_progress_fragment_polls_while_running(login, company) -> None:  # type: ignore[no-untyped-def]
    crm_import = services.crm_import_create(source="salesforce", actor=company.admin, paths=[])
    CrmImport.objects.filter(pk=crm_import.pk).update(status="running", progress_step="Reading Task.csv",
                                                     progress_percent=40)
    client = login("admin")

    fragment = client.get(reverse("crm:import_detail", args=[crm_import.pk]), HTTP_HX_REQUEST="true")

    body = fragment.content.decode()
    assert "<html" not in body
    assert 'hx-trigger="every 2s"' in body
    assert "Reading Task.csv" in body
    assert 'value="40"' in body


def test_a_second_import_waits_for_the_running_one(login, company) -> None:  # type: ignore[no-untyped-def]
    blocker = services.crm_import_create(source="salesforce", actor=company.admin, paths=[])
    assert services.crm_import_claim(crm_import=blocker)
    client = login("admin")

    response = _upload(client, "salesforce", fixture_files("salesforce", "good"))

    waiting = CrmImport.objects.exclude(pk=blocker.pk).get()
    assert waiting.status == CrmImport.Status.QUEUED
    assert f"Import #{blocker.pk} is still running" in response.content.decode()
    assert "Waiting to start" in response.content.decode()
    with pytest.raises(services.CrmImportBusy):
        services.run_import(source="salesforce", paths=fixture_files("salesforce", "good"), actor=None)

    # When the running import finishes, the waiting one starts.
    CrmImport.objects.filter(pk=blocker.pk).update(status="succeeded")
    services._start_next_queued(after=blocker)
    waiting.refresh_from_db()
    assert waiting.status == CrmImport.Status.SUCCEEDED


def test_history_page_has_a_fixed_query_count(login, company, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for _ in range(15):
        services.crm_import_create(source="salesforce", actor=company.admin, paths=[])
    client = login("admin")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("crm:import_list"))
    assert response.content.decode().count("Waiting</span>") == 15


def test_uploads_that_are_not_csv_exports_are_refused(login) -> None:  # type: ignore[no-untyped-def]
    client = login("admin")
    xlsx = SimpleUploadedFile("deals.xlsx", b"PK\x03\x04", content_type="application/vnd.ms-excel")
    page = client.post(reverse("crm:import_new"), {"source": "hubspot", "export_files": [xlsx]}).content.decode()
    assert "deals.xlsx: only .csv files or a .zip of them can be imported." in page

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.pdf", "not a csv")
    empty_zip = SimpleUploadedFile("export.zip", buffer.getvalue(), content_type="application/zip")
    page = client.post(reverse("crm:import_new"), {"source": "hubspot", "export_files": [empty_zip]}).content.decode()
    assert "export.zip holds no .csv files" in page

    broken_zip = SimpleUploadedFile("export.zip", b"not a zip", content_type="application/zip")
    page = client.post(reverse("crm:import_new"), {"source": "hubspot", "export_files": [broken_zip]}).content.decode()
    assert "export.zip is not a readable zip file" in page
    assert not CrmImport.objects.exists()


def test_detail_page_has_a_fixed_query_count(login, company, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    result = services.run_import(source="salesforce", paths=fixture_files("salesforce", "good"), actor=company.admin)
    client = login("admin")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("crm:import_detail", args=[result.pk])).content.decode()
    assert "Pat Contractor" in page
