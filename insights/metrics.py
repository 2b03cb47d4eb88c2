"""CRM metrics per seller, as Ibis expressions over the analytics store (crm/schema.py).

Everything here is a plain function over Ibis tables and runs on any Ibis backend the store uses (DuckDB locally,
PostgreSQL in production or CI): no backend-specific SQL. The engine executes `seller_metrics` once and pulls one
row per CRM user into Python; the statistics happen there (insights.analysis).

Units: money in the CRM's currency as float, durations in days, shares as fractions 0-1. "The period" is the
analysis period [start, end] (dates, inclusive); activities and closed deals count when they fall inside it.
A metric whose data the store lacks is *unavailable* (never zero): `inventory.missing(metric)` names what is
missing, and the engine shows it instead of a value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.datatypes as dt_types
import ibis.expr.types as ir

from crm.schema import TABLES

DAY_SECONDS = 86_400.0
QUARTER_DAYS = 365.25 / 4
# Deals open at least this long in the period show the follow-up cadence (`seller_opportunity_activity_facts`).
CADENCE_MIN_OPEN_DAYS = 14

# Stage labels that mean an opportunity has reached the proposal stage or gone past it (Salesforce's default
# process: Proposal/Price Quote, Negotiation/Review, Closed Won; HubSpot's: contractsent, closedwon). Matched
# case-insensitively as substrings; a label containing "lost" never counts.
PROPOSAL_STAGE_WORDS: tuple[str, ...] = ("proposal", "quote", "negotiat", "contract", "won")
MEETING_TYPES: tuple[str, ...] = ("meeting",)


@dataclass(frozen=True)
class Period:
    """The analysis period: dates inclusive. `as_of` is the data's "today" for questions about open deals."""

    start: dt.date
    end: dt.date
    as_of: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"The period ends ({self.end}) before it starts ({self.start}).")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_ts(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)

    @property
    def end_ts(self) -> dt.datetime:
        """The first instant after the period."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


@dataclass
class StoreInventory:
    """The store's tables that exist and have rows, and the columns that hold at least one value."""

    tables: dict[str, ir.Table]
    columns: set[str] = field(default_factory=set)
    engine: str = ""
    # What one analysis reads more than once, computed the first time (the history's stage labels, the
    # opportunity facts computed once into a temporary table): each is a query of its own otherwise.
    reused: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def has(self, *requirements: str) -> bool:
        return not self.missing(requirements)

    def missing(self, requirements: tuple[str, ...] | list[str]) -> list[str]:
        """The "table.column" requirements the store cannot meet, in the order given."""
        return [req for req in requirements if req not in self.columns]


def inspect_store(con: Any, *, database: str | None = None, sample_rows: int = 5000) -> StoreInventory:
    """Which CRM tables and columns the store holds data for.

    One query per table counts the values of every column in its first `sample_rows` rows; a column empty there
    gets its own LIMIT 1 probe over the whole table (a full scan only when the column really is empty).
    """
    existing = set(con.list_tables(database=database) if database else con.list_tables())
    tables: dict[str, ir.Table] = {}
    columns: set[str] = set()
    for name, schema in TABLES.items():
        if name not in existing:
            continue
        table = con.table(name, database=database) if database else con.table(name)
        present = [c for c in schema.names if c in table.columns]
        if not present:
            continue
        sample = table.select(*present).limit(sample_rows)
        counts = sample.aggregate(**{f"n{i}": sample[c].count() for i, c in enumerate(present)}).to_pyarrow()
        row = counts.to_pylist()[0] if counts.num_rows else {}
        for i, column in enumerate(present):
            if row.get(f"n{i}") or _has_value(table, column):
                columns.add(f"{name}.{column}")
        if any(c.startswith(f"{name}.") for c in columns):
            tables[name] = table
    return StoreInventory(tables=tables, columns=columns, engine=getattr(con, "name", ""))


def materialise(inv: StoreInventory, table: ir.Table) -> ir.Table:
    """`table` computed once into a temporary table, where the engine allows it in this session (DuckDB, even
    read-only); elsewhere the expression as it is. Used for intermediates several queries read."""
    if inv.engine == "duckdb":
        return table.cache()
    return table


def _has_value(table: ir.Table, column: str) -> bool:
    probe = table.select(column).filter(table[column].notnull()).limit(1)
    return bool(probe.to_pyarrow().num_rows)


# ---------------------------------------------------------------------------------------------------------------
# Small portable helpers
# ---------------------------------------------------------------------------------------------------------------


def _days_between(later: ir.Value, earlier: ir.Value, engine: str = "") -> ir.FloatingValue:
    """Days from `earlier` to `later` (timestamps or dates), as a float."""
    return (_epoch(later, engine) - _epoch(earlier, engine)) / DAY_SECONDS


@ibis.udf.scalar.builtin(name="epoch", signature=((dt_types.Timestamp(timezone="UTC"),), dt_types.float64))
def _duckdb_epoch(value: ir.TimestampValue) -> ir.FloatingValue:
    """DuckDB's epoch() of a UTC timestamp, read directly (Ibis's portable form converts every value to a naive
    timestamp first, which costs DuckDB twenty times as much)."""


def _epoch(value: ir.Value, engine: str = "") -> ir.NumericValue:
    """Seconds since 1970 of a timestamp or date; on DuckDB through its own epoch() for UTC timestamps."""
    if value.type().is_date():
        return value.cast("timestamp").epoch_seconds().cast("float64")  # a naive cast of a date is cheap
    if engine == "duckdb" and value.type().timezone:
        return _duckdb_epoch(value)
    return value.epoch_seconds().cast("float64")


def _date_end(day: ir.DateValue) -> ir.TimestampValue:
    """The first instant (UTC) after a date."""
    return (day + ibis.interval(days=1)).cast("timestamp('UTC')")


