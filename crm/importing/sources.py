"""Reading the user's CSV files into the store as all-text tables, without parsing any value in Python.

Two paths, one result: an Ibis table whose columns `c0, c1, ...` hold the file's fields as text (header names
are kept on the side, so odd or repeated header labels cannot break SQL), and a numbered twin with `_row`, the
row number in the user's file (the header is row 1).

- DuckDB (the fast path): a view over DuckDB's own parallel CSV reader. Nothing is copied; the validation and
  staging queries read the file directly, and the row number is only computed (WITH ORDINALITY) when an error
  has to be located.
- Every other engine (the portable path): pyarrow's streaming CSV reader reads the file in blocks, numbers the
  rows and appends them to a text table in the store (PostgreSQL: COPY; others: Ibis `insert`).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from crm import store
from crm.importing.errors import Issue

DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "latin-1": "latin-1",
                    "iso-8859-1": "latin-1", "utf-16": "utf-16"}


class FileProblem(Exception):
    """A file that cannot be read as a CSV at all (empty, undecodable, broken quoting, repeated headers)."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue


@dataclass(frozen=True)
class CsvFormat:
    delimiter: str = ","
    encoding: str = "utf-8"


@dataclass
class RawFile:
    """One CSV file opened in the store. `col(header)` gives its text column; `has(header)` asks for one."""

    name: str
    path: Path
    headers: list[str]
    table: ir.Table
    numbered: ir.Table
    by_header: dict[str, str] = field(default_factory=dict)
    # Trim spaces around values: on for hand-made files; off for CRM exports, which never pad values, because
    # trimming every value of a 50-million-row file is a noticeable share of the import's time.
    trim: bool = True

    def has(self, header: str) -> bool:
        return self._key(header) in self.by_header

    def column_name(self, header: str) -> str:
        return self.by_header[self._key(header)]

    def header_of(self, column: str) -> str:
        return self.headers[int(column[1:])]

    @staticmethod
    def _key(header: str) -> str:
        return header.strip().lower()


def read_header(path: Path, fmt: CsvFormat, *, name: str) -> list[str]:
    """The header row of `path`. Raises FileProblem when the file is empty, undecodable or its header is unusable."""
    encoding = "utf-8-sig" if codecs.lookup(fmt.encoding).name == "utf-8" else fmt.encoding
    try:
        with path.open(newline="", encoding=encoding) as handle:
            header = next(csv.reader(handle, delimiter=fmt.delimiter), None)
    except UnicodeDecodeError as error:
        raise FileProblem(Issue(file=name, row=1, message=f"is not {fmt.encoding} text ({error.reason})")) from error
    except csv.Error as error:
        raise FileProblem(Issue(file=name, row=1, message=f"is not a readable CSV file ({error})")) from error
    if not header or all(not h.strip() for h in header):
        raise FileProblem(Issue(file=name, row=1, message="is empty: the first row must name the columns"))
    seen: dict[str, int] = {}
    for index, raw in enumerate(header):
        key = raw.strip().lower()
        if not key:
            raise FileProblem(Issue(file=name, row=1, column=f"#{index + 1}", message="has a column without a name"))
        if key in seen:
            raise FileProblem(Issue(file=name, row=1, column=raw.strip(), message="appears twice in the header"))
        seen[key] = index
    return [h.strip() for h in header]


def check_encoding(path: Path, fmt: CsvFormat, *, name: str) -> None:
    """Refuse a file that is not valid text in its encoding, naming the line of the first bad byte.

    The engines' CSV readers fail on such bytes with an engine error (DuckDB: a fatal one) deep inside the
    import, so every file is checked here first, streamed in blocks through a strict incremental decoder."""
    if codecs.lookup(fmt.encoding).name != "utf-8":
        return  # latin-1 decodes every byte; other encodings are left to the engine's reader
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    line = 1
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                bad_line = line + block[: error.start].count(b"\n")
                raise FileProblem(Issue(
                    file=name, row=bad_line, message=(
                        f"is not UTF-8 text: line {bad_line} holds bytes that are not UTF-8. Export the file "
                        "again with the UTF-8 encoding"
                    ),
                )) from error
            line += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise FileProblem(Issue(file=name, row=line, message=(
                f"is not UTF-8 text: it ends in the middle of a character on line {line}. Export the file again"
            ))) from error


_CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COLUMN_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def csv_error(error: Exception, *, name: str) -> Issue | None:
    """The engine's complaint that a file is not well-formed CSV, as an issue on the line it names; None for any
    other error.

    DuckDB reads a file while a query scans it, so a row with too many or too few values, or a quote that is never
    closed, surfaces in whichever query first reads that far (the portable path reads every file whole in `open`
    and reports such rows there)."""
    text = str(error)
    line = _CSV_ERROR_LINE.search(text)
    if line is None:
        if "CSV Parser state machine reached an invalid state" not in text:
            return None
        # DuckDB names no line for this one (a lone carriage return inside a line, for one).
        return Issue(file=name, message=(
            "is not a well-formed CSV file: a quote or a line break is out of place in it (a carriage return "
            "inside a line, or a quote inside a value that is not doubled). Export the file again"
        ))
    counts = _COLUMN_COUNT.search(text)
    if counts:
        what = f"the header names {counts.group(1)} columns but this row has {counts.group(2)}"
    elif "unterminated quote" in text:
        what = "a quoted value starts here and is never closed (a \" missing or one too many)"
    else:
        what = "this row cannot be read as CSV"
    return Issue(file=name, row=int(line.group(1)), message=(
        f"is not a well-formed CSV file: {what}. Export the file again, or fix that row"
    ))


