"""manage.py link_crm_users: ids are read as the CRM that wrote them, and the report says which links match."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crm.importing.registry import user_id_as_stored
from crm.models import CrmUserLink
from crm.tests.conftest import FIXTURES, table_rows

pytestmark = pytest.mark.django_db

KAI = "KaiFreelancer01"  # a mapped CRM's user id of 15 characters: not a Salesforce id


@pytest.fixture(autouse=True)
def _no_worker(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _links(tmp_path: Path, *rows: tuple[str, str]) -> Path:
    path = tmp_path / "links.csv"
    path.write_text("crm_user_id,person\n" + "".join(f"{user},{person}\n" for user, person in rows))
    return path


def _link(path: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command("link_crm_users", str(path), "--sync", *extra, stdout=out)
    return out.getvalue()


def _import_mapped_with_a_15_character_user_id(tmp_path: Path) -> None:
    folder = tmp_path / "mapped"
    shutil.copytree(FIXTURES / "mapped" / "good", folder)
    for name in ("reps.csv", "customers.csv", "deals.csv", "activities.csv"):
        file = folder / name
        file.write_text(file.read_text(encoding="utf-8").replace("r-300", KAI), encoding="utf-8")
    call_command("import_crm", str(folder), "--source", "mapped", "--mapping", str(folder / "mapping.toml"),
                 "--sync", stdout=io.StringIO())


def test_ids_are_normalised_only_by_the_source_that_writes_them() -> None:
    assert user_id_as_stored("salesforce", " 0055g00000PaTt1 ") == "0055g00000PaTt1AAF"
    assert user_id_as_stored("salesforce", "0055g00000PaTt1AAF") == "0055g00000PaTt1AAF"
    assert user_id_as_stored("mapped", f" {KAI} ") == KAI
    assert user_id_as_stored("hubspot", "123456789012345") == "123456789012345"
    with pytest.raises(ValueError, match="unknown CRM source"):
        user_id_as_stored("pipedrive", KAI)


def test_a_mapped_crm_id_of_15_characters_is_kept_and_links(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _import_mapped_with_a_15_character_user_id(tmp_path)
    assert KAI in {u["user_id"] for u in table_rows("crm_users")}

    text = _link(_links(tmp_path, (KAI, company.lou.employee_id)))

    assert CrmUserLink.objects.get().crm_user_id == KAI  # not KAI + three Salesforce check characters
    assert "Saved 1 link(s): 1 match a CRM user in the store, 0 match none." in text
    users = {u["user_id"]: u for u in table_rows("crm_users")}
    assert users[KAI]["person_employee_id"] == company.lou.employee_id


def test_a_salesforce_id_of_15_or_18_characters_links_the_same_user(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    call_command("import_crm", str(FIXTURES / "salesforce" / "good"), "--source", "salesforce", "--sync",
                 stdout=io.StringIO())
    text = _link(_links(tmp_path, ("0055g00000PaTt1", company.lou.employee_id)))
    assert "1 match a CRM user in the store, 0 match none" in text
    assert CrmUserLink.objects.get().crm_user_id == "0055g00000PaTt1AAF"

    text = _link(_links(tmp_path, ("0055g00000PaTt1AAF", company.lou.email)))
    assert "1 match a CRM user in the store, 0 match none" in text
    assert list(CrmUserLink.objects.values_list("crm_user_id", flat=True)) == ["0055g00000PaTt1AAF"]
    assert {u["user_id"]: u for u in table_rows("crm_users")}["0055g00000PaTt1AAF"]["person_employee_id"] == (
        company.lou.employee_id)


def test_the_report_counts_the_matches_and_lists_every_link_that_matches_no_crm_user(
        company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _import_mapped_with_a_15_character_user_id(tmp_path)
    path = _links(tmp_path, ("r-100", company.sam.employee_id), (KAI, company.lou.employee_id),
                  ("r-999", company.sara.email), ("0055g00000PaTt1", company.sid.employee_id))

    text = _link(path)

    assert "Saved 4 link(s): 2 match a CRM user in the store, 2 match none." in text
    lines = text.splitlines()
    listed = [line.strip() for line in lines if line.startswith("  links.csv")]
    assert listed == [
        f"links.csv, row 4: 'r-999' -> Sara Acme ({company.sara.employee_id}, {company.sara.email})",
        f"links.csv, row 5: '0055g00000PaTt1' -> Sid Acme ({company.sid.employee_id}, {company.sid.email})",
    ]
    assert CrmUserLink.objects.count() == 4  # kept: they apply once an import brings the id


def test_without_an_import_the_source_must_be_given(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _links(tmp_path, ("0055g00000PaTt1", company.lou.employee_id))
    with pytest.raises(CommandError, match="give --source"):
        _link(path)
    assert not CrmUserLink.objects.exists()
    text = _link(path, "--source", "salesforce")
    assert "Saved 1 link(s): 0 match a CRM user in the store, 1 match none." in text
    assert CrmUserLink.objects.get().crm_user_id == "0055g00000PaTt1AAF"