def _ts(value: dt.datetime) -> ir.TimestampScalar:
    return ibis.literal(value, type="timestamp('UTC')")


def _date(value: dt.date) -> ir.DateScalar:
    return ibis.literal(value, type="date")


def _ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator, null where the denominator is zero or null."""
    return numerator.cast("float64") / denominator.cast("float64").nullif(0.0)


def is_proposal_or_later(label: str | None) -> bool:
    """True for a stage label at or past the proposal stage (see PROPOSAL_STAGE_WORDS)."""
    lowered = (label or "").lower()
    return any(word in lowered for word in PROPOSAL_STAGE_WORDS) and "lost" not in lowered


def proposal_stages(inv: StoreInventory) -> list[str]:
    """The stage labels in the store's history that are at or past the proposal stage.

    A CRM has a handful of stage labels and millions of history rows: the labels are read once (one small
    grouped query) and classified here, so the history is then filtered with a plain IN list instead of
    lower-casing and matching every row.
    """
    return sorted(label for label in history_stages(inv) if is_proposal_or_later(label))


def history_stages(inv: StoreInventory) -> list[str]:
    """The distinct stage labels of the store's stage history (one small query, read once per inventory)."""
    if "history_stages" not in inv.reused:
        h = inv.tables["opportunity_stage_history"]
        labels = h.select("stage").filter(h.stage.notnull()).distinct().to_pyarrow().column("stage").to_pylist()
        inv.reused["history_stages"] = sorted(labels)
    return list(inv.reused["history_stages"])


# ---------------------------------------------------------------------------------------------------------------
# Per-opportunity facts
# ---------------------------------------------------------------------------------------------------------------


def closed_stages(inv: StoreInventory) -> list[str]:
    """The stage labels that mean an opportunity is closed: those of the store's closed opportunities that no
    open opportunity has, and any label with "closed" in it (read once, like `proposal_stages`)."""
    o = inv.tables["opportunities"]
    labels = o.filter(o.stage.notnull()).group_by("stage").aggregate(
        closed=o.is_closed.fill_null(False).all()  # bool_and: PostgreSQL casts no boolean to smallint
    ).to_pyarrow().to_pylist()
    found = {r["stage"] for r in labels if r["closed"]}
    if inv.has("opportunity_stage_history.stage"):
        found |= {label for label in history_stages(inv) if "closed" in label.lower()}
    return sorted(found)


def close_date_changes(inv: StoreInventory, history: ir.Table) -> ir.IntegerValue:
    """Per history row, 1 where it changed the opportunity's expected close date, else 0: to be summed per
    opportunity over the stage history in time order (`history`: the store's history table, or columns of it).

    A change is a history row whose close date differs from the previous row's that has one (rows without a close
    date are skipped; the first row sets the date and is no change; rows of the same instant are taken in
    close-date order). A date moved away and back again counts twice. The change made at closing (a row at a
    closed stage, `closed_stages`), when the CRM replaces the expected date with the actual one, is not a change
    of plan and does not count; nor do changes after closing.
    """
    h = history
    # One window over every row, the rows with and without a close date apart (so the previous row is the
    # previous one that has a date), read by the same pass that aggregates the rest of the history: no second
    # scan, grouping and join. Rows of the same instant are taken in close-date order (the same count on every
    # run and engine): a date key sorts at a fraction of the cost of the string history id.
    window = ibis.window(group_by=[h.opportunity_id, h.close_date.isnull()], order_by=[h.changed_at, h.close_date])
    previous = h.close_date.lag().over(window)
    closing = h.stage.isin(closed_stages(inv)) if inv.has("opportunity_stage_history.stage") else (
        ibis.literal(False))
    return ibis.ifelse(h.close_date.notnull() & previous.notnull() & (h.close_date != previous)
                       & ~closing.fill_null(False), 1, 0)


def stage_history_facts(inv: StoreInventory) -> ir.Table | None:
    """Per opportunity, from the stage history: when it first reached the proposal stage, its amount then, and how
    many times its expected close date changed (`close_date_changes`).

    Columns: opportunity_id, proposal_at (timestamp, null if never), proposal_amount (float, null if unknown),
    close_date_pushes (int; 0 where the history records no close dates), history_rows (int).
    """
    if "opportunity_stage_history" not in inv.tables or not inv.has("opportunity_stage_history.changed_at"):
        return None
    h = inv.tables["opportunity_stage_history"]
    has_stage = inv.has("opportunity_stage_history.stage")
    has_close = inv.has("opportunity_stage_history.close_date")
    stages = proposal_stages(inv) if has_stage else []
    h = h.mutate(_proposal=h.stage.isin(stages) if stages else ibis.literal(False),
                 _change=close_date_changes(inv, h) if has_close else ibis.literal(0))
    return h.group_by("opportunity_id").aggregate(
        proposal_at=h.changed_at.min(where=h._proposal),
        proposal_amount=h.amount.cast("float64").argmin(h.changed_at, where=h._proposal & h.amount.notnull()),
        history_rows=h.count(),
        close_date_pushes=h._change.sum(),
    )