class Loader:
    """Opens an import's CSV files in the store and removes what it made when closed."""

    def __init__(self, con: Any, import_id: int | str) -> None:
        self.con = con
        self.import_id = import_id
        self._count = itertools.count()
        self._made: list[str] = []
        self.fast = con.name == "duckdb"

    def open(self, path: Path, *, name: str | None = None, fmt: CsvFormat | None = None,
             trim: bool = True) -> RawFile:
        fmt = fmt or CsvFormat()
        name = name or path.name
        check_encoding(path, fmt, name=name)
        headers = read_header(path, fmt, name=name)
        columns = [f"c{i}" for i in range(len(headers))]
        relation = store.staging_name(self.import_id, f"raw_{next(self._count)}")
        encoding = codecs.lookup(fmt.encoding).name.replace("_", "-")
        if self.fast and encoding in DUCKDB_ENCODINGS:
            table, numbered = self._duckdb_view(path, relation, columns, fmt, DUCKDB_ENCODINGS[encoding])
        else:
            table = numbered = self._portable_table(path, relation, columns, fmt, name)
        by_header = {h.lower(): c for h, c in zip(headers, columns, strict=True)}
        return RawFile(name=name, path=path, headers=headers, table=table, numbered=numbered, by_header=by_header,
                       trim=trim)

    def close(self) -> None:
        for relation in reversed(self._made):
            statement = "VIEW" if self.fast and not relation.endswith("_t") else "TABLE"
            try:
                store.execute(self.con, f"DROP {statement} IF EXISTS {store.quote(self.con, relation)}")
            except Exception:  # noqa: S112 - best effort: staging_drop cleans up whatever is left
                continue
        self._made.clear()

    # --- DuckDB ---------------------------------------------------------------------------------------------

    def _duckdb_view(
        self, path: Path, relation: str, columns: list[str], fmt: CsvFormat, encoding: str
    ) -> tuple[ir.Table, ir.Table]:
        def lit(value: str) -> str:
            return "'" + value.replace("'", "''") + "'"

        spec = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in columns) + "}"
        reader = (
            f"read_csv({lit(str(path.resolve()))}, header = true, auto_detect = false, columns = {spec}, "
            f"delim = {lit(fmt.delimiter)}, quote = '\"', escape = '\"', encoding = {lit(encoding)}, "
            f"strict_mode = true, null_padding = false, max_line_size = 8388608)"
        )
        numbered_relation = f"{relation}_n"
        q = self.con.raw_sql
        # Identifiers are quoted and literals escaped above; DuckDB has no parameters in DDL.
        q(f"CREATE OR REPLACE TEMP VIEW {store.quote(self.con, relation)} AS SELECT * FROM {reader}")  # noqa: S608
        q(f"CREATE OR REPLACE TEMP VIEW {store.quote(self.con, numbered_relation)} AS "  # noqa: S608
          f"SELECT *, CAST(ordinality + 1 AS BIGINT) AS _row FROM {reader} WITH ORDINALITY")
        self._made += [relation, numbered_relation]
        return self.con.table(relation), self.con.table(numbered_relation)

    # --- every other engine -----------------------------------------------------------------------------------

    def _portable_table(self, path: Path, relation: str, columns: list[str], fmt: CsvFormat,
                        name: str) -> ir.Table:
        import pyarrow as pa

        relation = f"{relation}_t"
        schema = ibis.schema({**{c: "string" for c in columns}, "_row": "int64"})
        self.con.create_table(relation, schema=schema)
        self._made.append(relation)
        try:
            for batch in _arrow_batches(path, columns, fmt):
                if self.con.name == "postgres":
                    _copy_into_postgres(self.con, relation, batch)
                else:
                    self.con.insert(relation, pa.Table.from_batches([batch]))
        except pa.ArrowInvalid as error:
            raise FileProblem(Issue(file=name, message=f"is not a well-formed CSV file: {error}")) from error
        except UnicodeDecodeError as error:
            raise FileProblem(Issue(file=name, message=f"is not {fmt.encoding} text ({error.reason})")) from error
        return self.con.table(relation)


def _arrow_batches(path: Path, columns: list[str], fmt: CsvFormat) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding = "utf8" if codecs.lookup(fmt.encoding).name == "utf-8" else fmt.encoding
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1, encoding=encoding,
                                       block_size=8 << 20),
        parse_options=pacsv.ParseOptions(delimiter=fmt.delimiter, quote_char='"', double_quote=True,
                                         newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()),
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    next_row = 2
    for batch in reader:
        rows = pa.array(range(next_row, next_row + batch.num_rows), type=pa.int64())
        next_row += batch.num_rows
        yield pa.RecordBatch.from_arrays([*batch.columns, rows], names=[*columns, "_row"])


def _copy_into_postgres(con: Any, relation: str, batch: Any) -> None:
    names = ", ".join(store.quote(con, n) for n in batch.schema.names)
    with con.con.cursor() as cursor, cursor.copy(f"COPY {store.quote(con, relation)} ({names}) FROM STDIN") as copy:
        for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
            copy.write_row(row)
