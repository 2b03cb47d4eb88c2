"""Property-based fuzzing of the CRM importers (security issue 10): a small valid export (Salesforce, HubSpot, a
mapped CSV export) with one file mutated the way real files get damaged (tests/fuzzing.py) is either accepted or
refused; the import never stops on an unexpected (engine) error, a refusal names the file and, for a bad value,
its row and column, and a refused import leaves the store exactly as it was: the same tables, the same rows, no
staging table left.

Every example imports into a copy of one store that already holds the unmutated export (so an accepted file goes
through the update path and a refused one is compared with real rows), made once per test; the Django side runs
in a savepoint rolled back after each example. DuckDB only: an import takes about a second, several on
PostgreSQL, and the engine-specific reading of a file (a view over DuckDB's CSV reader, read lazily) is where
the fuzzing found its crashes. The longer run (>= 1,000 files) is benchmarks/import_fuzz.py.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import store
from crm.importing import run_import
from crm.models import CrmImport
from crm.tests.conftest import FIXTURES
from tests.fuzzing import CELL_VALUES, DATES, NUMBERS, Mutant, mutated

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=8, derandomize=True, deadline=None, database=None,
    # The stores and the database are restored for every example by hand (see above).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
# CRM cells are mostly dates, amounts and ids: weight the odd values towards dates and numbers.
CRM_VALUES = st.one_of(CELL_VALUES, DATES, NUMBERS, NUMBERS)


@dataclass(frozen=True)
class Export:
    source: str
    folder: Path
    mapping: str | None = None  # the mapping file's name, for the mapped source
    # Import the mutated file on its own (into the store that holds the rest): a Salesforce export of ten files
    # takes several seconds to import, one file about a second. A mapped export is imported whole (its mapping
    # names every file).
    alone: bool = False

    def files(self, where: Path, mutated: str | None = None) -> tuple[list[Path], Path | None]:
        csvs = [where / mutated] if self.alone and mutated else sorted(where.glob("*.csv"))
        return csvs, (where / self.mapping if self.mapping else None)

    @property
    def names(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir() if p.suffix in (".csv", ".toml"))


EXPORTS = {
    "salesforce": Export("salesforce", FIXTURES / "salesforce" / "good", alone=True),
    "hubspot": Export("hubspot", FIXTURES / "hubspot" / "labels", alone=True),
    "mapped": Export("mapped", FIXTURES / "mapped" / "good", mapping="mapping.toml"),
}


def store_contents() -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the store with its rows (sorted), to prove a refused import changed nothing."""
    with store.session() as con:
        contents = {}
        for name in sorted(con.list_tables()):
            rows = con.to_pyarrow(con.table(name)).to_pylist()
            contents[name] = sorted((tuple(row.values()) for row in rows), key=repr)
        return contents


