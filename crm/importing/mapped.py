"""Any other CRM: CSV files plus a TOML mapping file that says which column is which.

See docs/imports.md ("Any other CRM") for the format and a worked example. In short:

    [format]                                   # defaults for every file (each table may override them)
    date_format = "%d/%m/%Y"                   # dates; ISO yyyy-mm-dd when omitted
    datetime_format = "%d/%m/%Y %H:%M"         # date-times; ISO 8601 when omitted
    timezone = "Europe/London"                 # zone of date-times written without one
    true_values = ["yes", "true"]              # booleans
    false_values = ["no", "false"]
    decimal_separator = ","                    # numbers like 1.234,56
    thousands_separator = "."
    delimiter = ";"
    encoding = "utf-8"

    [stages]                                   # every stage value -> open, won or lost
    "Proposal" = "open"
    "Signed" = "won"

    [tables.opportunities]                     # or [[tables.activities]] once per file
    file = "deals.csv"
    columns = { opportunity_id = "Deal ID", owner_user_id = "Owner", stage = "Stage", amount = "Value" }
    values.opportunity_type = { "New" = "new", "Upsell" = "existing" }   # optional value maps

A column is a header name, or `{ value = "call" }` for a constant (e.g. a file that holds only calls).
"""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from crm.importing.errors import Issue
from crm.importing.fields import ACTIVITY_MINUTES, Fields, strptime_pattern
from crm.importing.pipeline import Built, Pipeline
from crm.importing.sources import CsvFormat, RawFile
from crm.schema import PRIMARY_KEYS, TABLES

REQUIRED: dict[str, tuple[str, ...]] = {
    "crm_users": ("user_id",),
    "accounts": ("account_id",),
    "account_ownership": ("account_id", "owner_user_id", "valid_from"),
    "contacts": ("contact_id",),
    "opportunities": ("opportunity_id", "owner_user_id", "stage"),
    "opportunity_stage_history": ("opportunity_id", "changed_at"),
    "opportunity_line_items": ("line_item_id", "opportunity_id"),
    "activities": ("activity_id", "owner_user_id", "activity_type", "occurred_at"),
    "quotas": ("user_id", "period_start", "period_end", "amount"),
}
FORMAT_KEYS = {"date_format", "datetime_format", "timezone", "true_values", "false_values", "decimal_separator",
               "thousands_separator", "delimiter", "encoding"}
TABLE_KEYS = {"file", "columns", "values"} | FORMAT_KEYS
OUTCOMES = ("open", "won", "lost")


@dataclass
class Format:
    date_format: str | None = None
    datetime_format: str | None = None
    timezone: str = "UTC"
    true_values: tuple[str, ...] = ("true", "yes", "y", "1")
    false_values: tuple[str, ...] = ("false", "no", "n", "0")
    decimal_separator: str = "."
    thousands_separator: str = ""
    delimiter: str = ","
    encoding: str = "utf-8"


@dataclass
class TableMapping:
    table: str
    file: str
    columns: dict[str, str] = field(default_factory=dict)      # target -> header
    constants: dict[str, str] = field(default_factory=dict)    # target -> constant text
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    fmt: Format = field(default_factory=Format)
    where: str = ""                                            # the TOML path, for messages


@dataclass
class Mapping:
    tables: list[TableMapping]
    stages: dict[str, str]


class MappingErrors:
    def __init__(self, pipeline: Pipeline, name: str) -> None:
        self.pipeline, self.name, self.count = pipeline, name, 0

    def __call__(self, where: str, message: str, value: str = "") -> None:
        self.count += 1
        self.pipeline.log.error(Issue(file=self.name, column=where, value=value, message=message))


