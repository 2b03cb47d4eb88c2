"""Typed values from text columns, with the checks that say where a value is not what it should be.

`Fields` wraps one raw (all-text) file. Each accessor returns an Ibis expression for the typed value and records a
`Check`: an expression that is true on the rows whose text is not a valid value. The pipeline first counts every
check in one scan of the file and only then, if some failed, fetches the offending rows with their row numbers.

Parsing is SQL run in the engine. On DuckDB the checks use TRY_CAST / TRY_STRPTIME (exact: 2024-02-30 fails).
Elsewhere (PostgreSQL and other engines without a non-failing cast) a value is first matched against the
pattern of its type and only cast when it matches, so a bad value is reported instead of aborting the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from crm.importing.sources import RawFile
from crm.schema import MONEY, TS

DATE = dt.Date()
NAIVE_TS = dt.Timestamp()
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# Columns that Pipeline.join_lookup puts beside a file's own (which are c0, c1, ... and _row).
LOOKUP_PREFIX = "_lookup_"

_YMD = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
ISO_TIMESTAMP = ("^" + _YMD + r"([T ]([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?)?\s*"
                 r"(Z|[+-](0\d|1[0-3])(:?[0-5]\d)?|[+-]14(:?00)?)?$")
ISO_DATE = "^" + _YMD + "$"
DECIMAL = r"^[+-]?(\d{1,16}(\.\d*)?|\.\d+)$"
INTEGER = r"^[+-]?\d{1,18}$"
# Bounded digits and exponent, so that every value the pattern lets through casts without an engine error
# (PostgreSQL fails the whole query on a float out of its range, such as 1e400 or a 400-digit number).
FLOAT = r"^[+-]?(\d{1,30}(\.\d{0,30})?|\.\d{1,30})([eE][+-]?\d{1,2})?$"
EPOCH_MS = r"^-?\d{9,15}$"

# Limits on values that parse but cannot be true (security issue 10): each is a check like any bad value, so the
# file is refused with its row and column.
# - Time-zone offsets exist from -12:00 to +14:00; beyond +-14:00 (+99:00 parses, and moved the time by 99 hours)
#   is refused. The pattern finds an offset after a time of day (hh:mm), so a date's "-15" is not one.
BAD_OFFSET = r":\d{2}(\.\d+)?\s*[+-]((1[5-9]|[2-9]\d)(:?\d{2})?|14:?(0[1-9]|[1-5]\d)|\d{2}:?[6-9]\d)$"
# - Every number and amount is less than 10^15 in size (an amount of a thousand trillion is no sale; the store's
#   decimal(18, 2) holds under 10^16, and sums of many such rows must not overflow); not-a-number and infinity are
#   refused by the same comparison (both engines order NaN above every number).
NUMBER_LIMIT = 10**15
# - Text values (names, titles, subjects, stages, picklists) are at most 10,000 characters: CRM fields are far
#   shorter (Salesforce: 255 for names and subjects), and longer text is a broken export or an attack on the
#   pages that show it. Long free text (descriptions, notes) is not imported at all.
TEXT_LIMIT = 10_000


@ibis.udf.scalar.builtin(name="try_strptime", signature=((dt.string, dt.string), NAIVE_TS))
def _try_strptime(value: str, fmt: str) -> None:
    """DuckDB's TRY_STRPTIME: null where the text does not match the format."""


@ibis.udf.scalar.builtin(name="timezone", signature=((dt.string, NAIVE_TS), TS))
def _in_zone(zone: str, value: object) -> None:
    """timezone(zone, naive timestamp): the instant that wall-clock time in `zone` is (DuckDB and PostgreSQL)."""


@dataclass(frozen=True)
class Bounds:
    """The range a number must lie in (inclusive), and the error for one outside it (`message` says what the
    number is and the range, in the file's unit)."""

    low: float
    high: float
    message: str


# Durations in the units the exports write them. A call is at most a day; an event or meeting at most 14 days
# (Salesforce's own limit for an event; all-day events of several days are exported with their full length).
DAY_SECONDS = 24 * 60 * 60
CALL_SECONDS = Bounds(0, DAY_SECONDS, "is not a call duration: it must be from 0 to 86,400 seconds (24 hours)")
CALL_MILLISECONDS = Bounds(0, DAY_SECONDS * 1000,
                           "is not a call duration: it must be from 0 to 86,400,000 milliseconds (24 hours)")
EVENT_DAYS = 14
EVENT_MINUTES = Bounds(0, EVENT_DAYS * 24 * 60,
                       f"is not an event duration: it must be from 0 to {EVENT_DAYS * 24 * 60:,} minutes "
                       f"({EVENT_DAYS} days)")
