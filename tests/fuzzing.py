"""Mutated copies of valid import files, for the importers' fuzz tests and benchmarks/import_fuzz.py.

`mutated(original, values=...)` is a Hypothesis strategy: one to three mutations applied in turn to a valid file
(bytes), each named in the result's `steps` so a failure says what was done to the file. The mutations are what
real files go through on the way to an import: bytes flipped, cut, inserted or lost, lines repeated or lost,
columns swapped, dropped or added, odd values in cells, a byte order mark, other line ends and encodings, and
the empty file. `values` supplies the odd cell values, so each importer can add what its columns read (dates,
numbers).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

BOM = b"\xef\xbb\xbf"
INVALID_UTF8 = (b"\xff\xfe\xc3\x28", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")
ENCODINGS = ("latin-1", "cp1252", "utf-16", "utf-16-le", "mac_roman", "utf-32")


@dataclass(frozen=True)
class Mutant:
    steps: tuple[str, ...]
    data: bytes

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example: the steps, then a readable start
        return f"Mutant(steps={self.steps!r}, size={len(self.data)}, start={self.data[:300]!r})"


def huge_text(low: int = 10_001, high: int = 1_100_000) -> SearchStrategy[str]:
    """A cell far longer than any real one (built from a drawn length, so Hypothesis does not draw every
    character)."""
    return st.tuples(st.integers(low, high), st.sampled_from("x9é\"; ")).map(lambda pair: pair[1] * pair[0])


ODD_TEXT = st.sampled_from([
    "", " ", '"', '""', 'a"b', '"quoted"', "a,b", "a;b", "a\tb", "line\nbreak", "cr\rlone", "\r\n", "\x00",
    "\u200b", "\ufeff", "=cmd|' /C calc'!A0", "<script>alert(1)</script>", "'; DROP TABLE people; --",
    "NULL", "None", "\\N", "-", "\U0001f600", "\u202eevil", "Ω" * 300,
])
DATES = st.one_of(
    st.sampled_from([
        "2024-02-30", "2023-02-29", "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "31/12/2024",
        "12/31/2024", "2024-13-01", "2024-1-1", "20240101", "2024-01-01T25:00:00Z", "2024-01-01T10:00:00+99:00",
        "2024-01-01T10:00:00.000+0000", "2024-01-01 10:61", "yesterday", "1e9", "-2024-01-01",
    ]),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
)
NUMBERS = st.one_of(
    st.sampled_from([
        "1E+20", "1e308", "1e309", "-1e309", "NaN", "nan", "inf", "-Infinity", "-0", "1,5", "1.000,50", "0x1F",
        "1_000", "١٢٣", "++1", "1e", ".", "9" * 400, "-" + "9" * 30, "999999999999999", "1000000000000000",
        "0.0000000000000000000001", "$100", "100%", "1 000",
    ]),
    st.integers().map(str),
    st.floats().map(repr),
)
TEXT = st.one_of(ODD_TEXT, st.text(max_size=40), huge_text())
CELL_VALUES = st.one_of(TEXT, DATES, NUMBERS)


# --- byte mutations -------------------------------------------------------------------------------------------


def _flip_byte(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]


def _truncate(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    return data[: draw(st.integers(0, max(len(data) - 1, 0)))]


def _insert_bytes(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.one_of(st.binary(min_size=1, max_size=16), st.sampled_from(INVALID_UTF8))) + data[at:]


def _delete_bytes(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    return data[:at] + data[at + draw(st.integers(1, 16)):]


def _stray_quote(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.sampled_from([b'"', b'""', b'"\n', b',"', b'\r'])) + data[at:]


# --- lines ----------------------------------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _duplicate_line(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    lines = _lines(data)
    if not lines:
        return data
    at = draw(st.integers(0, len(lines) - 1))
    copy = lines[at] if lines[at].endswith((b"\n", b"\r")) else lines[at] + b"\n"
    where = draw(st.integers(0, len(lines)))
    return b"".join([*lines[:where], copy, *lines[where:]])


def _remove_line(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    lines = _lines(data)
    if not lines:
        return data
    at = draw(st.integers(0, len(lines) - 1))
    return b"".join(lines[:at] + lines[at + 1:])


def _swap_lines(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    lines = _lines(data)
    if len(lines) < 2:
        return data
    a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    lines[a], lines[b] = lines[b], lines[a]
    return b"".join(lines)


# --- cells and columns (the file read as CSV and written again; skipped when it no longer reads) ------------


def _rows(data: bytes) -> tuple[list[list[str]], bool] | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return None
    return (rows, text.startswith('"')) if rows else None


def _write(rows: list[list[str]], quote_all: bool) -> bytes:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


def _on_rows(change: Callable[[DrawFn, list[list[str]], SearchStrategy[str]], None]) -> Mutation:
    def mutate(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
        parsed = _rows(data)
        if parsed is None:
            return data
        rows, quote_all = parsed
        change(draw, rows, values)
        return _write(rows, quote_all)

    mutate.__name__ = change.__name__
    return mutate


def _set_cell(draw: DrawFn, rows: list[list[str]], values: SearchStrategy[str]) -> None:
    row = draw(st.integers(min(1, len(rows) - 1), len(rows) - 1))
    if rows[row]:
        rows[row][draw(st.integers(0, len(rows[row]) - 1))] = draw(values)


def _set_header(draw: DrawFn, rows: list[list[str]], values: SearchStrategy[str]) -> None:
    if rows[0]:
        rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(st.one_of(ODD_TEXT, st.text(max_size=20)))


def _swap_columns(draw: DrawFn, rows: list[list[str]], values: SearchStrategy[str]) -> None:
    width = len(rows[0])
    if width < 2:
        return
    a, b = draw(st.integers(0, width - 1)), draw(st.integers(0, width - 1))
    values_only = draw(st.booleans())  # the header stays: every value lands under the wrong name
    for index, row in enumerate(rows):
        if (index or not values_only) and max(a, b) < len(row):
            row[a], row[b] = row[b], row[a]


def _drop_column(draw: DrawFn, rows: list[list[str]], values: SearchStrategy[str]) -> None:
    at = draw(st.integers(0, max(len(rows[0]) - 1, 0)))
    header_only = draw(st.booleans())
    for index, row in enumerate(rows):
        if at < len(row) and (index == 0 or not header_only):
            del row[at]


def _add_column(draw: DrawFn, rows: list[list[str]], values: SearchStrategy[str]) -> None:
    at = draw(st.integers(0, len(rows[0])))
    name = draw(st.one_of(st.just("extra"), st.sampled_from(rows[0] or ["x"]), st.text(max_size=10)))
    for index, row in enumerate(rows):
        if index == 0 or draw(st.booleans()):
            row.insert(at, name if index == 0 else draw(values))


# --- the whole file -------------------------------------------------------------------------------------------


def _bom(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    return draw(st.sampled_from([BOM, BOM + BOM, b"\xff\xfe", b"\xfe\xff"])) + data


def _line_ends(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    plain = data.replace(b"\r\n", b"\n")
    return plain.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r", b"\n\n", b"\n"])))


def _reencode(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    return data.decode("utf-8", errors="replace").encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


def _empty(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    return draw(st.sampled_from([b"", b" ", b"\n", b"\r\n\r\n", BOM, b"\x00" * 8, b'""']))


def _header_only(draw: DrawFn, data: bytes, values: SearchStrategy[str]) -> bytes:
    return _lines(data)[0] if data else data


Mutation = Callable[[DrawFn, bytes, SearchStrategy[str]], bytes]
MUTATIONS: tuple[Mutation, ...] = (
    _flip_byte, _truncate, _insert_bytes, _delete_bytes, _stray_quote,
    _duplicate_line, _remove_line, _swap_lines,
    _on_rows(_set_cell), _on_rows(_set_cell), _on_rows(_set_cell), _on_rows(_set_header), _on_rows(_swap_columns),
    _on_rows(_drop_column), _on_rows(_add_column),
    _bom, _line_ends, _reencode, _empty, _header_only,
)
# Mutations that make sense for a binary file (an XLSX workbook is a zip).
BYTE_MUTATIONS: tuple[Mutation, ...] = (_flip_byte, _truncate, _insert_bytes, _delete_bytes, _empty)


@st.composite
def mutated(draw: DrawFn, original: bytes, *, values: SearchStrategy[str] = CELL_VALUES,
            mutations: tuple[Mutation, ...] = MUTATIONS, most: int = 3) -> Mutant:
    """`original` with one to `most` mutations applied in turn."""
    data = original
    steps: list[str] = []
    for _ in range(draw(st.integers(1, most))):
        mutation = draw(st.sampled_from(mutations))
        data = mutation(draw, data, values)
        steps.append(mutation.__name__.lstrip("_"))
    return Mutant(steps=tuple(steps), data=data)