def opportunity_facts(inv: StoreInventory, period: Period, *, with_history: bool = True) -> ir.Table:
    """One row per opportunity with what the metrics need.

    Columns: opportunity_id, owner_user_id, account_id, amount (float), is_won, is_closed, created_at, close_date,
    opportunity_type, currency, created_in_period, won_in_period, lost_in_period, open_at_as_of, cycle_days
    (created to close), and, when the store has stage history, proposal_at, proposal_amount, close_date_pushes,
    has_history.
    """
    o = inv.tables["opportunities"]
    start, end = _date(period.start), _date(period.end)
    closed_in_period = o.is_closed.fill_null(False) & o.close_date.between(start, end)
    facts = o.select(
        "opportunity_id",
        "owner_user_id",
        "account_id",
        "is_closed",
        "created_at",
        "close_date",
        "opportunity_type",
        "currency",
        amount=o.amount.cast("float64"),
        is_won=o.is_won.fill_null(False),
        created_in_period=(o.created_at >= _ts(period.start_ts)) & (o.created_at < _ts(period.end_ts)),
        won_in_period=closed_in_period & o.is_won.fill_null(False),
        lost_in_period=closed_in_period & ~o.is_won.fill_null(False),
        open_at_as_of=~o.is_closed.fill_null(False),
        cycle_days=_days_between(o.close_date, o.created_at, inv.engine),
        # The first instant after its close date (null while open): activities before it were on an open deal.
        close_end=ibis.ifelse(o.is_closed.fill_null(False), _date_end(o.close_date), ibis.null()),
    )
    history = stage_history_facts(inv) if with_history else None
    if history is None:
        return facts
    joined = facts.left_join(history, facts.opportunity_id == history.opportunity_id)
    return joined.select(
        *[joined[c] for c in facts.columns],
        joined.proposal_at,
        joined.proposal_amount,
        close_date_pushes=joined.close_date_pushes.fill_null(0),
        has_history=joined.history_rows.fill_null(0) > 0,
        # Discovery happens before the proposal, or before the close for a deal that never got one.
        discovery_cutoff=ibis.coalesce(joined.proposal_at, joined.close_end),
    )


def opportunity_activity_facts(inv: StoreInventory, period: Period, opps: ir.Table) -> ir.Table | None:
    """Per opportunity, the activities its owner logged on it during the period.

    Columns: opportunity_id, touches_open (activities while it was open), contacts (distinct contacts touched,
    null when the store has no contact ids), meetings_before_proposal (null when the store has no stage history
    or activity types).
    """
    if "activities" not in inv.tables or not inv.has("activities.opportunity_id", "activities.occurred_at"):
        return None
    a = inv.tables["activities"]
    a = a.filter(
        a.occurred_at >= _ts(period.start_ts), a.occurred_at < _ts(period.end_ts), a.opportunity_id.notnull()
    )
    keep = ["opportunity_id", "owner_user_id", "close_end"]
    has_proposal = "discovery_cutoff" in opps.columns
    if has_proposal:
        keep.append("discovery_cutoff")
    o = opps.select(*keep).rename(opp_owner="owner_user_id")
    # Joined on the opportunity alone and filtered on the owner after: a one-column hash join is much cheaper
    # over tens of millions of activities than a two-column one.
    j = a.inner_join(o, a.opportunity_id == o.opportunity_id)
    j = j.filter(j.owner_user_id == j.opp_owner)
    # Timestamps compared as they are (no per-activity conversions): this runs over every activity.
    is_open = j.close_end.isnull() | (j.occurred_at < j.close_end)
    aggregates: dict[str, ir.Value] = {
        "touches_open": is_open.sum(),
    }
    if has_proposal and inv.has("activities.activity_type", "opportunity_stage_history.stage"):
        is_meeting = j.activity_type.isin(MEETING_TYPES)
        aggregates["meetings_before_proposal"] = (is_meeting & (j.occurred_at < j.discovery_cutoff)).sum()
    if not inv.has("activities.contact_id"):
        return j.group_by("opportunity_id").aggregate(**aggregates)
    # Distinct contacts in two steps: per opportunity and contact, then per opportunity, counting the contacts.
    # The same numbers as one grouping with COUNT(DISTINCT contact_id), for a good deal less work: an engine keeps
    # a second hash table per group for a distinct count.
    per_contact = j.group_by(["opportunity_id", "contact_id"]).aggregate(**aggregates)
    c = per_contact
    rollup: dict[str, ir.Value] = {
        "touches_open": c.touches_open.sum(),
        "contacts": c.contact_id.count(),
    }
    if "meetings_before_proposal" in aggregates:
        rollup["meetings_before_proposal"] = c.meetings_before_proposal.sum()
    return c.group_by("opportunity_id").aggregate(**rollup)


# ---------------------------------------------------------------------------------------------------------------
# The seller's own numbers: what a CRM report shows for the period, defined once
# ---------------------------------------------------------------------------------------------------------------


def seller_number_aggregates(opps: ir.Table) -> dict[str, ir.Value]:
    """The seller's own opportunity numbers for the period, as aggregates over `opportunity_facts` grouped by
    the opportunity's owner (`owner_user_id`: the owner when the CRM data was exported, as a CRM report by
    owner shows them). These are the only definitions: the metrics, the outcome and the pages all read them.

    - n_created: opportunities whose created_at falls in the period.
    - n_won: opportunities with is_won, is_closed and a close_date in the period.
    - n_lost: opportunities with is_closed, not is_won, and a close_date in the period.
    - n_open: opportunities not closed (is_closed false or empty) when the data was exported, whenever they
      were created.
    - won_amount: the sum of the amounts of the won ones (n_won), as recorded, in the CRM's currency or
      currencies (not converted: see `currency_breakdown`); 0 when none were won.
    """
    return {
        "n_created": opps.created_in_period.sum(),
        "n_won": opps.won_in_period.sum(),
        "n_lost": opps.lost_in_period.sum(),
        "n_open": opps.open_at_as_of.sum(),
        "won_amount": opps.amount.sum(where=opps.won_in_period).fill_null(0.0),
    }


def win_rate_of(facts: ir.Table) -> ir.FloatingValue:
    """Win rate: won / (won + lost) in the period (n_won, n_lost above); null when nothing closed."""
    return _ratio(facts.n_won, facts.n_won + facts.n_lost)