ACTIVITY_MINUTES = Bounds(0, EVENT_MINUTES.high,
                          f"is not an activity duration: it must be from 0 to {EVENT_DAYS * 24 * 60:,} minutes "
                          f"({EVENT_DAYS} days, the longest an event may be)")


@dataclass(frozen=True)
class Check:
    """Rows where `bad` is true are errors: `message` about `column` (the header as in the file) and `value`."""

    column: str
    bad: ir.BooleanValue
    message: str
    value: ir.Value


def strptime_pattern(fmt: str) -> str:
    """A regular expression matching the text a strftime-style format produces (for engines without TRY_)."""
    parts = {
        "Y": r"\d{4}", "y": r"\d{2}", "m": r"(0?[1-9]|1[0-2])", "d": r"(0?[1-9]|[12]\d|3[01])",
        "H": r"([01]?\d|2[0-3])", "I": r"(0?[1-9]|1[0-2])", "M": r"[0-5]?\d", "S": r"[0-5]?\d", "f": r"\d{1,9}",
        "p": "(AM|PM|am|pm)", "b": "[A-Za-z]{3}", "B": "[A-Za-z]+", "z": r"(Z|[+-]\d{2}:?\d{2})", "j": r"\d{1,3}",
        "%": "%",
    }
    out, i = "^", 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            if code not in parts:
                raise ValueError(f"the date format {fmt!r} uses %{code}, which is not supported")
            out += parts[code]
            i += 2
        else:
            out += re.escape(fmt[i])
            i += 1
    return out + "$"


