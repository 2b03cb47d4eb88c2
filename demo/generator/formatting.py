"""Vectorised formatting of ids, dates and money into Arrow arrays (tens of millions of values per minute).

Fixed-width values (Salesforce ids, ISO dates and datetimes) are built as byte matrices with numpy and handed
to
Arrow as string arrays without copying row by row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_CHECKSUM = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
SALESFORCE_POD = "5g0"  # instance and reserved characters after the key prefix, as in real org ids


def _strings(matrix: np.ndarray, valid: np.ndarray | None = None) -> pa.StringArray:
    """An Arrow string array from a (width, n) uint8 matrix (one column per value)."""
    width, n = matrix.shape
    data = np.ascontiguousarray(matrix.T)
    offsets = np.arange(n + 1, dtype=np.int32) * width
    validity = None
    if valid is not None and not valid.all():
        validity = pa.array(valid, type=pa.bool_()).buffers()[1]
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), validity)


def salesforce_checksum(id15: str) -> str:
    """The three-character case-safe suffix of a 15-character Salesforce id (reference implementation)."""
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]) if "A" <= ch <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return id15 + suffix


def salesforce_ids(
    keys: np.ndarray, prefix: str, *, length: int = 18, valid: np.ndarray | None = None
) -> pa.StringArray:
    """Salesforce ids for integer keys: key prefix (e.g. "006"), pod, nine base-62 digits, and for
    18-character
    ids the case-safe checksum suffix computed from the first 15 characters."""
    if len(prefix) != 3 or length not in (15, 18):
        raise ValueError("Salesforce ids have a 3-character key prefix and are 15 or 18 characters long.")
    head = (prefix + SALESFORCE_POD).encode("ascii")
    n = len(keys)
    matrix = np.empty((length, n), dtype=np.uint8)
    for i, byte in enumerate(head):
        matrix[i] = byte
    rest = np.asarray(keys, dtype=np.int64).copy()
    uppers = np.zeros((9, n), dtype=np.uint8)
    for i in range(8, -1, -1):
        rest, digit = np.divmod(rest, 62)
        matrix[6 + i] = _BASE62[digit]
        uppers[i] = (digit >= 10) & (digit < 36)
    if length == 18:
        first = sum(1 << i for i, byte in enumerate(head[:5]) if 65 <= byte <= 90)
        second = (
            (head[5] >= 65 and head[5] <= 90)
            + (uppers[0] << 1)
            + (uppers[1] << 2)
            + (uppers[2] << 3)
            + (uppers[3] << 4)
        )
        third = uppers[4] + (uppers[5] << 1) + (uppers[6] << 2) + (uppers[7] << 3) + (uppers[8] << 4)
        matrix[15] = _CHECKSUM[first]
        matrix[16] = _CHECKSUM[second]
        matrix[17] = _CHECKSUM[third]
    return _strings(matrix, valid)


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) for day numbers since 1970-01-01 (proleptic Gregorian)."""
    z = np.asarray(days, dtype=np.int64) + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _put(matrix: np.ndarray, row: int, values: np.ndarray, width: int) -> None:
    for i in range(width - 1, -1, -1):
        values, digit = np.divmod(values, 10)
        matrix[row + i] = _DIGITS[digit]


def iso_dates(days: np.ndarray, *, valid: np.ndarray | None = None) -> pa.StringArray:
    """yyyy-MM-dd for day numbers."""
    year, month, day = civil_from_days(days)
    matrix = np.empty((10, len(year)), dtype=np.uint8)
    _put(matrix, 0, year, 4)
    matrix[4] = matrix[7] = ord("-")
    _put(matrix, 5, month, 2)
    _put(matrix, 8, day, 2)
    return _strings(matrix, valid)


def iso_datetimes(seconds: np.ndarray, *, valid: np.ndarray | None = None) -> pa.StringArray:
    """UTC `2017-03-01T14:05:00.000Z` (Salesforce Data Loader form) for seconds since the epoch."""
    seconds = np.asarray(seconds, dtype=np.int64)
    days, rest = np.divmod(seconds, 86_400)
    year, month, day = civil_from_days(days)
    matrix = np.empty((24, len(seconds)), dtype=np.uint8)
    _put(matrix, 0, year, 4)
    matrix[4] = matrix[7] = ord("-")
    _put(matrix, 5, month, 2)
    _put(matrix, 8, day, 2)
    matrix[10] = ord("T")
    _put(matrix, 11, rest // 3600, 2)
    matrix[13] = matrix[16] = ord(":")
    _put(matrix, 14, rest // 60 % 60, 2)
    _put(matrix, 17, rest % 60, 2)
    matrix[19] = ord(".")
    matrix[20] = matrix[21] = matrix[22] = ord("0")
    matrix[23] = ord("Z")
    return _strings(matrix, valid)


MONEY = pa.decimal128(18, 2)


def money(cents: np.ndarray, *, valid: np.ndarray | None = None) -> pa.Array:
    """decimal(18, 2) from integer cents (written as 12345.00)."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    validity = None
    if valid is not None and not valid.all():
        validity = pa.array(valid, type=pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(MONEY, len(cents), [validity, pa.py_buffer(words)])


def pick(labels: Sequence[str], index: np.ndarray) -> pa.Array:
    """labels[index] as strings; a negative index gives null."""
    index = np.asarray(index, dtype=np.int64)
    mask = index < 0
    indices = pa.array(np.where(mask, 0, index), mask=mask if mask.any() else None)
    return pc.take(pa.array(list(labels), type=pa.string()), indices)


def constant(value: str | None, n: int) -> pa.Array:
    return pa.array([value] * n, type=pa.string()) if value is None else pa.repeat(pa.scalar(value), n)


def integers(values: np.ndarray, *, valid: np.ndarray | None = None) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, type=pa.int64(), mask=None if valid is None else ~valid)


def take(strings: pa.Array, index: np.ndarray) -> pa.Array:
    """strings[index]; a negative index gives null."""
    index = np.asarray(index, dtype=np.int64)
    mask = index < 0
    if mask.any():
        return pc.take(strings, pa.array(np.where(mask, 0, index), mask=mask))
    return pc.take(strings, pa.array(index))


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and literals."""
    return pc.binary_join_element_wise(*parts, "")