def attainment_of(facts: ir.Table) -> ir.FloatingValue:
    """Attainment: won_amount / quota for the period (`seller_quota_facts`); null without a quota above 0."""
    return _ratio(facts.won_amount, facts.quota)


def currency_breakdown(inv: StoreInventory, period: Period) -> ir.Table | None:
    """Per opportunity owner and currency, over the opportunities the seller's numbers count (created, won or
    lost in the period, or open): how many there are and the won amount. None when the store has no
    currencies. The store holds no exchange rates, so amounts in different currencies cannot be converted:
    the engine says so wherever it shows money.

    Columns: user_id, currency, n_opportunities, won_amount.
    """
    if not inv.has("opportunities.currency"):
        return None
    # The facts seller_metrics computed into a temporary table for this period, where it did; else without the
    # stage history (which the currencies do not need, and which an engine without temporary tables would redo).
    o = inv.reused.get(("opportunity_facts", period))
    if o is None:
        o = opportunity_facts(inv, period, with_history=False)
    counted = o.filter(o.created_in_period | o.won_in_period | o.lost_in_period | o.open_at_as_of)
    counted = counted.filter(counted.currency.notnull())
    return counted.group_by(user_id=counted.owner_user_id, currency=counted.currency).aggregate(
        n_opportunities=counted.count(), won_amount=counted.amount.sum(where=counted.won_in_period).fill_null(0.0),
    )


# ---------------------------------------------------------------------------------------------------------------
# Per-seller facts
# ---------------------------------------------------------------------------------------------------------------


def seller_opportunity_facts(inv: StoreInventory, period: Period, opps: ir.Table) -> ir.Table:
    """Per opportunity owner: counts, revenue, deal size and cycle, loss timing, negotiation and hygiene."""
    o = opps
    has_history = "has_history" in o.columns
    aggregates: dict[str, ir.Value] = {
        **seller_number_aggregates(o),
        "first_opportunity_at": o.created_at.min(),
        "won_amount_existing": o.amount.sum(where=o.won_in_period & (o.opportunity_type == "existing")),
        "won_amount_new": o.amount.sum(where=o.won_in_period & (o.opportunity_type == "new")),
        "won_amount_typed": o.amount.sum(where=o.won_in_period & o.opportunity_type.isin(["new", "existing"])),
        "n_created_new": (o.created_in_period & (o.opportunity_type == "new")).sum(),
        "n_created_typed": (o.created_in_period & o.opportunity_type.isin(["new", "existing"])).sum(),
        "median_won_amount": o.amount.median(where=o.won_in_period),
        "median_closed_amount": o.amount.median(where=o.won_in_period | o.lost_in_period),
        "median_won_cycle_days": o.cycle_days.median(where=o.won_in_period),
        "median_lost_days": o.cycle_days.median(where=o.lost_in_period),
        "n_open_stale": (o.open_at_as_of & (o.close_date < _date(period.as_of))).sum(),
    }
    if has_history:
        lost_h = o.lost_in_period & o.has_history
        aggregates["n_lost_with_history"] = lost_h.sum()
        aggregates["n_lost_early"] = (lost_h & o.proposal_at.isnull()).sum()
        ratio = _ratio(o.amount, o.proposal_amount)
        aggregates["mean_won_vs_proposal"] = ratio.mean(where=o.won_in_period & (o.proposal_amount > 0))
        relevant = (o.won_in_period | o.lost_in_period | o.open_at_as_of) & o.has_history
        aggregates["mean_close_date_pushes"] = o.close_date_pushes.cast("float64").mean(where=relevant)
    return o.group_by(user_id=o.owner_user_id).aggregate(**aggregates)


def seller_opportunity_activity_facts(
    inv: StoreInventory, period: Period, opps: ir.Table, per_opp: ir.Table
) -> ir.Table:
    """Per opportunity owner: contacts per opportunity, days between touches, meetings before the proposal.

    Days between touches (`days_open_per_touch`, the follow-up cadence): over the seller's deals open at
    least `CADENCE_MIN_OPEN_DAYS` days within the period (won, lost or still open), the days they were open
    within the period, summed, divided by the activities the owner logged on them in the period while they were
    open; null when there were none. Each open day counts alike, so a deal's length cannot set the cadence (an
    average over deals of each deal's own gaps let the short deals, whose few touches fall close together, pull
    it down); deals open less than two weeks carry their first touches but no cadence yet."""
    o = opps.select(
        "opportunity_id", "owner_user_id", "won_in_period", "lost_in_period", "created_at", "close_end",
        *(["proposal_at"] if "proposal_at" in opps.columns else []),
    )
    j = o.left_join(per_opp, o.opportunity_id == per_opp.opportunity_id)
    open_from = ibis.greatest(j.created_at, _ts(period.start_ts))
    open_to = ibis.least(j.close_end.fill_null(_ts(period.end_ts)), _ts(period.end_ts))
    open_days = _days_between(open_to, open_from, inv.engine)
    followed = open_days >= CADENCE_MIN_OPEN_DAYS
    aggregates: dict[str, ir.Value] = {
        "days_open_per_touch": _ratio(
            open_days.sum(where=followed), j.touches_open.fill_null(0).sum(where=followed)
        ),
    }
    if "contacts" in per_opp.columns:
        aggregates["mean_contacts"] = j.contacts.cast("float64").mean(where=j.touches_open.notnull())
    if "meetings_before_proposal" in per_opp.columns:
        proposed_in_period = j.proposal_at.notnull() & (j.proposal_at >= _ts(period.start_ts)) & (
            j.proposal_at < _ts(period.end_ts)
        )
        reached = proposed_in_period | j.won_in_period | j.lost_in_period
        aggregates["mean_meetings_before_proposal"] = (
            j.meetings_before_proposal.fill_null(0).cast("float64").mean(where=reached)
        )
    return j.group_by(user_id=j.owner_user_id).aggregate(**aggregates)


