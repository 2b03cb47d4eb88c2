"""The engine-side import pipeline: validate each file, stage it, check across tables, swap into the live tables.

    files ──read──▶ raw text (view or table) ──validate (one scan)──▶ errors? stop, nothing written
                                              └─stage (typed, canonical)──▶ _staging_<id>_<table>
    staged tables ──duplicate ids, references, owners──▶ errors? stop (staging dropped)
                  ──delta against live (new or changed rows)──▶ one transaction: delete changed, insert delta
                                                                 (an empty live table is swapped by rename)

Every step is an Ibis expression compiled for the store's engine; the only engine-specific parts are how a CSV
file becomes a text table (crm/importing/sources.py) and how a bad value is detected (crm/importing/fields.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from crm import store
from crm.importing.errors import ERRORS_PER_FILE, ImportFailed, Issue, IssueLog
from crm.importing.fields import LOOKUP_PREFIX, Fields
from crm.importing.sources import FileProblem, Loader, RawFile, csv_error
from crm.schema import PRIMARY_KEYS, TABLES

Progress = Callable[[str, int], None]

# Columns that name the CRM user who owns a record: owners missing from the users file become placeholder
# users (listed as unmatched owners), so no record is ever dropped for its owner.
OWNER_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("owner_user_id",),
    "account_ownership": ("owner_user_id",),
    "contacts": ("owner_user_id",),
    "opportunities": ("owner_user_id",),
    "activities": ("owner_user_id",),
    "quotas": ("user_id",),
}


@dataclass(frozen=True)
class Reference:
    """`table.column` names a row of `target`; when it is in neither the export nor the store, the import
    fails (`required`) or goes ahead with a warning that counts such rows."""

    table: str
    column: str
    target: str
    target_column: str
    required: bool
    noun: str


REFERENCES: tuple[Reference, ...] = (
    Reference("opportunity_stage_history", "opportunity_id", "opportunities", "opportunity_id", True,
              "stage history rows"),
    Reference("opportunity_line_items", "opportunity_id", "opportunities", "opportunity_id", True, "line items"),
    Reference("opportunities", "account_id", "accounts", "account_id", False, "opportunities"),
    Reference("contacts", "account_id", "accounts", "account_id", False, "contacts"),
    Reference("accounts", "parent_account_id", "accounts", "account_id", False, "accounts"),
    Reference("activities", "opportunity_id", "opportunities", "opportunity_id", False, "activities"),
    Reference("activities", "account_id", "accounts", "account_id", False, "activities"),
    Reference("activities", "contact_id", "contacts", "contact_id", False, "activities"),
)


@dataclass
class Built:
    """What a source makes of one file: canonical column -> expression over the raw text table.

    `keep` selects the rows to import (e.g. not deleted); `skip_reason` says why the others were skipped.
    `headers` names, for key and reference columns, the file's header they came from (for error messages).
    """

    values: dict[str, ir.Value]
    keep: ir.BooleanValue | None = None
    skip_reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)


Builder = Callable[[Fields], Built]


@dataclass
class Part:
    table: str
    raw: RawFile
    build: Builder
    rows: int = 0
    skipped: int = 0
    skip_reason: str = ""


@dataclass
class TableCounts:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}


class Pipeline:
    """One import's run against the store. Use `with Pipeline(...) as p:`; staging is dropped on exit."""

    def __init__(self, con: Any, import_id: int | str, *, log: IssueLog | None = None,
                 progress: Progress | None = None) -> None:
        self.con = con
        self.import_id = import_id
        self.engine = con.name
        self.log = log or IssueLog()
        self.progress: Progress = progress or (lambda step, percent: None)
        self.loader = Loader(con, import_id)
        self.parts: list[Part] = []
        self.staged: dict[str, str] = {}
        self.counts: dict[str, TableCounts] = {}
        # Steps a source runs once its files are staged (derived tables, associations across files).
        self.after_stage: list[Callable[[Pipeline], None]] = []
        self.unreadable: set[str] = set()
        self.unreadable_files: set[str] = set()  # files the engine could not read while staging

    def __enter__(self) -> Pipeline:
        store.tables_ensure(self.con)
        store.staging_drop(self.con, self.import_id)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loader.close()
        store.staging_drop(self.con, self.import_id)

    # --- files --------------------------------------------------------------------------------------------------

    def open(self, path: Any, **kwargs: Any) -> RawFile | None:
        """Open one file as raw text; a file that is not a readable CSV is logged as an error (returns None)."""
        try:
            return self.loader.open(path, **kwargs)
        except FileProblem as problem:
            self.log.error(problem.issue)
            return None

    def add(self, table: str, raw: RawFile, build: Builder) -> None:
        if table not in TABLES:
            raise ValueError(f"unknown table {table}")
        self.parts.append(Part(table=table, raw=raw, build=build))

    def require_headers(self, raw: RawFile, headers: list[str | tuple[str, ...]]) -> bool:
        """Log an error for each required column (or group of alternatives) the file lacks."""
        ok = True
        for wanted in headers:
            options = (wanted,) if isinstance(wanted, str) else wanted
            if not any(raw.has(h) for h in options):
                self.log.error(Issue(file=raw.name, row=1, column=" or ".join(options),
                                     message="is a required column but the file has no such column"))
                ok = False
        return ok

    def check_read(self, raw: RawFile, check: Callable[[], bool]) -> bool:
        """Run a check that reads `raw` before it is staged (a source's look at its stage values). False, with the
        problem logged against the file, when the file turns out not to be well-formed CSV (DuckDB finds out only
        while reading); any other error is raised."""
        import duckdb

        try:
            return check()
        except duckdb.Error as error:
            issue = csv_error(error, name=raw.name)
            if issue is None:
                raise
            self.log.error(issue)
            return False

    def lookup(self, raw: RawFile, build: Builder) -> list[dict[str, Any]]:
        """Validate a small file that feeds other tables (e.g. Salesforce roles) and return its rows."""
        part = Part(table="", raw=raw, build=build)
        if not self._validate(part):
            return []
        built = build(Fields(raw, raw.table, self.engine))
        table = raw.table.filter(built.keep) if built.keep is not None else raw.table
        return list(self.con.to_pyarrow(table.select(**built.values)).to_pylist())

    def stage_lookup(self, name: str, files: list[RawFile], build: Builder, *, key: str) -> ir.Table | None:
        """Validate the files of a lookup that other files join to (e.g. Salesforce roles, joined to users by
        role id) and stage their rows in the store as the import's table `name`, one row per `key`: where a key
        repeats, each other column keeps its greatest value. None when there are no files or a value is invalid
        (the errors are logged, so the import fails)."""
        valid = [self.lookup_valid(raw, build) for raw in files]
        if not files or not all(valid):
            return None
        selects = []
        for raw in files:
            built = build(Fields(raw, raw.table, self.engine))
            table = raw.table.filter(built.keep) if built.keep is not None else raw.table
            selects.append(table.select(**built.values))
        rows = ibis.union(*selects) if len(selects) > 1 else selects[0]
        rows = rows.filter(rows[key].notnull())
        # One row per key, so that joining the lookup never repeats a row of the file it is joined to.
        rows = rows.group_by(key).aggregate(**{c: rows[c].max() for c in rows.columns if c != key})
        relation = store.staging_name(self.import_id, name)
        self.con.create_table(relation, rows)
        return self.con.table(relation)

    def join_lookup(self, raw: RawFile, lookup: ir.Table, *, key: str,
                    on: Callable[[Fields], ir.Value]) -> RawFile:
        """`raw` with the other columns of a staged lookup (`stage_lookup`) beside each row whose `on` value
        equals the lookup's `key`; builders read them with `Fields.looked_up`. A left join on a unique key:
        every row of the file stays, once, and a row whose value the lookup lacks gets nulls.

        A join rather than a CASE branch per lookup row: with 4,514 Salesforce roles, the branches made staging
        the users file take 25 s and a gigabyte of memory."""

        def joined(table: ir.Table) -> ir.Table:
            value = on(Fields(raw, table, self.engine))
            return table.left_join(lookup, value == lookup[key]).select(
                *table.columns, **{LOOKUP_PREFIX + c: lookup[c] for c in lookup.columns if c != key})

        return dataclasses.replace(raw, table=joined(raw.table), numbered=joined(raw.numbered))

    def lookup_valid(self, raw: RawFile, build: Builder) -> bool:
        """Check every value of a file that feeds a derived table (errors are logged); True when all are valid."""
        return bool(self._validate(Part(table="", raw=raw, build=build)))

    def first(self, expr: ir.Table) -> dict[str, Any]:
        """The first row of a query as a dict (nulls as None)."""
        rows = self.con.to_pyarrow(expr).to_pylist()
        return rows[0] if rows else {}

    def scalar(self, expr: ir.Scalar) -> Any:
        return self.con.execute(expr)

    # --- validate and stage ---------------------------------------------------------------------------------

    def run_files(self, *, start: int = 5, end: int = 70) -> None:
        """Stage every registered part in one pass over its file, then report its bad values.

        Each file is read once: the staging query writes the typed, canonical row together with two flags,
        `_keep` (the row is imported, e.g. not deleted) and `_bad` (some value failed its check). Only when a
        file has bad rows is it read again, to name each error's row, column and value. A file with bad values
        is still staged, so that the checks across tables can report duplicates and dangling references in the
        same run; `check_tables` then fails the import. A file that cannot be read at all is left out (and what
        refers to it is not checked).
        """
        total = max(len(self.parts), 1)
        for index, part in enumerate(self.parts):
            self.progress(f"Reading {part.raw.name}", start + (end - start) * index // total)
            if not self._stage(part, index):
                self.unreadable.add(part.table)
        self.progress("Checking values", end)
        for name in self.staged.values():
            staged = self.con.table(name)
            summary = self.con.to_pyarrow(staged.group_by("_part").aggregate(
                n=staged.count(), kept=staged._keep.ifelse(1, 0).sum(), bad=staged._bad.ifelse(1, 0).sum(),
            )).to_pylist()
            for row in summary:
                part = self.parts[int(row["_part"])]
                part.rows, part.skipped = int(row["n"]), int(row["n"]) - int(row["kept"] or 0)
                if part.skipped and part.skip_reason:
                    self.log.warn(f"{part.raw.name}: {part.skipped} row(s) skipped ({part.skip_reason}).")
                if row["bad"]:
                    self._report_bad_values(part)
            quoted = store.quote(self.con, name)
            if any(int(r["n"]) != int(r["kept"] or 0) for r in summary):
                store.execute(self.con, f"DELETE FROM {quoted} WHERE NOT _keep")  # noqa: S608
            for flag in ("_part", "_keep", "_bad"):
                # Dropping a column is a catalog change in DuckDB and PostgreSQL: no data is rewritten.
                store.execute(self.con, f"ALTER TABLE {quoted} DROP COLUMN {flag}")
        if not self.log.has_errors:
            for step in self.after_stage:
                step(self)

    def _validate(self, part: Part) -> bool | None:
        """Check a small file in its own scan (lookups): True when valid, False when not, None if unreadable."""
        fields = Fields(part.raw, part.raw.table, self.engine)
        part.build(fields)
        metrics: dict[str, ir.Scalar] = {"n": part.raw.table.count()}
        for i, check in enumerate(fields.checks):
            metrics[f"c{i}"] = check.bad.ifelse(1, 0).sum()
        try:
            row = self.first(part.raw.table.aggregate(**metrics))
        except Exception as error:
            self.log.error(_unreadable(part.raw.name, error))
            return None
        if not any(row[f"c{i}"] for i in range(len(fields.checks))):
            return True
        self._report_bad_values(part)
        return False

    def _report_bad_values(self, part: Part) -> None:
        """Count each check's failures in the file and fetch the first ones with their row numbers."""
        fields = Fields(part.raw, part.raw.table, self.engine)
        part.build(fields)
        counts = self.first(part.raw.table.aggregate(
            n=part.raw.table.count(), **{f"c{i}": c.bad.ifelse(1, 0).sum() for i, c in enumerate(fields.checks)}))
        numbered = Fields(part.raw, part.raw.numbered, self.engine)
        part.build(numbered)
        for i, check in enumerate(numbered.checks):
            total = int(counts.get(f"c{i}") or 0)
            if not total:
                continue
            rows = self.con.to_pyarrow(
                part.raw.numbered.filter(check.bad)
                .select(row=part.raw.numbered["_row"], value=check.value)
                .order_by("row")
                .limit(ERRORS_PER_FILE)
            ).to_pylist()
            issues = [
                Issue(file=part.raw.name, row=int(r["row"]), column=check.column, value=_text(r["value"]),
                      message=check.message)
                for r in rows
            ]
            self.log.errors_counted(part.raw.name, issues, total)

    def _select(self, part: Part, table: ir.Table, *, flags: int | None = None) -> tuple[ir.Table, Built]:
        """The part's rows in the canonical shape; with `flags` (the part's index), also `_part`, `_keep` and
        `_bad` instead of filtering."""
        fields = Fields(part.raw, table, self.engine)
        built = part.build(fields)
        part.skip_reason = built.skip_reason
        schema = TABLES[part.table]
        null = ibis.null()
        values = {c: built.values.get(c, null).cast(schema[c]) for c in schema.names}
        if flags is None:
            if built.keep is not None:
                table = table.filter(built.keep)
            return table.select(**values), built
        # A sum rather than a chain of ORs: DuckDB plans a long OR of expressions that share subexpressions
        # several times slower than the same tests added up.
        failed: ir.IntegerValue = ibis.literal(0)
        for check in fields.checks:
            failed = failed + check.bad.ifelse(1, 0)
        bad = failed > 0
        keep = built.keep.fill_null(False) if built.keep is not None else ibis.literal(True)
        return table.select(**values, _part=ibis.literal(flags).cast("int16"), _keep=keep, _bad=bad), built

    def _stage(self, part: Part, index: int) -> bool:
        if part.raw.name in self.unreadable_files:
            return False  # another table read from the same file (HubSpot's deals give stage history too)
        expr, _ = self._select(part, part.raw.table, flags=index)
        name = self.staged.get(part.table) or store.staging_name(self.import_id, part.table)
        try:
            if part.table not in self.staged:
                self.con.create_table(name, expr)
                self.staged[part.table] = name
            else:
                store.execute(self.con, f"INSERT INTO {store.quote(self.con, name)} {store.sql_of(self.con, expr)}")
        except Exception as error:
            self.log.error(_unreadable(part.raw.name, error))
            self.unreadable_files.add(part.raw.name)
            if part.table not in self.staged:
                # DuckDB keeps the table a failed CREATE TABLE ... AS began; the next file of the table makes it.
                store.execute(self.con, f"DROP TABLE IF EXISTS {store.quote(self.con, name)}")
            return False
        return True

    def staged_table(self, table: str) -> ir.Table | None:
        name = self.staged.get(table)
        return self.con.table(name) if name else None

    def live_table(self, table: str) -> ir.Table:
        return self.con.table(table)

    def stage_rows(self, table: str, rows: ir.Table) -> None:
        """Add rows (already in the canonical shape) to a staged table, creating it when needed."""
        schema = TABLES[table]
        expr = rows.select(**{c: rows[c].cast(schema[c]) for c in schema.names})
        name = self.staged.get(table)
        if name is None:
            name = store.staging_name(self.import_id, table)
            self.con.create_table(name, expr)
            self.staged[table] = name
        else:
            store.execute(self.con, f"INSERT INTO {store.quote(self.con, name)} {store.sql_of(self.con, expr)}")

    # --- checks across tables --------------------------------------------------------------------------------

    def check_tables(self) -> None:
        """Duplicate ids, references that must resolve, and owners that are nobody. Raises ImportFailed."""
        self.progress("Checking ids and references", 72)
        for table in list(self.staged):
            self._check_duplicates(table)
        for ref in REFERENCES:
            if ref.target not in self.unreadable and ref.table not in self.unreadable:
                self._check_reference(ref)
        if self.log.has_errors:
            raise ImportFailed(self.log)
        self._placeholder_owners()

    def _check_duplicates(self, table: str) -> None:
        keys = list(PRIMARY_KEYS[table])
        staged = self.staged_table(table)
        assert staged is not None
        present = staged.filter([staged[k].notnull() for k in keys])
        dups = present.group_by(keys).aggregate(times=present.count()).filter(lambda t: t.times > 1)
        total = int(self.scalar(dups.count()))
        if not total:
            return
        for part in self._parts_of(table):
            located = self._locate(part, keys, dups, how="semi")
            issues = [
                Issue(file=part.raw.name, row=int(r["_row"]), column=r["_header"], value=str(r["_key"]),
                      message="is a duplicate: the same record appears more than once")
                for r in located
            ]
            if issues:
                self.log.errors_counted(part.raw.name, issues, len(issues))

    def _check_reference(self, ref: Reference) -> None:
        staged = self.staged_table(ref.table)
        if staged is None:
            return
        known = self._known_ids(ref.target, ref.target_column)
        dangling = staged.filter(staged[ref.column].notnull()).select(ref.column).distinct()
        dangling = dangling.anti_join(known, dangling[ref.column] == known["id"])
        total = int(self.scalar(dangling.count()))
        if not total:
            return
        if not ref.required:
            rows = int(self.scalar(staged.semi_join(dangling, ref.column).count()))
            example = self.first(dangling.limit(1))[ref.column]
            self.log.warn(
                f"{rows} {ref.noun} refer to {total} {ref.target.replace('_', ' ')} (for example {example}) that "
                f"are in neither this export nor the store; they are kept and will connect if a later import "
                f"brings them."
            )
            return
        for part in self._parts_of(ref.table):
            located = self._locate(part, [ref.column], dangling, how="semi")
            issues = [
                Issue(file=part.raw.name, row=int(r["_row"]), column=r["_header"], value=str(r["_key"]),
                      message=f"names {_A[ref.target]} that is in neither this export nor the store")
                for r in located
            ]
            if issues:
                self.log.errors_counted(part.raw.name, issues, len(issues))

    def _known_ids(self, table: str, column: str) -> ir.Table:
        live = self.live_table(table).select(id=self.live_table(table)[column])
        staged = self.staged_table(table)
        if staged is None:
            return live
        return live.union(staged.select(id=staged[column]), distinct=False)

    def _parts_of(self, table: str) -> list[Part]:
        return [p for p in self.parts if p.table == table]

    def _locate(self, part: Part, columns: list[str], keys: ir.Table, *, how: str) -> list[dict[str, Any]]:
        """Rows of `part`'s file (with row numbers) whose canonical `columns` match the rows of `keys`."""
        fields = Fields(part.raw, part.raw.numbered, self.engine)
        numbered_built = part.build(fields)
        numbered = part.raw.numbered
        if numbered_built.keep is not None:
            numbered = numbered.filter(numbered_built.keep)
        shaped = numbered.select(_row=numbered["_row"], **{c: numbered_built.values[c] for c in columns})
        shaped = shaped.cast({c: TABLES[part.table][c] for c in columns})
        matched = shaped.semi_join(keys.select(*columns), columns).order_by("_row").limit(ERRORS_PER_FILE)
        header = " + ".join(numbered_built.headers.get(c, c) for c in columns)
        return [
            {"_row": r["_row"], "_header": header, "_key": " / ".join(str(r[c]) for c in columns)}
            for r in self.con.to_pyarrow(matched).to_pylist()
        ]

    def _placeholder_owners(self) -> None:
        """Owners that are in neither the users file nor the store become unnamed CRM users (with a warning)."""
        owner_ids: list[ir.Table] = []
        for table, columns in OWNER_COLUMNS.items():
            staged = self.staged_table(table)
            if staged is None:
                continue
            for column in columns:
                owner_ids.append(staged.filter(staged[column].notnull()).select(user_id=staged[column]))
        if not owner_ids:
            return
        owners = ibis.union(*owner_ids, distinct=True) if len(owner_ids) > 1 else owner_ids[0].distinct()
        known = self._known_ids("crm_users", "user_id")
        missing = owners.anti_join(known, owners.user_id == known["id"])
        count = int(self.scalar(missing.count()))
        if not count:
            return
        schema = TABLES["crm_users"]
        rows = missing.select(
            **{c: (missing.user_id if c == "user_id" else ibis.null()).cast(schema[c]) for c in schema.names}
        )
        self.stage_rows("crm_users", rows)
        self.log.warn(
            f"{count} record owner(s) are not in the users file; they were added as unnamed CRM users and are "
            f"listed as unmatched owners until a later users file names them."
        )

    # --- the swap -------------------------------------------------------------------------------------------

    def merge(self) -> dict[str, TableCounts]:
        """Bring the staged tables into the live ones in one transaction; returns counts per table."""
        self.progress("Comparing with the data already in the store", 80)
        plans: list[tuple[str, str, str | None]] = []
        for table, name in self.staged.items():
            staged = self.con.table(name)
            counts = TableCounts(rows=int(self.scalar(staged.count())))
            live_rows = int(self.scalar(self.live_table(table).count()))
            if live_rows == 0:
                counts.inserted = counts.rows
                plans.append((table, name, None))
            else:
                delta_name = store.staging_name(self.import_id, f"delta_{table}")
                self.con.create_table(delta_name, self._delta(table, staged))
                delta = self.con.table(delta_name)
                summary = self.first(delta.aggregate(n=delta.count(), new=delta._is_new.ifelse(1, 0).sum()))
                changed = int(summary["n"] or 0)
                counts.inserted = int(summary["new"] or 0)
                counts.updated = changed - counts.inserted
                counts.unchanged = counts.rows - changed
                plans.append((table, name, delta_name if changed else ""))
            self.counts[table] = counts
        self.progress("Writing to the store", 90)
        with store.transaction(self.con):
            for plan in plans:
                self._apply(*plan)
        swapped = {table for table, _, delta_name in plans if delta_name is None}
        self.staged = {t: n for t, n in self.staged.items() if t not in swapped}
        return self.counts

    def _apply(self, table: str, name: str, delta_name: str | None) -> None:
        def q(identifier: str) -> str:
            return store.quote(self.con, identifier)

        columns = ", ".join(q(c) for c in TABLES[table].names)
        if delta_name is None:
            # The live table is empty: the staged table becomes it (no copy).
            store.execute(self.con, f"DROP TABLE {q(table)}")
            store.execute(self.con, f"ALTER TABLE {q(name)} RENAME TO {q(table)}")
        elif delta_name:
            match = " AND ".join(f"d.{q(k)} = {q(table)}.{q(k)}" for k in PRIMARY_KEYS[table])
            store.execute(self.con, f"DELETE FROM {q(table)} WHERE EXISTS "  # noqa: S608
                                    f"(SELECT 1 FROM {q(delta_name)} d WHERE NOT d._is_new AND {match})")
            store.execute(self.con, f"INSERT INTO {q(table)} ({columns}) "  # noqa: S608
                                    f"SELECT {columns} FROM {q(delta_name)}")

    def _delta(self, table: str, staged: ir.Table) -> ir.Table:
        """Staged rows that are new or differ from the live row with the same key, flagged `_is_new`."""
        keys = list(PRIMARY_KEYS[table])
        live = self.live_table(table)
        others = [c for c in TABLES[table].names if c not in keys]
        live = live.select(*keys, **{f"_live_{c}": live[c] for c in others}, _live_present=ibis.literal(True))
        joined = staged.left_join(live, keys)
        differs = ibis.literal(False)
        for c in others:
            differs = differs | ~joined[c].identical_to(joined[f"_live_{c}"])
        is_new = joined["_live_present"].isnull()
        return joined.filter(is_new | differs).select(*TABLES[table].names, _is_new=is_new)


_A = {"opportunities": "an opportunity", "accounts": "an account", "contacts": "a contact"}


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)[:200]


def _unreadable(name: str, error: Exception) -> Issue:
    """A file the engine could not read: at the row it names when the file is not well-formed CSV."""
    return csv_error(error, name=name) or Issue(
        file=name, message=f"could not be read as CSV: {_engine_message(error)}")


def _engine_message(error: Exception) -> str:
    message = str(error).strip().splitlines()
    return " ".join(line.strip() for line in message[:6] if line.strip())[:600]