class Fields:
    """Typed accessors over one raw file's text columns; every accessor records its checks in `self.checks`."""

    def __init__(self, raw: RawFile, table: ir.Table, engine: str) -> None:
        self.raw = raw
        self.t = table
        self.exact = engine == "duckdb"
        self.checks: list[Check] = []

    # --- plumbing -----------------------------------------------------------------------------------------------

    def has(self, header: str) -> bool:
        return self.raw.has(header)

    def pick(self, *headers: str) -> str | None:
        """The first of `headers` that the file has (sources name the same field differently)."""
        return next((h for h in headers if self.raw.has(h)), None)

    def clean(self, header: str | None) -> ir.StringValue:
        """The trimmed text of `header`, null when blank or when the file has no such column."""
        if header is None or not self.raw.has(header):
            return ibis.null().cast("string")
        column: ir.StringValue = self.t[self.raw.column_name(header)]
        return (column.strip() if self.raw.trim else column).nullif("")

    def looked_up(self, column: str) -> ir.Value | None:
        """A column of the lookup joined to this file's rows (Pipeline.join_lookup); None when none was joined."""
        name = LOOKUP_PREFIX + column
        return self.t[name] if name in self.t.columns else None

    def check(self, header: str, bad: ir.BooleanValue, message: str) -> None:
        self.checks.append(Check(column=self.label(header), bad=bad, message=message, value=self.clean(header)))

    def label(self, header: str) -> str:
        return self.raw.headers[int(self.raw.column_name(header)[1:])] if self.raw.has(header) else header

    def _require(self, header: str | None, value: ir.Value, required: bool) -> None:
        if required and header is not None and self.raw.has(header):
            self.check(header, value.isnull(), "is required but empty")

    def _guarded(self, header: str, text: ir.StringValue, pattern: str, cast_to: dt.DataType,
                 message: str) -> ir.Value:
        if self.exact:
            value = text.try_cast(cast_to)
            self.check(header, text.notnull() & value.isnull(), message)
            return value
        ok = text.re_search(pattern)
        self.check(header, text.notnull() & ~ok, message)
        return ok.ifelse(text.cast(cast_to), ibis.null().cast(cast_to))

    # --- text and ids -------------------------------------------------------------------------------------------

    def text(self, header: str | None, *, required: bool = False, lower: bool = False,
             limit: int | None = TEXT_LIMIT) -> ir.StringValue:
        """The trimmed text; longer than `limit` characters is an error (None: the caller keeps only a part of
        the value, such as the first id of a list)."""
        value = self.clean(header)
        self._require(header, value, required)
        if limit is not None and header is not None and self.raw.has(header):
            self.check(header, value.length() > limit,
                       f"is longer than {limit:,} characters, the most a text value may have")
        return value.lower() if lower else value

    def salesforce_id(self, header: str | None, *, required: bool = False) -> ir.StringValue:
        """A Salesforce record id in its 18-character form (15-character ids get their checksum suffix)."""
        if header is None or not self.raw.has(header):
            return self.clean(None)
        text = self.clean(header)
        self._require(header, text, required)
        # The length alone: a pattern test of every id of a 50-million-row file costs more than it finds.
        self.check(header, text.notnull() & ~text.length().isin([15, 18]),
                   "is not a Salesforce id (15 or 18 letters and digits)")
        return salesforce_id18(text)

    # --- times --------------------------------------------------------------------------------------------------

    def timestamp(self, header: str | None, *, fmt: str | None = None, zone: str = "UTC",
                  epoch_ms: bool = False, required: bool = False) -> ir.TimestampValue:
        """A UTC timestamp. ISO 8601 by default (a missing zone means `zone`), or `fmt` (strftime codes)
        read as wall-clock time in `zone`; with `epoch_ms`, all-digit values are epoch milliseconds."""
        if header is None or not self.raw.has(header):
            return ibis.null().cast(TS)
        text = self.clean(header)
        self._require(header, text, required)
        parsed = self._parse_time(header, text, fmt, zone, epoch_ms)
        return parsed.cast(TS)

    def _parse_time(self, header: str, text: ir.StringValue, fmt: str | None, zone: str,
                    epoch_ms: bool) -> ir.Value:
        expected = f"a date and time in the format {fmt}" if fmt else (
            "a date and time (ISO 8601, such as 2024-03-01T14:05:00.000Z)")
        if epoch_ms:
            expected += " or epoch milliseconds"
        digits = text.re_search(EPOCH_MS) if epoch_ms else ibis.literal(False)
        bad_offset: ir.BooleanValue | None = None
        if fmt is None or "%z" in fmt:
            # Most exports write UTC with a Z: testing that first keeps the pattern off nearly every value.
            bad_offset = ~text.endswith("Z") & text.re_search(BAD_OFFSET)
            self.check(header, bad_offset.fill_null(False),
                       "has a time-zone offset beyond +-14:00 (offsets run from -12:00 to +14:00)")
        if fmt:
            if self.exact:
                value = _try_strptime(text, fmt)
            else:
                value = text.re_search(strptime_pattern(fmt)).ifelse(
                    text.as_timestamp(fmt).cast(NAIVE_TS), ibis.null().cast(NAIVE_TS))
            value = _in_zone(zone, value)
        else:
            value = self._iso(text, zone)
        if epoch_ms:
            millis = digits.ifelse(text, ibis.null().cast("string")).cast("int64")
            epoch = ibis.literal("1970-01-01 00:00:00").cast(NAIVE_TS)
            from_epoch = _in_zone("UTC", epoch + millis.as_interval("ms"))
            value = digits.ifelse(from_epoch, value)
        unreadable = text.notnull() & value.isnull()
        if bad_offset is not None:
            # The portable path does not cast such a value (its pattern refuses it); it is reported once, above.
            unreadable = unreadable & ~bad_offset.fill_null(False)
        self.check(header, unreadable, f"is not {expected}")
        return value

    def _iso(self, text: ir.StringValue, zone: str) -> ir.Value:
        has_zone = text.re_search(r"(Z|[+-]\d{2}(:?\d{2})?)$") & text.re_search(r"\d[T ]\d")
        if self.exact:
            aware = text.try_cast(TS)
            naive = _in_zone(zone, text.try_cast(NAIVE_TS))
        else:
            ok = text.re_search(ISO_TIMESTAMP)
            aware = ok.ifelse(text.cast(TS), ibis.null().cast(TS))
            naive = _in_zone(zone, ok.ifelse(text.cast(NAIVE_TS), ibis.null().cast(NAIVE_TS)))
        if zone == "UTC":
            return aware
        return has_zone.ifelse(aware, naive)

    def date(self, header: str | None, *, fmt: str | None = None, required: bool = False) -> ir.DateValue:
        """A calendar date: ISO `yyyy-mm-dd` by default, or `fmt`. A date-time value keeps its date part."""
        if header is None or not self.raw.has(header):
            return ibis.null().cast(DATE)
        text = self.clean(header)
        self._require(header, text, required)
        if fmt:
            if self.exact:
                value = _try_strptime(text, fmt)
            else:
                value = text.re_search(strptime_pattern(fmt)).ifelse(
                    text.as_timestamp(fmt).cast(NAIVE_TS), ibis.null().cast(NAIVE_TS))
            self.check(header, text.notnull() & value.isnull(), f"is not a date in the format {fmt}")
            return value.cast(DATE)
        day = text.substr(0, 10)
        value = self._guarded(header, day, ISO_DATE, DATE, "is not a date (yyyy-mm-dd, such as 2024-03-31)")
        self.check(header, text.notnull() & (text.length() > 10) & ~text.re_search(r"^\d{4}-\d{2}-\d{2}[T ]"),
                   "is not a date (yyyy-mm-dd, such as 2024-03-31)")
        return value

    # --- numbers and flags --------------------------------------------------------------------------------------

    def _number_text(self, header: str, thousands: str, decimal: str) -> ir.StringValue:
        text = self.clean(header)
        if thousands:
            text = text.replace(thousands, "")
        if decimal != ".":
            text = text.replace(decimal, ".")
        return text

    def money(self, header: str | None, *, required: bool = False, thousands: str = "",
              decimal: str = ".") -> ir.DecimalValue:
        if header is None or not self.raw.has(header):
            return ibis.null().cast(MONEY)
        text = self._number_text(header, thousands, decimal)
        self._require(header, text, required)
        value = self._guarded(header, text, DECIMAL, MONEY, "is not an amount (digits with a . for decimals)")
        self._within_limit(header, value)
        return value

    def number(self, header: str | None, *, required: bool = False, thousands: str = "",
               decimal: str = ".", bounds: Bounds | None = None) -> ir.FloatingValue:
        """A number; with `bounds`, one outside them (inclusive) is an error that says what the number is."""
        if header is None or not self.raw.has(header):
            return ibis.null().cast("float64")
        text = self._number_text(header, thousands, decimal)
        self._require(header, text, required)
        value = self._guarded(header, text, FLOAT, dt.float64, "is not a number")
        huge = self._within_limit(header, value)
        if bounds is not None:
            self.check(header, ~huge & ((value < bounds.low) | (value > bounds.high)), bounds.message)
        return value

    def integer(self, header: str | None, *, required: bool = False, thousands: str = "") -> ir.IntegerValue:
        if header is None or not self.raw.has(header):
            return ibis.null().cast("int64")
        text = self._number_text(header, thousands, ".")
        self._require(header, text, required)
        value = self._guarded(header, text, INTEGER, dt.int64, "is not a whole number")
        self._within_limit(header, value)
        return value

    def _within_limit(self, header: str, value: ir.NumericValue) -> ir.BooleanValue:
        """Check that a number is finite and less than NUMBER_LIMIT in size; returns the expression that is
        true where it is not (false where the value is null)."""
        huge = (value.abs() >= NUMBER_LIMIT).fill_null(False)
        self.check(header, huge, f"is too large: numbers must be less than {NUMBER_LIMIT:,} in size")
        return huge

    def boolean(self, header: str | None, *, true: Iterable[str] = ("true", "1"),
                false: Iterable[str] = ("false", "0"), required: bool = False) -> ir.BooleanValue:
        if header is None or not self.raw.has(header):
            return ibis.null().cast("boolean")
        true_set = sorted({v.lower() for v in true})
        false_set = sorted({v.lower() for v in false})
        text = self.clean(header).lower()
        self._require(header, text, required)
        self.check(header, text.notnull() & ~text.isin([*true_set, *false_set]),
                   f"is not true or false (accepted: {', '.join([*true_set, *false_set])})")
        return ibis.cases((text.isin(true_set), True), (text.isin(false_set), False),
                          else_=ibis.null().cast("boolean"))


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_OTHER = "abcdefghijklmnopqrstuvwxyz0123456789"
# Every 5-bit pattern, least significant bit first, in order of its value: "00000,10000,01000,11000,...".
_PATTERNS = ",".join("".join("1" if value >> i & 1 else "0" for i in range(5)) for value in range(32))