def seller_account_facts(inv: StoreInventory) -> ir.Table | None:
    """Per account owner: accounts owned now, and their most common segment and region."""
    if "accounts" not in inv.tables or not inv.has("accounts.owner_user_id"):
        return None
    acc = inv.tables["accounts"]
    acc = acc.filter(acc.owner_user_id.notnull())
    aggregates: dict[str, ir.Value] = {"accounts_owned": acc.count()}
    if inv.has("accounts.segment"):
        aggregates["segment"] = acc.segment.mode()
    if inv.has("accounts.region"):
        aggregates["account_region"] = acc.region.mode()
    return acc.group_by(user_id=acc.owner_user_id).aggregate(**aggregates)


def ownership_quarter_bits(inv: StoreInventory, period: Period) -> ir.Table | None:
    """Which of the period's calendar quarters each seller owned each account in, from the store's account
    ownership history (account_ownership: who owned an account from valid_from until valid_to), or, where the
    store has none, from each account's current owner since the account was created.

    An account counts for a quarter when the seller owned it at any moment of it (within the period). Quarter k
    of `quarter_blocks` (latest first) is bit k. Columns: account_id, owner, owned_bits (int, 0 never returned).
    """
    blocks = quarter_blocks(period)
    if inv.has("account_ownership.account_id", "account_ownership.owner_user_id",
               "account_ownership.valid_from"):
        h = inv.tables["account_ownership"]
        spans = h.select(account_id=h.account_id, owner=h.owner_user_id, valid_from=h.valid_from,
                         valid_to=h.valid_to)
    elif inv.has("accounts.owner_user_id"):
        acc = inv.tables["accounts"]
        spans = acc.select(account_id=acc.account_id, owner=acc.owner_user_id, valid_from=acc.created_at,
                           valid_to=ibis.null().cast("timestamp('UTC')"))
    else:
        return None
    spans = spans.filter(spans.owner.notnull(), spans.account_id.notnull())
    bits = sum(
        (ibis.ifelse(
            (spans.valid_from.isnull() | (spans.valid_from < _ts(high)))
            & (spans.valid_to.isnull() | (spans.valid_to > _ts(low))),
            1 << k, 0,
        ) for k, (low, high) in enumerate(blocks)),
        ibis.literal(0),
    )
    spans = spans.mutate(bits=bits).filter(lambda t: t.bits != 0)
    return spans.group_by(["account_id", "owner"]).aggregate(owned_bits=spans.bits.bit_or())


def activity_account_quarters(inv: StoreInventory, period: Period) -> ir.Table | None:
    """Per activity owner and account, over the period: the activities, the first one, and the period's calendar
    quarters they fell in as bits (quarter k of `quarter_blocks`, latest first, is bit k). One grouping of the
    activities, read both for the activity counts and for the coverage (an engine computes it once).
    Columns: owner, account_id (null for activities on no account), n, first_at, quarter_bits. None without
    activities."""
    if "activities" not in inv.tables or not inv.has("activities.occurred_at", "activities.owner_user_id"):
        return None
    a = inv.tables["activities"]
    a = a.filter(a.occurred_at >= _ts(period.start_ts), a.occurred_at < _ts(period.end_ts))
    # Which quarter an activity falls in, as a bit: one OR aggregate per group instead of a flag per quarter (the
    # aggregate runs over tens of millions of rows); grouping by quarter as well would triple the groups.
    blocks = quarter_blocks(period)
    later = sum((ibis.ifelse(a.occurred_at < _ts(low), 1, 0) for low, _ in blocks[:-1]), ibis.literal(0))
    if not inv.has("activities.account_id"):
        return a.group_by(owner=a.owner_user_id).aggregate(
            account_id=ibis.null().cast("string"), n=a.count(), first_at=a.occurred_at.min(),
            quarter_bits=(ibis.literal(1) << later).bit_or(),
        )
    return a.group_by(owner=a.owner_user_id, account_id=a.account_id).aggregate(
        n=a.count(), first_at=a.occurred_at.min(), quarter_bits=(ibis.literal(1) << later).bit_or()
    )


def seller_ownership_facts(inv: StoreInventory, period: Period, owned: ir.Table | None,
                           touched: ir.Table | None) -> ir.Table | None:
    """Per seller, from the accounts they owned (`owned`, `ownership_quarter_bits`) and, where the activities
    name their accounts, the ones they touched (`touched`, `activity_account_quarters`), in one pass over the
    ownership: how many accounts they owned in each of the period's calendar quarters (`owned_q<k>`, quarter k
    of `quarter_blocks`, latest first) and the sum over the quarters of how many of the accounts they owned in
    that quarter they touched in it (`touched_account_quarters`).
    Columns: user_id, owned_q0 ..., touched_account_quarters (when `touched` is given)."""
    if owned is None:
        return None
    blocks = quarter_blocks(period)
    aggregates: dict[str, ir.Value] = {}
    if touched is not None and inv.has("activities.account_id"):
        t = touched.filter(touched.account_id.notnull())
        t = t.select(t_owner=t.owner, t_account=t.account_id, t_bits=t.quarter_bits)
        owned = owned.left_join(t, (owned.account_id == t.t_account) & (owned.owner == t.t_owner))
        hit = owned.t_bits & owned.owned_bits  # touched in a quarter they owned it in (null: never touched)
        aggregates["touched_account_quarters"] = sum(
            (ibis.ifelse((hit & (1 << k)) != 0, 1, 0) for k in range(len(blocks))), ibis.literal(0)
        ).sum()
    return owned.group_by(user_id=owned.owner).aggregate(**{
        f"owned_q{k}": ibis.ifelse((owned.owned_bits & (1 << k)) != 0, 1, 0).sum() for k in range(len(blocks))
    }, **aggregates)


