"""Turning an uploaded HR file (CSV or XLSX) into header-checked rows of cells.

Nothing here knows what a person is: it finds the header row, maps header names to the documented columns and
hands back each non-blank row with its number as the user sees it in the file (header = row 1). Problems that
make the whole file unreadable raise `FileRejected` with one clear message. Problems of the header alone (a
required column missing, a column twice) are handed back with the rows, so the rows are checked too and the
person preparing the file sees every problem at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any
from xml.etree import ElementTree

from people.importing.columns import ALL_COLUMNS, DATE_COLUMNS, REQUIRED_COLUMNS, header_key

Cell = str | dt.date  # dates only come from XLSX date cells; everything else is stripped text
MAX_ROWS = 100_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # checked in read_sheet, which every import path goes through
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the pre-2007 binary Excel format


@dataclass(frozen=True)
class Issue:
    """One problem (or warning) found in the file, addressed the way the user will look for it."""

    row: int | None  # None: the whole file
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


class FileRejected(Exception):
    """The file cannot be read as an HR file at all."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(issue.message for issue in issues))
        self.issues = issues


@dataclass
class Sheet:
    """The rows of the file, keyed by documented column name (and the extra columns asked for)."""

    columns: frozenset[str]
    rows: list[tuple[int, dict[str, Cell]]]
    warnings: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)  # problems of the header row
    missing: frozenset[str] = frozenset()  # required columns the file lacks


def _reject(message: str, *, row: int | None = None, column: str = "", value: str = "") -> FileRejected:
    return FileRejected([Issue(row, column, value, message)])


def read_sheet(data: bytes, filename: str, *, extra_columns: frozenset[str] = frozenset(),
               not_required: frozenset[str] = frozenset()) -> Sheet:
    """Read `data` (the file's bytes) as CSV or XLSX, chosen by content and the file name's extension.

    `extra_columns`: header keys of columns Promoted does not document but the import reads (the column people's
    function is taken from, e.g. "division"); `not_required`: required columns this import can do without (the
    function, when a default or another column gives it)."""
    extension = PurePath(filename).suffix.lower()
    if len(data) > MAX_UPLOAD_BYTES:
        raise _reject(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1024 // 1024} MB. "
            "Split it and use partial imports."
        )
    if not data.strip():
        raise _reject("The file is empty.")
    if data.startswith(_OLE_MAGIC) or extension == ".xls":
        raise _reject(
            "This is an old-style Excel file (.xls). Open it in Excel and save it as an Excel workbook (.xlsx) "
            "or as 'CSV UTF-8', then upload that."
        )
    warnings: list[Issue] = []
    if data.startswith(_ZIP_MAGIC):
        if extension not in (".xlsx", ".xlsm"):
            raise _reject(f"'{filename}' is not a CSV or XLSX file. Upload a .csv (UTF-8) or .xlsx file.")
        raw_rows = _xlsx_rows(data, warnings)
    elif extension in (".xlsx", ".xlsm"):
        raise _reject("The file is named .xlsx but is not an Excel workbook. Save it from Excel again.")
    elif extension in (".csv", ".txt"):
        raw_rows = _csv_rows(data)
    else:
        raise _reject(f"'{filename}' is not a CSV or XLSX file. Upload a .csv (UTF-8) or .xlsx file.")
    return _sheet(raw_rows, warnings, extra_columns=extra_columns, not_required=not_required)


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how spreadsheets name columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _reject(
            f"The file is not UTF-8 text (the first character that is not is on line {line}). In Excel choose "
            "'Save As' > 'CSV UTF-8 (Comma delimited)'; in other programs save or export the CSV with the UTF-8 "
            "encoding, then upload it again."
        ) from exc


def _delimiter(first_line: str) -> str:
    """Comma unless the header reads better split on semicolons or tabs (European Excel writes semicolons)."""

    def known(delimiter: str) -> int:
        return sum(header_key(part.strip('"')) in ALL_COLUMNS for part in first_line.split(delimiter))

    return max([",", ";", "\t"], key=known)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Cell]]]:
    text = _decode(data)
    if "\x00" in text:
        raise _reject("The file contains binary data, so it is not a CSV file. Upload a .csv (UTF-8) or .xlsx file.")
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header_width = 0
    pending: tuple[int, list[str]] | None = None  # each row is held back one step, to check the last one
    try:
        for row_number, values in enumerate(reader, start=1):
            if pending is None:
                header_width = len(values)
            else:
                yield pending[0], [value.strip() for value in pending[1]]
            pending = (row_number, values)
    except csv.Error as exc:
        read = pending[0] if pending else 0
        raise _reject(f"The file could not be read as CSV after row {read}: {exc}.") from exc
    if pending is None:
        return
    row_number, values = pending
    if row_number > 1 and not text.endswith(("\n", "\r")) and len(values) < header_width:
        # A file cut short (a failed download or copy) ends in the middle of a line: importing it would silently
        # lose that person and, in a full import, everyone after the cut.
        raise _reject(
            f"The last line of the file (row {row_number}) is cut short: it has {len(values)} of the "
            f"{header_width} columns and no line end. The file looks incomplete; export it again.",
            row=row_number,
        )
    yield row_number, [value.strip() for value in values]