def salesforce_id18(text: ir.StringValue) -> ir.StringValue:
    """15-character (case-sensitive) Salesforce ids become the 18-character form Data Loader writes.

    The suffix encodes, for each block of five characters, which are upper-case letters (Salesforce's
    documented checksum), so the same record joins whether a file carried its 15- or its 18-character id.
    In SQL: TRANSLATE turns a block into its bit pattern ("10010"), whose place in the list of all 32
    patterns is the value that picks the suffix letter. Short expressions keep compilation fast.
    """
    flags = text.translate(_UPPER + _OTHER, "1" * len(_UPPER) + "0" * len(_OTHER))
    patterns = ibis.literal(_PATTERNS)
    suffix = ibis.literal("")
    for block in range(3):
        value = (patterns.find(flags.substr(block * 5, 5)) // 6).cast("int32")
        suffix = suffix + ibis.literal(_SF_SUFFIX).substr(value, 1)
    # 18-character ids are kept as written: Data Loader and the API write them canonically.
    return (text.length() == 15).ifelse(text + suffix, text)


def salesforce_id18_py(value: str) -> str:
    """The same normalisation in Python (for ids typed into mapping files and for tests)."""
    value = value.strip()
    if len(value) != 15:
        return value
    suffix = ""
    for block in range(3):
        bits = sum(1 << i for i, ch in enumerate(value[block * 5: block * 5 + 5]) if "A" <= ch <= "Z")
        suffix += _SF_SUFFIX[bits]
    return value + suffix