def seller_activity_facts(touched: ir.Table | None) -> ir.Table | None:
    """Per activity owner, over the period, from `activity_account_quarters`: the activities and the first one.
    Columns: user_id, n_activities, first_activity_at."""
    if touched is None:
        return None
    return touched.group_by(user_id=touched.owner).aggregate(
        n_activities=touched.n.sum(), first_activity_at=touched.first_at.min()
    )


def quarter_blocks(period: Period) -> list[tuple[dt.datetime, dt.datetime]]:
    """The calendar quarters the period covers, cut to the period: (start, end) instants, latest first."""
    blocks: list[tuple[dt.datetime, dt.datetime]] = []
    month = 3 * ((period.end.month - 1) // 3) + 1
    quarter_start = dt.date(period.end.year, month, 1)
    while True:
        low = max(quarter_start, period.start)
        high = period.end + dt.timedelta(days=1) if not blocks else blocks[-1][0].date()
        blocks.append((dt.datetime.combine(low, dt.time(), tzinfo=dt.UTC),
                       dt.datetime.combine(high, dt.time(), tzinfo=dt.UTC)))
        if quarter_start <= period.start:
            return blocks
        month = quarter_start.month - 3
        quarter_start = dt.date(quarter_start.year - (month < 1), (month - 1) % 12 + 1, 1)


def seller_quota_facts(inv: StoreInventory, period: Period) -> ir.Table | None:
    """Per quota holder: quota for the period, each quota row prorated by the days it overlaps the period."""
    if "quotas" not in inv.tables or not inv.has("quotas.amount", "quotas.period_start", "quotas.period_end"):
        return None
    q = inv.tables["quotas"]
    overlap_start = ibis.greatest(q.period_start, _date(period.start))
    overlap_end = ibis.least(q.period_end, _date(period.end))
    overlap_days = _days_between(overlap_end, overlap_start) + 1.0
    quota_days = _days_between(q.period_end, q.period_start) + 1.0
    share = ibis.ifelse(overlap_days > 0, overlap_days / quota_days.nullif(0.0), 0.0)
    prorated = q.amount.cast("float64") * share
    return q.group_by(user_id=q.user_id).aggregate(quota=prorated.sum())


def seller_facts(inv: StoreInventory, period: Period) -> ir.Table:
    """One row per CRM user with every raw per-seller fact the metrics, book features and outcome use.

    Always has user_id, person_employee_id, first_seen_at and active_days (days of the period from the later of
    its start and the seller's first record in the CRM; the engine replaces it by the HR time in seat where HR
    has a hire date or a leaving date, see `per_time_in_seat`). Other columns appear when the store has their
    data.
    """
    users = inv.tables["crm_users"].select("user_id", "person_employee_id")
    opps = materialise(inv, opportunity_facts(inv, period))
    if inv.engine == "duckdb":  # computed once, so `currency_breakdown` reads it instead of the opportunities
        inv.reused[("opportunity_facts", period)] = opps
    parts: list[ir.Table] = [seller_opportunity_facts(inv, period, opps)]
    per_opp = opportunity_activity_facts(inv, period, opps)
    if per_opp is not None:
        parts.append(seller_opportunity_activity_facts(inv, period, opps, materialise(inv, per_opp)))
    touched = activity_account_quarters(inv, period)
    for part in (seller_account_facts(inv), seller_ownership_facts(inv, period, ownership_quarter_bits(inv, period),
                                                                   touched),
                 seller_activity_facts(touched), seller_quota_facts(inv, period)):
        if part is not None:
            parts.append(part)
    result = users
    for i, part in enumerate(parts):
        part = part.rename({f"_k{i}": "user_id"})
        result = result.left_join(part, result.user_id == part[f"_k{i}"]).drop(f"_k{i}")
    first_seen = result.first_opportunity_at
    if "first_activity_at" in result.columns:
        first_seen = ibis.least(first_seen, result.first_activity_at)
    from_ts = ibis.greatest(first_seen.fill_null(_ts(period.start_ts)), _ts(period.start_ts))
    active_days = ibis.greatest(_days_between(_ts(period.end_ts), from_ts), 1.0)
    in_seat = [from_ts < _ts(high) for _, high in quarter_blocks(period)]
    quarters_in_seat = sum((ibis.ifelse(seated, 1, 0) for seated in in_seat), ibis.literal(0))
    extra: dict[str, ir.Value] = {}
    if "owned_q0" in result.columns:
        # The accounts owned in each quarter in seat: an account counts only for the quarters it was theirs.
        extra["owned_account_quarters"] = sum(
            (ibis.ifelse(seated, result[f"owned_q{k}"].fill_null(0), 0) for k, seated in enumerate(in_seat)),
            ibis.literal(0),
        )
    result = result.mutate(first_seen_at=first_seen, active_days=active_days, quarters_in_seat=quarters_in_seat,
                           **extra)
    # A seller with no rows in a table the store has did none of it: zero, not unknown.
    counts = ("n_created", "n_won", "n_lost", "n_open", "n_open_stale", "n_activities", "touched_account_quarters")
    fills: dict[str, ir.Value] = {c: result[c].fill_null(0) for c in counts if c in result.columns}
    fills["won_amount"] = result.won_amount.fill_null(0.0)
    return result.mutate(**fills)


# ---------------------------------------------------------------------------------------------------------------
# The metric catalogue
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricDefinition:
    """A CRM metric that evidences a selling task.

    `requires` lists the "table.column" data it needs; `expression` computes it from the `seller_facts` table;
    `phrase` turns a value into plain words after "sellers ..." (e.g. "touch 78% of their accounts each quarter").
    `log_scale` marks counts and durations whose spread is multiplicative (analysed on the log scale).
    """

    key: str
    task_key: str
    name: str
    unit: str  # share | count | days | ratio
    higher_is_better: bool
    requires: tuple[str, ...]
    expression: Callable[[ir.Table], ir.Value]
    phrase: str
    description: str
    log_scale: bool = False
    # A rate per time in seat (divided by active_days): the engine rescales it to the HR time in seat.
    per_time_in_seat: bool = False

    def format(self, value: float | None) -> str:
        return format_value(value, self.unit)

    def describe(self, value: float | None) -> str:
        return self.phrase.format(v=self.format(value))


def format_value(value: float | None, unit: str) -> str:
    """A metric value in plain words: 78%, 12.5, 45 days."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "share":
        return f"{value * 100:.0f}%"
    if unit == "days":
        return f"{value:.0f} days" if abs(value) >= 10 else f"{value:.1f} days"
    if unit == "ratio":
        return f"{value * 100:.0f}%"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"


_OPP = ("opportunities.owner_user_id", "opportunities.created_at")
_CLOSED = (*_OPP, "opportunities.is_closed", "opportunities.is_won", "opportunities.close_date")
_ACT = ("activities.owner_user_id", "activities.occurred_at")
_HIST = ("opportunity_stage_history.opportunity_id", "opportunity_stage_history.changed_at")

METRICS: dict[str, MetricDefinition] = {
    m.key: m
    for m in [
        MetricDefinition(
            key="new_opportunities_per_quarter", task_key="prospecting", name="New opportunities per quarter",
            unit="count", higher_is_better=True, requires=_OPP,
            expression=lambda t: t.n_created / (t.active_days / QUARTER_DAYS),
            phrase="create {v} new opportunities a quarter",
            description="Opportunities the seller created in the period, per quarter in seat.", log_scale=True,
            per_time_in_seat=True,
        ),
        MetricDefinition(
            key="accounts_touched_share", task_key="account_coverage", name="Accounts touched each quarter",
            unit="share", higher_is_better=True,
            requires=(*_ACT, "activities.account_id", "accounts.owner_user_id"),
            expression=lambda t: _ratio(t.touched_account_quarters, t.owned_account_quarters),
            phrase="touch {v} of their accounts each quarter",
            description="Share of the accounts the seller owned that they logged at least one activity with, "
            "over the calendar quarters of the period they were in seat: each account counts for the quarters "
            "the seller owned it (the CRM's account ownership history, else since the account was created).",
        ),
        MetricDefinition(
            key="contacts_per_opportunity", task_key="multithreading", name="Contacts per opportunity",
            unit="count", higher_is_better=True,
            requires=(*_ACT, "activities.opportunity_id", "activities.contact_id", *_OPP),
            expression=lambda t: t.mean_contacts,
            phrase="reach {v} contacts per opportunity",
            description="Distinct contacts the seller's activities on an opportunity touched, averaged over "
            "their opportunities with activity in the period.",
        ),
        MetricDefinition(
            key="meetings_before_proposal", task_key="discovery", name="Meetings before the proposal",
            unit="count", higher_is_better=True,
            requires=(*_ACT, "activities.opportunity_id", "activities.activity_type", *_HIST,
                      "opportunity_stage_history.stage", *_OPP),
            expression=lambda t: t.mean_meetings_before_proposal,
            phrase="hold {v} meetings before sending a proposal",
            description="Meetings logged on an opportunity before it first reached the proposal stage (or before "
            "it closed, if it never did), averaged over opportunities proposed or closed in the period.",
        ),
        MetricDefinition(
            key="early_loss_share", task_key="qualification", name="Lost deals lost early",
            unit="share", higher_is_better=True, requires=(*_CLOSED, *_HIST, "opportunity_stage_history.stage"),
            expression=lambda t: _ratio(t.n_lost_early, t.n_lost_with_history),
            phrase="lose {v} of their lost deals before the proposal stage",
            description="Of the deals the seller lost in the period, the share lost before ever reaching the "
            "proposal stage (qualified out early rather than late).",
        ),
        MetricDefinition(
            key="days_to_loss", task_key="qualification", name="Days to close out a lost deal",
            unit="days", higher_is_better=False, requires=_CLOSED,
            expression=lambda t: t.median_lost_days,
            phrase="take {v} to close out a lost deal",
            description="Median days from creating to closing a deal the seller lost in the period.",
            log_scale=True,
        ),
        MetricDefinition(
            key="days_between_touches", task_key="follow_up", name="Days between touches on open deals",
            unit="days", higher_is_better=False,
            requires=(*_ACT, "activities.opportunity_id", *_OPP),
            expression=lambda t: t.days_open_per_touch,
            phrase="leave {v} between touches on an open deal",
            description="Days a deal was open per activity on it, over the seller's deals open at least "
            f"{CADENCE_MIN_OPEN_DAYS} days in the period (won, lost or still open): their days open in the "
            "period, added up, divided by the activities the seller logged on them in the period while they "
            "were open.",
            log_scale=True,
        ),
        MetricDefinition(
            key="won_vs_proposal_amount", task_key="negotiation", name="Won amount vs proposal amount",
            unit="ratio", higher_is_better=True,
            requires=(*_CLOSED, "opportunities.amount", *_HIST, "opportunity_stage_history.stage",
                      "opportunity_stage_history.amount"),
            expression=lambda t: t.mean_won_vs_proposal,
            phrase="close at {v} of the amount they proposed",
            description="Won amount as a share of the amount when the deal reached the proposal stage "
            "(100% = no discount), averaged over deals won in the period.",
        ),
        MetricDefinition(
            key="win_rate", task_key="closing", name="Win rate",
            unit="share", higher_is_better=True, requires=_CLOSED,
            expression=win_rate_of,
            phrase="win {v} of the deals they close out",
            description="Deals won as a share of deals won or lost in the period.",
        ),
        MetricDefinition(
            key="existing_revenue_share", task_key="expansion", name="Revenue from existing customers",
            unit="share", higher_is_better=True,
            requires=(*_CLOSED, "opportunities.amount", "opportunities.opportunity_type"),
            expression=lambda t: _ratio(t.won_amount_existing.fill_null(0.0), t.won_amount_typed),
            phrase="earn {v} of their won revenue from existing customers",
            description="Share of the revenue the seller won in the period that came from existing customers.",
        ),
        MetricDefinition(
            key="close_date_pushes", task_key="pipeline_hygiene", name="Close-date changes per opportunity",
            unit="count", higher_is_better=False,
            requires=(*_CLOSED, *_HIST, "opportunity_stage_history.close_date"),
            expression=lambda t: t.mean_close_date_pushes,
            phrase="move a deal's close date {v} times",
            description="Times an opportunity's expected close date was changed (each change from one history "
            "entry to the next, in time order, not counting the actual date set when the deal closed), averaged "
            "over the seller's opportunities closed in the period or still open.",
        ),
        MetricDefinition(
            key="stale_open_share", task_key="pipeline_hygiene", name="Open deals past their close date",
            unit="share", higher_is_better=False, requires=_CLOSED,
            expression=lambda t: _ratio(t.n_open_stale, t.n_open),
            phrase="have {v} of their open deals past the expected close date",
            description="Share of the seller's open opportunities whose expected close date has passed.",
        ),
        MetricDefinition(
            key="activities_per_week", task_key="activity_volume", name="Activities per week",
            unit="count", higher_is_better=True, requires=_ACT,
            expression=lambda t: t.n_activities / (t.active_days / 7.0),
            phrase="log {v} activities a week",
            description="Calls, emails, meetings and tasks the seller logged in the period, per week in seat.",
            log_scale=True,
            per_time_in_seat=True,
        ),
    ]
}


@dataclass(frozen=True)
class BookFeature:
    """A feature of a seller's book of business, used to form and describe situations."""

    key: str
    name: str
    unit: str
    requires: tuple[str, ...]
    expression: Callable[[ir.Table], ir.Value]
    log_scale: bool = True
    # Weight in the clustering distance. The new/existing mix is half the seller's own behaviour (expansion),
    # so it counts half: situations should group books, not behaviours.
    cluster_weight: float = 1.0


BOOK_FEATURES: dict[str, BookFeature] = {
    f.key: f
    for f in [
        BookFeature("accounts", "Accounts", "count", ("accounts.owner_user_id",), lambda t: t.accounts_owned),
        BookFeature(
            "deal_size", "Deal size", "money", (*_CLOSED, "opportunities.amount"),
            lambda t: t.median_won_amount.fill_null(t.median_closed_amount),
        ),
        BookFeature("cycle_days", "Sales cycle", "days", _CLOSED, lambda t: t.median_won_cycle_days),
        BookFeature(
            "new_business_share", "New business", "share", (*_OPP, "opportunities.opportunity_type"),
            lambda t: _ratio(t.n_created_new, t.n_created_typed), log_scale=False, cluster_weight=0.5,
        ),
        BookFeature(
            "opportunities_per_year", "Opportunities a year", "count", _OPP,
            lambda t: t.n_created / (t.active_days / 365.25),
        ),
    ]
}
CATEGORICAL_FEATURES: dict[str, tuple[str, str]] = {
    # key -> (name, seller_facts column)
    "segment": ("Segment", "segment"),
    "account_region": ("Account region", "account_region"),
}


def seller_metrics(inv: StoreInventory, period: Period) -> tuple[ir.Table, dict[str, list[str]]]:
    """Every available metric and book feature per CRM user, plus the outcome facts.

    Returns the table (user_id, person_employee_id, active_days, first_seen_at, the seller's own numbers
    (won_amount, n_won, n_lost, n_created, n_open, numbers_win_rate, quota?, attainment?), one column per available
    metric key, one per available book feature, segment?, account_region?) and, for each
    unavailable metric or feature, the "table.column" data it lacks.
    """
    if "crm_users" not in inv.tables or "opportunities" not in inv.tables:
        raise ValueError("The analytics store has no CRM users or no opportunities: import CRM data first.")
    facts = seller_facts(inv, period)
    columns: dict[str, ir.Value] = {}
    missing: dict[str, list[str]] = {}
    for metric in METRICS.values():
        lacking = inv.missing(metric.requires)
        if lacking:
            missing[metric.key] = lacking
            continue
        columns[metric.key] = metric.expression(facts).cast("float64")
    for feature in BOOK_FEATURES.values():
        lacking = inv.missing(feature.requires)
        if lacking:
            missing[f"feature:{feature.key}"] = lacking
            continue
        columns[f"feature_{feature.key}"] = feature.expression(facts).cast("float64")
    keep = ["user_id", "person_employee_id", "active_days", "first_seen_at", "won_amount", "n_won", "n_lost",
            "n_created", "n_open"]
    keep += [c for c in ("quota", "segment", "account_region", "n_activities") if c in facts.columns]
    columns["numbers_win_rate"] = win_rate_of(facts)
    if "quota" in facts.columns:
        columns["attainment"] = attainment_of(facts)
    # Ordered, so that every engine hands the sellers over in the same order and the statistics (clustering
    # samples in particular) come out the same for the same data.
    return facts.select(*keep, **columns).order_by("user_id"), missing