def read_mapping(pipeline: Pipeline, path: Path) -> Mapping | None:
    """Parse and check the mapping file; every problem is logged against it. None when unusable."""
    error = MappingErrors(pipeline, path.name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        error("", f"cannot be read: {exc}")
        return None
    except tomllib.TOMLDecodeError as exc:
        error("", f"is not valid TOML: {exc}")
        return None
    for key in data:
        if key not in ("format", "stages", "tables"):
            error(key, "is not a section of a mapping file (expected format, stages and tables)")
    base = _format(data.get("format", {}), Format(), "format", error)
    stages: dict[str, str] = {}
    for value, outcome in (data.get("stages") or {}).items():
        if outcome not in OUTCOMES:
            error(f"stages.{value}", "must be open, won or lost", str(outcome))
        stages[str(value).strip().lower()] = str(outcome)
    tables: list[TableMapping] = []
    raw_tables = data.get("tables")
    if not isinstance(raw_tables, dict) or not raw_tables:
        error("tables", "is missing: map at least one table, e.g. [tables.opportunities]")
        return None
    for table, entries in raw_tables.items():
        if table not in TABLES:
            error(f"tables.{table}", f"is not a table; the tables are {', '.join(TABLES)}")
            continue
        for index, entry in enumerate(entries if isinstance(entries, list) else [entries]):
            where = f"tables.{table}" + (f"[{index}]" if isinstance(entries, list) else "")
            mapping = _table(table, entry, base, where, error)
            if mapping is not None:
                tables.append(mapping)
    if any(t.table == "opportunities" and "stage" in t.columns and "is_won" not in t.columns for t in tables) \
            and not stages:
        error("stages", "is missing: say for every stage value whether it is open, won or lost")
    return None if error.count else Mapping(tables=tables, stages=stages)


def _format(data: Any, base: Format, where: str, error: MappingErrors) -> Format:
    fmt = Format(**base.__dict__)
    if not isinstance(data, dict):
        error(where, "must be a table of settings")
        return fmt
    for key, value in data.items():
        if key not in FORMAT_KEYS:
            if where == "format":
                error(f"{where}.{key}", f"is not a format setting ({', '.join(sorted(FORMAT_KEYS))})")
            continue
        if key in ("true_values", "false_values"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                error(f"{where}.{key}", "must be a list of texts, e.g. [\"yes\", \"true\"]")
                continue
            setattr(fmt, key, tuple(v.lower() for v in value))
            continue
        if not isinstance(value, str):
            error(f"{where}.{key}", "must be a text", str(value))
            continue
        if key in ("date_format", "datetime_format"):
            try:
                strptime_pattern(value)
            except ValueError as exc:
                error(f"{where}.{key}", str(exc), value)
                continue
        if key == "timezone":
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                error(f"{where}.{key}", "is not a time zone name such as Europe/London or UTC", value)
                continue
        if key == "delimiter" and len(value) != 1:
            error(f"{where}.{key}", "must be one character", value)
            continue
        setattr(fmt, key, value)
    return fmt


def _table(table: str, entry: Any, base: Format, where: str, error: MappingErrors) -> TableMapping | None:
    if not isinstance(entry, dict):
        error(where, "must be a table with file and columns")
        return None
    for key in entry:
        if key not in TABLE_KEYS:
            error(f"{where}.{key}", f"is not a table setting ({', '.join(sorted(TABLE_KEYS))})")
    file = entry.get("file")
    if not isinstance(file, str) or not file.strip():
        error(f"{where}.file", "is missing: name the CSV file this table comes from")
        return None
    mapping = TableMapping(table=table, file=file.strip(), fmt=_format(entry, base, where, error), where=where)
    columns = entry.get("columns")
    if not isinstance(columns, dict) or not columns:
        error(f"{where}.columns", "is missing: say which column of the file is which")
        return None
    known = TABLES[table].names
    for target, source in columns.items():
        if target not in known:
            error(f"{where}.columns.{target}", f"is not a column of {table}; its columns are {', '.join(known)}")
        elif isinstance(source, str) and source.strip():
            mapping.columns[target] = source.strip()
        elif isinstance(source, dict) and isinstance(source.get("value"), str):
            mapping.constants[target] = source["value"]
        else:
            error(f"{where}.columns.{target}", "must be a column name or { value = \"...\" }", str(source))
    for target, value_map in (entry.get("values") or {}).items():
        if target not in known or not isinstance(value_map, dict):
            error(f"{where}.values.{target}", "must map values of one of the table's columns")
            continue
        mapping.values[target] = {str(k).strip().lower(): str(v) for k, v in value_map.items()}
    have = set(mapping.columns) | set(mapping.constants)
    required = set(REQUIRED[table])
    if table == "opportunity_stage_history":
        required.discard("history_id")
    for column in sorted(required - have):
        if table == "opportunities" and column == "stage" and "is_won" in have and "is_closed" in have:
            continue
        error(f"{where}.columns.{column}", f"is required for {table} but not mapped")
    return mapping


def plan(pipeline: Pipeline, paths: list[Path], mapping: Path | None = None) -> None:
    if mapping is None:
        pipeline.log.error(Issue(file="(mapping)", message="a mapping file (.toml) is required for CSV files "
                                 "from another CRM; start from the example mapping file"))
        return
    parsed = read_mapping(pipeline, mapping)
    if parsed is None:
        return
    by_name = {p.name.lower(): p for p in paths}
    used: set[str] = set()
    for table in parsed.tables:
        path = by_name.get(Path(table.file).name.lower())
        if path is None:
            pipeline.log.error(Issue(file=mapping.name, column=f"{table.where}.file", value=table.file,
                                     message="names a file that is not among the files given"))
            continue
        used.add(path.name.lower())
        raw = pipeline.open(path, fmt=CsvFormat(delimiter=table.fmt.delimiter, encoding=table.fmt.encoding))
        if raw is None:
            continue
        missing = [h for h in table.columns.values() if not raw.has(h)]
        for header in missing:
            pipeline.log.error(Issue(file=raw.name, row=1, column=header,
                                     message=f"is mapped in {mapping.name} but the file has no such column"))
        if missing:
            pipeline.unreadable.add(table.table)
            continue
        needs_stages = table.table == "opportunities" and "stage" in table.columns and "is_won" not in table.columns
        if needs_stages and not pipeline.check_read(
                raw, partial(_stages_known, pipeline, raw, table, parsed.stages)):
            pipeline.unreadable.add(table.table)
            continue
        pipeline.add(table.table, raw, partial(_build, table=table, stages=parsed.stages))
    for name, path in by_name.items():
        if name not in used:
            pipeline.log.warn(f"{path.name} is not named in the mapping file and was not read.")


def _stages_known(pipeline: Pipeline, raw: RawFile, table: TableMapping, stages: dict[str, str]) -> bool:
    column = raw.table[raw.column_name(table.columns["stage"])].strip().nullif("")
    values = pipeline.con.to_pyarrow(raw.table.select(stage=column).distinct()).column("stage").to_pylist()
    unknown = sorted(v for v in values if v is not None and v.lower() not in stages)
    for value in unknown[:50]:
        numbered = raw.numbered
        first = pipeline.first(numbered.filter(numbered[raw.column_name(table.columns["stage"])].strip() == value)
                               .select("_row").order_by("_row").limit(1))
        pipeline.log.error(Issue(file=raw.name, row=first.get("_row"), column=table.columns["stage"], value=value,
                                 message="is a stage the mapping file's [stages] does not list as open, won or lost"))
    return not unknown


def _build(f: Fields, *, table: TableMapping, stages: dict[str, str]) -> Built:
    schema = TABLES[table.table]
    fmt = table.fmt
    values: dict[str, ir.Value] = {}
    for column in schema.names:
        dtype = schema[column]
        header = table.columns.get(column)
        if column in table.constants:
            values[column] = ibis.literal(table.constants[column]).cast(dtype)
            continue
        required = column in REQUIRED[table.table]
        if dtype.is_string():
            value = f.text(header, required=required)
            if column in table.values:
                mapped = value.lower().substitute(table.values[column], else_=value)
                value = mapped
            values[column] = value
        elif dtype.is_timestamp():
            values[column] = f.timestamp(header, fmt=fmt.datetime_format, zone=fmt.timezone, required=required)
        elif dtype.is_date():
            values[column] = f.date(header, fmt=fmt.date_format, required=required)
        elif dtype.is_decimal():
            values[column] = f.money(header, required=required, thousands=fmt.thousands_separator,
                                     decimal=fmt.decimal_separator)
        elif dtype.is_floating():
            values[column] = f.number(header, required=required, thousands=fmt.thousands_separator,
                                      decimal=fmt.decimal_separator,
                                      bounds=ACTIVITY_MINUTES if column == "duration_minutes" else None)
        elif dtype.is_integer():
            values[column] = f.integer(header, required=required, thousands=fmt.thousands_separator)
        elif dtype.is_boolean():
            values[column] = f.boolean(header, true=fmt.true_values, false=fmt.false_values, required=required)
    if table.table == "opportunities":
        outcome = values["stage"].lower().substitute(stages, else_=ibis.null().cast("string"))
        values["is_won"] = values["is_won"].coalesce(outcome == "won")
        values["is_closed"] = values["is_closed"].coalesce(outcome.isin(["won", "lost"]))
    if table.table == "opportunity_stage_history" and "history_id" not in table.columns:
        values["history_id"] = (values["opportunity_id"] + ":" + values["changed_at"].cast("string")
                                + ":" + values["stage"].fill_null(""))
    if table.table == "activities":
        values["activity_type"] = values["activity_type"].lower()
    headers = {c: table.columns.get(c, c) for c in PRIMARY_KEYS[table.table]}
    headers.update({c: h for c, h in table.columns.items()})
    return Built(values=values, headers=headers)