def _xlsx_cell(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 1001.0 is employee 1001
    return str(value).strip()


# What reading the rows of a damaged workbook raises: broken XML, a zip member that is cut or fails its checksum,
# a cell value that is not what its type says.
_DAMAGED_WORKBOOK = (ElementTree.ParseError, zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError)


def _xlsx_rows(data: bytes, warnings: list[Issue]) -> Iterator[tuple[int, list[Cell]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged workbook
        raise _reject("The file could not be opened as an Excel workbook (.xlsx). Save it from Excel again.") from exc
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise _reject("The workbook has no sheets.")
        if len(sheets) > 1:
            warnings.append(Issue(None, "", sheets[0].title, (
                f"The workbook has {len(sheets)} sheets; only the first, '{sheets[0].title}', was read."
            )))
        rows = sheets[0].iter_rows(values_only=True)
        row_number = 0
        while True:
            # A read-only workbook reads its sheet while the rows are iterated, so damage inside the sheet (a cut
            # or altered zip member, broken XML) surfaces here, after load_workbook accepted the file.
            try:
                values = next(rows, None)
            except _DAMAGED_WORKBOOK as exc:
                raise _reject(
                    f"The workbook is damaged: Promoted read {row_number} rows of the sheet "
                    f"'{sheets[0].title}' and could not read on from row {row_number + 1}. Open it in Excel and "
                    "save it again, then upload that.",
                    row=row_number + 1,
                ) from exc
            if values is None:
                return
            row_number += 1
            yield row_number, [_xlsx_cell(value) for value in values]
    finally:
        workbook.close()


def _header(cells: list[Cell], extra_columns: frozenset[str], not_required: frozenset[str],
            ) -> tuple[dict[int, str], list[Issue], list[Issue], list[str]]:
    """Map cell positions to documented (and extra) columns. Returns (positions, errors, warnings, missing)."""
    positions: dict[int, str] = {}
    seen: dict[str, int] = {}
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for index, cell in enumerate(cells):
        raw = cell.isoformat() if isinstance(cell, dt.date) else cell
        if not raw:
            continue
        name = header_key(raw)
        if name not in ALL_COLUMNS and name not in extra_columns:
            warnings.append(Issue(1, raw, raw, (
                f"Column '{raw}' (column {_column_letter(index)}) is not one Promoted reads, so it was ignored."
            )))
            continue
        if name in seen:
            errors.append(Issue(1, name, raw, (
                f"Column '{name}' appears twice (columns {_column_letter(seen[name])} and "
                f"{_column_letter(index)}). Keep one of them."
            )))
            continue
        seen[name] = index
        positions[index] = name
    missing = [name for name in REQUIRED_COLUMNS if name not in seen and name not in not_required]
    if missing:
        hint = (" Or name the column people's function is in, or a function for everyone, on the upload page "
                "(--function-from or --default-function on the command line)." if "function" in missing else "")
        errors.append(Issue(1, ", ".join(missing), "", (
            f"Required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}. The first row must "
            f"hold the column names; download the template to see them.{hint}"
        )))
    return positions, errors, warnings, missing


def _sheet(raw_rows: Iterable[tuple[int, list[Cell]]], warnings: list[Issue], *,
           extra_columns: frozenset[str] = frozenset(), not_required: frozenset[str] = frozenset()) -> Sheet:
    rows_iter = iter(raw_rows)
    first = next(rows_iter, None)
    if first is None:
        raise _reject("The file is empty.")
    _, header_cells = first
    if not any(header_cells):
        raise _reject("Row 1 is empty. The first row must hold the column names; download the template to see "
                      "them.", row=1)
    positions, errors, header_warnings, missing = _header(header_cells, extra_columns, not_required)
    if errors and not positions:
        raise FileRejected(errors)  # no column Promoted reads: row 1 is no header, the rows would say nothing
    warnings.extend(header_warnings)
    rows: list[tuple[int, dict[str, Cell]]] = []
    for row_number, cells in rows_iter:
        if not any(cells):
            continue  # blank lines, often at the end of spreadsheets
        if len(rows) >= MAX_ROWS:
            raise _reject(f"The file has more than {MAX_ROWS:,} rows. Split it and use partial imports.")
        values: dict[str, Cell] = {}
        for index, name in positions.items():
            cell = cells[index] if index < len(cells) else ""
            if isinstance(cell, dt.date) and name not in DATE_COLUMNS:
                cell = cell.isoformat()
            values[name] = cell
        rows.append((row_number, values))
    if not rows:
        raise FileRejected([*errors, Issue(None, "", "", "The file has the column names but no people in it.")])
    return Sheet(columns=frozenset(positions.values()), rows=rows, warnings=warnings, errors=errors,
                 missing=frozenset(missing))