@contextmanager
def example_store(base: Path, settings: Any) -> Iterator[Path]:
    """A scratch folder holding a copy of the base store, used as ANALYTICS_URL for one example."""
    scratch = Path(tempfile.mkdtemp(prefix="crm-fuzz-"))
    try:
        shutil.copy(base, scratch / "analytics.duckdb")
        settings.ANALYTICS_URL = f"duckdb://{scratch / 'analytics.duckdb'}"
        with transaction.atomic():
            yield scratch
            transaction.set_rollback(True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass
class Base:
    store: Path
    contents: dict[str, list[tuple[Any, ...]]]


def base_for(export: Export, path: Path, settings: Any) -> Base:
    """The store at `path` after importing the unmutated export: the starting point of every example."""
    settings.ANALYTICS_URL = f"duckdb://{path}"
    paths, mapping = export.files(export.folder)
    result = run_import(source=export.source, paths=paths, actor=None, mapping=mapping)
    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    return Base(store=path, contents=store_contents())


@pytest.fixture
def base_store(request, tmp_path, settings) -> Base:  # type: ignore[no-untyped-def]
    return base_for(EXPORTS[request.param], tmp_path / "base.duckdb", settings)


def mutated_file(data: st.DataObject, export: Export) -> tuple[str, Mutant]:
    """One file of the export, drawn, and a mutant of it."""
    file = data.draw(st.sampled_from(export.names), label="file")
    return file, data.draw(mutated((export.folder / file).read_bytes(), values=CRM_VALUES), label="mutant")


def check_import(export: Export, base: Base, mutant: Mutant, file: str, settings: Any) -> CrmImport:
    """Import the export with `file` replaced by the mutant and assert what every import keeps."""
    with example_store(base.store, settings) as scratch:
        folder = scratch / "export"
        shutil.copytree(export.folder, folder)
        (folder / file).write_bytes(mutant.data)
        paths, mapping = export.files(folder, file)
        assert store_contents() == base.contents, "the example did not start from the base store"

        result = run_import(source=export.source, paths=paths, actor=None, mapping=mapping)

        assert result.status in (CrmImport.Status.SUCCEEDED, CrmImport.Status.FAILED)
        assert "unexpected" not in result.failure_message, result.failure_message
        after = store_contents()
        assert not [t for t in after if t.startswith(store.STAGING_PREFIX)]
        if result.status == CrmImport.Status.FAILED:
            assert result.errors, result.failure_message
            assert after == base.contents
        names = {p.name for p in paths} | ({mapping.name} if mapping else set()) | {"(mapping)"}
        for error in result.errors:
            assert error["file"] in names, error
            assert isinstance(error["message"], str)
            assert error["message"].strip()
            assert error["row"] is None or error["row"] >= 1, error
            if error["value"] and error["file"] != mapping_name(mapping):
                # A bad value in a CSV file is shown where it is: its row and column.
                assert error["row"] is not None, error
                assert error["column"], error
        return result


def mapping_name(mapping: Path | None) -> str:
    return mapping.name if mapping else ""


@pytest.mark.parametrize("base_store", ["salesforce"], indirect=True)
@given(data=st.data())
@settings(FUZZ, max_examples=20)
def test_a_mutated_salesforce_export_is_accepted_or_refused_cleanly(base_store, settings, data):
    export = EXPORTS["salesforce"]
    file, mutant = mutated_file(data, export)
    check_import(export, base_store, mutant, file, settings)


@pytest.mark.parametrize("base_store", ["hubspot", "mapped"], indirect=True)
@given(data=st.data())
@FUZZ
def test_a_mutated_hubspot_or_mapped_export_is_accepted_or_refused_cleanly(base_store, settings, data, request):
    export = EXPORTS[request.node.callspec.params["base_store"]]
    file, mutant = mutated_file(data, export)
    check_import(export, base_store, mutant, file, settings)


# --- what the fuzzing found -------------------------------------------------------------------------------------


def _cut_deals(tmp_path: Path, export: Export, file: str) -> tuple[list[Path], Path | None]:
    """The export with its deals file cut just after the first character of its first data row."""
    folder = tmp_path / "export"
    shutil.copytree(export.folder, folder)
    deals = folder / file
    header = deals.read_bytes().splitlines(keepends=True)[0]
    deals.write_bytes(header + b"D")
    return export.files(folder)


@pytest.mark.parametrize(("source", "file", "columns"), [("mapped", "deals.csv", 10), ("hubspot", "deals.csv", 14)])
def test_a_deals_file_cut_inside_its_first_row_is_refused_at_that_row(duckdb_url, tmp_path, source, file, columns):
    """The mapped and HubSpot importers read the deals' stages before staging; DuckDB's complaint about the short
    row stopped the import on an unexpected error."""
    paths, mapping = _cut_deals(tmp_path, EXPORTS[source], file)
    result = run_import(source=source, paths=paths, actor=None, mapping=mapping)
    assert result.status == CrmImport.Status.FAILED
    assert "unexpected" not in result.failure_message
    assert [(e["file"], e["row"]) for e in result.errors] == [(file, 2)]
    assert result.errors[0]["message"] == (
        f"is not a well-formed CSV file: the header names {columns} columns but this row has 1. Export the file "
        "again, or fix that row")
    with store.session() as con:
        assert not [t for t in con.list_tables() if t.startswith(store.STAGING_PREFIX)]


def test_a_lone_carriage_return_inside_a_row_is_refused_as_not_well_formed(duckdb_url, tmp_path):
    """DuckDB's CSV reader stops on it with an error that names no line ("state machine reached an invalid
    state"); the import stopped on an unexpected error."""
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS["mapped"].folder, folder)
    deals = folder / "deals.csv"
    lines = deals.read_bytes().splitlines(keepends=True)
    deals.write_bytes(lines[0] + lines[1] + lines[2].replace(b";EUR;", b";crlone\r;", 1) + b"".join(lines[3:]))
    paths, mapping = EXPORTS["mapped"].files(folder)
    result = run_import(source="mapped", paths=paths, actor=None, mapping=mapping)
    assert result.status == CrmImport.Status.FAILED
    assert "unexpected" not in result.failure_message
    assert [e["file"] for e in result.errors] == ["deals.csv"]
    assert result.errors[0]["message"].startswith("is not a well-formed CSV file: a quote or a line break is out")
