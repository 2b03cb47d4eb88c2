"""Salesforce: the CSV files Data Loader exports, exactly as it writes them.

Objects and files (any file name that contains the object's API name, e.g. `Opportunity.csv` or
`extract_OpportunityHistory.csv`; a file named otherwise is recognised by its columns):

    User, UserRole, Account, Contact, Opportunity, OpportunityHistory, OpportunityLineItem, Task, Event,
    ForecastingQuota (optional: quotas), Period (optional: the forecast periods quotas name by PeriodId)

Headers are API field names; ids are 15 or 18 characters (normalised to 18); datetimes are UTC ISO 8601,
dates yyyy-mm-dd, booleans true/false. Rows with IsDeleted = true ("Export All") are skipped, and so are child
events (IsChild = true: an invitee's copy of a meeting, counted once on the parent).
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import ibis
import ibis.expr.types as ir

from crm import store
from crm.importing.errors import Issue
from crm.importing.fields import CALL_SECONDS, EVENT_DAYS, EVENT_MINUTES, Fields, salesforce_id18
from crm.importing.pipeline import Built, Pipeline
from crm.importing.sources import RawFile
from crm.schema import TABLES, TS

# Object -> columns that must be present. Checked before any row is read.
REQUIRED: dict[str, list[str | tuple[str, ...]]] = {
    "User": ["Id"],
    "UserRole": ["Id", "Name"],
    "Account": ["Id"],
    "AccountHistory": ["AccountId", "Field", "NewValue", "CreatedDate"],
    "Contact": ["Id"],
    "Opportunity": ["Id", "OwnerId", "StageName", "IsClosed", "IsWon"],
    "OpportunityHistory": ["Id", "OpportunityId", "CreatedDate"],
    "OpportunityLineItem": ["Id", "OpportunityId"],
    "Task": ["Id", "OwnerId", ("CompletedDateTime", "ActivityDate", "CreatedDate")],
    "Event": ["Id", "OwnerId", ("StartDateTime", "ActivityDateTime", "ActivityDate")],
    "ForecastingQuota": ["QuotaOwnerId", "StartDate", "QuotaAmount"],
    "Period": ["Id", "StartDate", "EndDate"],
}
OBJECTS = sorted(REQUIRED, key=len, reverse=True)


def detect_object(raw: RawFile) -> str | None:
    """Which Salesforce object a file holds: by its name first, then by the columns only that object has."""
    stem = re.sub(r"[^a-z]", "", raw.name.rsplit(".", 1)[0].lower())
    for name in OBJECTS:
        key = name.lower()
        if stem == key or stem.startswith(key) or stem.endswith(key):
            return name
    has = raw.has
    if has("AccountId") and has("Field") and has("NewValue"):
        return "AccountHistory"
    if has("QuotaOwnerId"):
        return "ForecastingQuota"
    if has("FiscalYearSettingsId") or has("IsForecastPeriod"):
        return "Period"
    if has("Username"):
        return "User"
    if has("ParentRoleId"):
        return "UserRole"
    if has("OpportunityId") and (has("UnitPrice") or has("Quantity") or has("PricebookEntryId")):
        return "OpportunityLineItem"
    if has("OpportunityId") and has("StageName"):
        return "OpportunityHistory"
    if has("StageName") and has("IsWon"):
        return "Opportunity"
    if has("TaskSubtype") or (has("Status") and has("WhoId") and has("ActivityDate")):
        return "Task"
    if has("DurationInMinutes") or has("StartDateTime"):
        return "Event"
    if has("Industry") or has("BillingCountry") or has("NumberOfEmployees"):
        return "Account"
    if has("LastName") and has("AccountId"):
        return "Contact"
    return None


UNKNOWN_FILE = ("is not a Salesforce export this importer knows (name the file after its object, e.g. "
                "Opportunity.csv; expected objects: " + ", ".join(sorted(REQUIRED)) + ")")
HUBSPOT_FILE = "looks like a HubSpot export: import it with HubSpot as the source"


def plan(pipeline: Pipeline, paths: list[Path], mapping: Path | None = None) -> None:
    """Register every recognised file with the pipeline. A file that is no Salesforce object (an HR roster saved
    in the export folder) is listed as not read, as the mapped importer does, and the rest is imported; only when
    no file is a Salesforce export is each one an error."""
    opened: dict[str, list[RawFile]] = {}
    unknown: list[tuple[str, str]] = []  # file, why it was not read
    recognised = 0
    for path in paths:
        raw = pipeline.open(path, trim=False)
        if raw is None:
            recognised += 1  # unreadable: the pipeline has reported it, and the import fails on it
            continue
        obj = detect_object(raw)
        if not raw.has("Id") and any(raw.has(h) for h in ("Record ID", "hs_object_id", "hubspot_owner_id")):
            unknown.append((raw.name, HUBSPOT_FILE))
            continue
        if obj is None:
            unknown.append((raw.name, UNKNOWN_FILE))
            continue
        recognised += 1
        if pipeline.require_headers(raw, REQUIRED[obj]):
            opened.setdefault(obj, []).append(raw)
    for name, why in unknown:
        if recognised:
            pipeline.log.warn(f"{name} was not read: it {why}.")
        else:
            pipeline.log.error(Issue(file=name, row=1, message=why))
    if not opened:
        if not pipeline.log.has_errors:
            pipeline.log.error(Issue(file="(upload)", message="no Salesforce export files were given"))
        return

    if opened.get("ForecastingQuota") or opened.get("Period"):
        opened["ForecastingQuota"] = _with_quota_ends(pipeline, opened.get("ForecastingQuota", []),
                                                      opened.get("Period", []))
    roles = pipeline.stage_lookup("roles", opened.get("UserRole", []), _roles, key="id")
    if roles is not None:
        opened["User"] = [
            pipeline.join_lookup(raw, roles, key="id", on=_role_id) if raw.has("UserRoleId") else raw
            for raw in opened.get("User", [])
        ]
    builders = {
        "User": ("crm_users", _users),
        "Account": ("accounts", _accounts),
        "Contact": ("contacts", _contacts),
        "Opportunity": ("opportunities", _opportunities),
        "OpportunityHistory": ("opportunity_stage_history", _history),
        "OpportunityLineItem": ("opportunity_line_items", _line_items),
        "Task": ("activities", _tasks),
        "Event": ("activities", _events),
        "ForecastingQuota": ("quotas", _quotas),
    }
    for obj, (table, build) in builders.items():
        for raw in opened.get(obj, []):
            pipeline.add(table, raw, build)
    if opened.get("Account") or opened.get("AccountHistory"):
        pipeline.after_stage.append(partial(_ownership, history=opened.get("AccountHistory", [])))


# --- shared pieces ---------------------------------------------------------------------------------------------


def _not_deleted(f: Fields) -> ir.BooleanValue | None:
    if not f.has("IsDeleted"):
        return None
    return f.boolean("IsDeleted").fill_null(False) == False  # noqa: E712 - SQL comparison


def _name(f: Fields) -> ir.StringValue:
    full = (f.text("FirstName").fill_null("") + " " + f.text("LastName").fill_null("")).strip().nullif("")
    return f.text("Name").coalesce(full)


def _forecast_category(f: Fields, *headers: str) -> ir.StringValue:
    key = f.text(f.pick(*headers), lower=True).replace(" ", "").replace("_", "")
    return key.substitute({"pipeline": "pipeline", "bestcase": "best_case", "commit": "commit",
                           "forecast": "commit", "mostlikely": "most_likely", "closed": "closed",
                           "omitted": "omitted"}, else_=key)


def _opportunity_type(f: Fields) -> ir.StringValue:
    kind = f.text("Type", lower=True)
    # Existing-business words first: "Renewal" and "Contract Renewal" contain "new" but are existing business.
    return ibis.cases(
        (kind.re_search("existing|renew|upsell|upgrade|expansion|cross|add-on|downgrade"), "existing"),
        (kind.contains("new"), "new"),
        else_=ibis.null().cast("string"),
    )


def _prefixed(value: ir.StringValue, prefix: str) -> ir.StringValue:
    return value.startswith(prefix).ifelse(value, ibis.null().cast("string"))


def _snake(value: ir.StringValue) -> ir.StringValue:
    # Picklist values ("Not Started", "Left voicemail"): plain replaces, cheaper than a regular expression.
    return value.lower().replace(" - ", "_").replace(" ", "_").replace("-", "_").replace("/", "_")


# --- objects ----------------------------------------------------------------------------------------------------


def _roles(f: Fields) -> Built:
    return Built(values={"id": f.salesforce_id("Id", required=True), "name": f.text("Name")})


def _role_id(f: Fields) -> ir.StringValue:
    return f.salesforce_id("UserRoleId")


def _users(f: Fields) -> Built:
    # A `UserRole.Name` column (a report or a query across the relationship) names the role itself; otherwise
    # the name is UserRole.csv's for the user's role id, joined in by `plan` (null for an id it does not list).
    _role_id(f)  # checked like every id, though only the join reads it
    role_name = f.text(f.pick("UserRole.Name"))
    from_roles_file = f.looked_up("name")
    if from_roles_file is not None:
        role_name = role_name.coalesce(from_roles_file)
    return Built(
        values={
            "user_id": f.salesforce_id("Id", required=True),
            "name": _name(f),
            "email": f.text("Email", lower=True),
            "employee_number": f.text("EmployeeNumber"),
            "title": f.text("Title"),
            "department": f.text("Department"),
            "is_active": f.boolean("IsActive"),
            "manager_user_id": f.salesforce_id("ManagerId"),
            "role_name": role_name,
        },
        headers={"user_id": "Id"},
    )


def _accounts(f: Fields) -> Built:
    return Built(
        values={
            "account_id": f.salesforce_id("Id", required=True),
            "name": f.text("Name"),
            "owner_user_id": f.salesforce_id("OwnerId"),
            "parent_account_id": f.salesforce_id("ParentId"),
            "account_type": f.text("Type"),
            "industry": f.text("Industry"),
            "employees": f.integer("NumberOfEmployees"),
            "annual_revenue": f.money("AnnualRevenue"),
            "region": f.text(f.pick("Region__c", "Sales_Region__c", "BillingState")),
            "country": f.text("BillingCountry"),
            "segment": f.text(f.pick("Segment__c", "Sales_Segment__c", "Customer_Segment__c")),
            "created_at": f.timestamp("CreatedDate"),
        },
        keep=_not_deleted(f), skip_reason="deleted records", headers={"account_id": "Id",
                                                                     "parent_account_id": "ParentId"},
    )


def _ownership_from_accounts(pipeline: Pipeline) -> None:
    """Without an ownership history, each account's current owner owns it from the account's creation."""
    _ownership(pipeline, history=[])


def _account_history(f: Fields) -> Built:
    """AccountHistory rows that record a change of owner (the row with user ids, not the one with names)."""

    def user(header: str) -> ir.StringValue:
        text = f.clean(header)
        looks_like_user = text.length().isin([15, 18]) & text.startswith("005")
        return looks_like_user.ifelse(salesforce_id18(text), ibis.null().cast("string"))

    new_owner = user("NewValue")
    keep = (f.text("Field", lower=True) == "owner") & new_owner.notnull()
    deleted = _not_deleted(f)
    return Built(
        values={
            "account_id": f.salesforce_id("AccountId", required=True),
            "changed_at": f.timestamp("CreatedDate", required=True),
            "old_owner": user("OldValue"),
            "new_owner": new_owner,
        },
        keep=keep if deleted is None else keep & deleted,
    )


def _ownership(pipeline: Pipeline, *, history: list[RawFile]) -> None:
    """Account ownership over time: from AccountHistory's owner changes where exported, otherwise each account's
    current owner from the account's creation."""
    accounts = pipeline.staged_table("accounts")
    if accounts is None:
        accounts = pipeline.live_table("accounts")
    current = accounts.filter(accounts.owner_user_id.notnull() & accounts.created_at.notnull()).select(
        account_id=accounts.account_id, owner_user_id=accounts.owner_user_id, valid_from=accounts.created_at,
        valid_to=ibis.null().cast(TS),
    )
    if not history:
        if pipeline.staged_table("accounts") is not None:
            pipeline.stage_rows("account_ownership", current)
        return
    selects = []
    for raw in history:
        if not pipeline.lookup_valid(raw, _account_history):
            return
        built = _account_history(Fields(raw, raw.table, pipeline.engine))
        table = raw.table.filter(built.keep) if built.keep is not None else raw.table
        selects.append(table.select(**built.values))
    name = store.staging_name(pipeline.import_id, "owner_changes")
    pipeline.con.create_table(name, ibis.union(*selects) if len(selects) > 1 else selects[0])
    changes = pipeline.con.table(name)
    window = ibis.window(group_by=changes.account_id, order_by=changes.changed_at)
    after_each = changes.select(
        account_id=changes.account_id, owner_user_id=changes.new_owner, valid_from=changes.changed_at,
        valid_to=changes.changed_at.lead().over(window),
    )
    first = changes.mutate(n=ibis.row_number().over(window)).filter(lambda t: t.n == 0)
    before_first = first.join(accounts, first.account_id == accounts.account_id).filter(
        lambda t: t.old_owner.notnull() & t.created_at.notnull() & (t.created_at < t.changed_at)
    ).select(account_id="account_id", owner_user_id="old_owner", valid_from="created_at", valid_to="changed_at")
    untouched = current.anti_join(changes, "account_id")
    schema = TABLES["account_ownership"]
    rows = ibis.union(*(t.select(**{c: t[c].cast(schema[c]) for c in schema.names})
                        for t in (untouched, after_each, before_first)))
    # Two changes recorded at the same instant keep one row (the key is account and start).
    rows = rows.group_by(["account_id", "valid_from"]).aggregate(
        owner_user_id=rows.owner_user_id.max(), valid_to=rows.valid_to.max())
    pipeline.stage_rows("account_ownership", rows)


def _contacts(f: Fields) -> Built:
    return Built(
        values={
            "contact_id": f.salesforce_id("Id", required=True),
            "account_id": f.salesforce_id("AccountId"),
            "owner_user_id": f.salesforce_id("OwnerId"),
            "title": f.text("Title"),
            "created_at": f.timestamp("CreatedDate"),
        },
        keep=_not_deleted(f), skip_reason="deleted records", headers={"contact_id": "Id"},
    )


def _opportunities(f: Fields) -> Built:
    return Built(
        values={
            "opportunity_id": f.salesforce_id("Id", required=True),
            "account_id": f.salesforce_id("AccountId"),
            "owner_user_id": f.salesforce_id("OwnerId", required=True),
            "name": f.text("Name"),
            "amount": f.money("Amount"),
            "currency": f.text("CurrencyIsoCode"),
            "stage": f.text("StageName", required=True),
            "is_closed": f.boolean("IsClosed", required=True),
            "is_won": f.boolean("IsWon", required=True),
            "created_at": f.timestamp("CreatedDate"),
            "close_date": f.date("CloseDate"),
            "opportunity_type": _opportunity_type(f),
            "forecast_category": _forecast_category(f, "ForecastCategoryName", "ForecastCategory"),
            "lead_source": f.text("LeadSource"),
        },
        keep=_not_deleted(f), skip_reason="deleted records", headers={"opportunity_id": "Id",
                                                                     "account_id": "AccountId"},
    )


def _history(f: Fields) -> Built:
    return Built(
        values={
            "history_id": f.salesforce_id("Id", required=True),
            "opportunity_id": f.salesforce_id("OpportunityId", required=True),
            "changed_at": f.timestamp("CreatedDate", required=True),
            "stage": f.text("StageName"),
            "amount": f.money("Amount"),
            "close_date": f.date("CloseDate"),
            "forecast_category": _forecast_category(f, "ForecastCategory", "ForecastCategoryName"),
            "probability": f.number("Probability"),
            "changed_by_user_id": f.salesforce_id("CreatedById"),
        },
        keep=_not_deleted(f), skip_reason="deleted records",
        headers={"history_id": "Id", "opportunity_id": "OpportunityId"},
    )


def _line_items(f: Fields) -> Built:
    return Built(
        values={
            "line_item_id": f.salesforce_id("Id", required=True),
            "opportunity_id": f.salesforce_id("OpportunityId", required=True),
            "product_code": f.text(f.pick("ProductCode", "Product2.ProductCode")),
            "product_name": f.text(f.pick("Product2.Name", "Name")),
            "quantity": f.number("Quantity"),
            "unit_price": f.money("UnitPrice"),
            "total_price": f.money("TotalPrice"),
        },
        keep=_not_deleted(f), skip_reason="deleted records",
        headers={"line_item_id": "Id", "opportunity_id": "OpportunityId"},
    )


def _activity_links(f: Fields) -> dict[str, ir.Value]:
    what = f.salesforce_id("WhatId")
    who = f.salesforce_id("WhoId")
    return {
        "account_id": f.salesforce_id("AccountId").coalesce(_prefixed(what, "001")),
        "opportunity_id": _prefixed(what, "006"),
        "contact_id": _prefixed(who, "003"),
    }


_OUTCOMES = {"left_voicemail": "voicemail", "left_a_voicemail": "voicemail", "voicemail": "voicemail",
             "no_answer": "no_answer", "noanswer": "no_answer", "connected": "connected", "busy": "busy",
             "left_live_message": "left_message", "wrong_number": "wrong_number"}


def _tasks(f: Fields) -> Built:
    subtype = f.text("TaskSubtype", lower=True)
    kind = f.text("Type", lower=True)
    activity_type = ibis.cases(
        (subtype == "call", "call"),
        (subtype.isin(["email", "listemail"]), "email"),
        (kind.startswith("call"), "call"),
        (kind.startswith("email") | kind.startswith("e-mail"), "email"),
        (kind.contains("meeting"), "meeting"),
        else_="task",
    )
    disposition = _snake(f.text("CallDisposition"))
    outcome = disposition.substitute(_OUTCOMES, else_=disposition).coalesce(_snake(f.text("Status")))
    occurred = f.timestamp("CompletedDateTime").coalesce(
        f.date("ActivityDate").cast(TS), f.timestamp("CreatedDate"))
    direction = f.text("CallType", lower=True)
    return Built(
        values={
            "activity_id": f.salesforce_id("Id", required=True),
            "owner_user_id": f.salesforce_id("OwnerId", required=True),
            "activity_type": activity_type,
            "occurred_at": occurred,
            "duration_minutes": f.number("CallDurationInSeconds", bounds=CALL_SECONDS) / 60,
            **_activity_links(f),
            "outcome": outcome,
            "direction": direction.isin(["inbound", "outbound"]).ifelse(direction, ibis.null().cast("string")),
            "subject": f.text("Subject"),
        },
        keep=_and(_not_deleted(f), _completed(f)),
        skip_reason="deleted records and tasks not done yet (open tasks are plans, not activities)",
        headers={"activity_id": "Id"},
    )


def _completed(f: Fields) -> ir.BooleanValue | None:
    """A task counts as an activity only once it is done: IsClosed where the export has it, else its Status.
    A task with neither (a call logged without a status) counts, as it always did."""
    done: ir.BooleanValue | None = None
    if f.has("IsClosed"):
        done = f.boolean("IsClosed")
    if f.has("Status"):
        status = f.text("Status", lower=True)
        by_status = status.isnull().ifelse(
            ibis.null().cast("boolean"), status.isin(["completed", "complete", "done", "closed"]))
        done = by_status if done is None else done.coalesce(by_status)
    return None if done is None else done.fill_null(True)


def _and(*conditions: ir.BooleanValue | None) -> ir.BooleanValue | None:
    present = [condition for condition in conditions if condition is not None]
    if not present:
        return None
    combined = present[0]
    for condition in present[1:]:
        combined = combined & condition
    return combined


def _events(f: Fields) -> Built:
    kind = f.text("Type", lower=True)
    start = f.timestamp("StartDateTime").coalesce(
        f.timestamp("ActivityDateTime"), f.date("ActivityDate").cast(TS))
    end = f.timestamp("EndDateTime")
    from_end = (end.epoch_seconds() - start.epoch_seconds()) / 60
    given = f.number("DurationInMinutes", bounds=EVENT_MINUTES)
    if f.has("EndDateTime"):
        f.check("EndDateTime", given.isnull() & ((from_end < 0) | (from_end > EVENT_MINUTES.high)),
                f"is before the event's start or more than {EVENT_DAYS} days after it")
    keep = _and(_not_deleted(f), f.boolean("IsChild").fill_null(False) == False  # noqa: E712
                if f.has("IsChild") else None)
    return Built(
        values={
            "activity_id": f.salesforce_id("Id", required=True),
            "owner_user_id": f.salesforce_id("OwnerId", required=True),
            "activity_type": ibis.cases((kind.startswith("call"), "call"), (kind.startswith("email"), "email"),
                                        else_="meeting"),
            "occurred_at": start,
            "duration_minutes": given.coalesce(from_end.cast("float64")),
            **_activity_links(f),
            "outcome": ibis.null().cast("string"),
            "direction": ibis.null().cast("string"),
            "subject": f.text("Subject"),
        },
        keep=keep, skip_reason="deleted records and invitees' copies of events (IsChild)",
        headers={"activity_id": "Id"},
    )


# --- quotas ------------------------------------------------------------------------------------------------------
#
# ForecastingQuota has a StartDate but no end: a quota covers its forecast period, whose length is a setting of
# the org (monthly or quarterly). Each quota's end comes from the first of: an EndDate column (a sheet prepared by
# hand), the Period.csv row its PeriodId names, or the spacing of its owner's quotas (`_quota_ends`).

# Period lengths a quota can have, in months (Salesforce's Month, Quarter and Year periods); the default is one
# quarter, Salesforce's default forecast period.
QUOTA_MONTHS = {1: "monthly", 3: "quarterly", 12: "yearly"}
DEFAULT_QUOTA_MONTHS = 3
_DAYS_PER_MONTH = 365.25 / 12
# How far (days) the gap to the next quota may be from a whole month, quarter or year and still count as one:
# fiscal months of 4-4-5 calendars are 28 or 35 days, their years 364 or 371.
_SPACING_SLACK_DAYS = 7


def _periods(f: Fields) -> Built:
    start = f.date("StartDate", required=True)
    end = f.date("EndDate", required=True)
    f.check("EndDate", end < start, "is before the period's StartDate")
    return Built(values={"id": f.salesforce_id("Id", required=True), "period_start": start, "period_end": end})


def _period_id(f: Fields) -> ir.StringValue:
    return f.salesforce_id("PeriodId")


def _quota_start(f: Fields) -> ir.DateValue:
    return f.date("StartDate", required=True)


def _quota_end_given(f: Fields, start: ir.DateValue) -> ir.DateValue:
    """The quota's own EndDate, else the end of the Period.csv period its PeriodId names (when that period holds
    its StartDate); null when neither says."""
    end = f.date("EndDate")
    if f.has("EndDate"):
        f.check("EndDate", end < start, "is before the quota's StartDate")
    period_start, period_end = f.looked_up("period_start"), f.looked_up("period_end")
    if period_start is None or period_end is None:
        return end
    holds_start = (start >= period_start) & (start <= period_end)
    return end.coalesce(holds_start.ifelse(period_end, ibis.null().cast("date")))


def _quota_owner(f: Fields) -> ir.StringValue:
    return f.salesforce_id("QuotaOwnerId", required=True)


def _forecast_type(f: Fields) -> ir.StringValue:
    return f.text("ForecastingTypeId").fill_null("")


def _quota_key(f: Fields) -> ir.StringValue:
    return _joined_key(_quota_owner(f), _forecast_type(f), _quota_start(f))


def _joined_key(owner: ir.StringValue, forecast_type: ir.StringValue, start: ir.DateValue) -> ir.StringValue:
    """Owner, forecast type and start in one value: what the inferred ends are joined back on."""
    return owner + "|" + forecast_type + "|" + start.cast("string")


def _quota_keep(f: Fields) -> ir.BooleanValue | None:
    return f.boolean("IsAmount").fill_null(True) if f.has("IsAmount") else None


def _quota_starts(f: Fields) -> Built:
    owner, forecast_type, start = _quota_owner(f), _forecast_type(f), _quota_start(f)
    return Built(
        values={
            "key": _joined_key(owner, forecast_type, start),
            "owner": owner,
            "forecast_type": forecast_type,
            "start": start,
            "given_end": _quota_end_given(f, start),
            "period_id": _period_id(f),
        },
        keep=_quota_keep(f),
    )


def _quota_ends(starts: ir.Table) -> ir.Table:
    """Each quota's end (`quota_end`): the one given, else the day before the owner's next quota when that starts
    a month, a quarter or a year later (give or take a week), else the owner's usual spacing (the most common of
    those, the shorter on a tie; one quarter when there is none). An owner is a quota owner and forecast type.

    A gap of any other length (a quarter missing between two quarterly quotas) is not read as one long quota: the
    quota before it gets the usual spacing. Returns key, owner, usual_months (null when there is no usual
    spacing), given_end, period_id and quota_end."""
    owner = ["owner", "forecast_type"]
    following = starts.start.lead().over(ibis.window(group_by=owner, order_by=starts.start))
    days = following.delta(starts.start, unit="day")
    months = (days.cast("float64") / _DAYS_PER_MONTH).round().cast("int64")
    regular = months.isin(list(QUOTA_MONTHS)) & (
        (days.cast("float64") - months.cast("float64") * _DAYS_PER_MONTH).abs() <= _SPACING_SLACK_DAYS)
    spaced = starts.mutate(following=following, months=regular.ifelse(months, ibis.null().cast("int64")))
    gaps = spaced.filter(spaced.months.notnull())
    counts = gaps.group_by([*owner, "months"]).aggregate(n=gaps.count())
    rank = ibis.row_number().over(ibis.window(group_by=owner, order_by=[ibis.desc("n"), "months"]))
    usual = counts.mutate(rank=rank).filter(lambda t: t.rank == 0).select(*owner, usual_months="months")
    joined = spaced.left_join(usual, owner)
    start, length = joined.start, joined.usual_months.fill_null(DEFAULT_QUOTA_MONTHS)
    after_usual = ibis.cases(
        *((length == n, start + ibis.interval(months=n)) for n in QUOTA_MONTHS if n != DEFAULT_QUOTA_MONTHS),
        else_=start + ibis.interval(months=DEFAULT_QUOTA_MONTHS),
    )
    until = joined.months.notnull().ifelse(joined.following, after_usual)
    inferred = (until - ibis.interval(days=1)).cast("date")
    return joined.select("key", "owner", "usual_months", "given_end", "period_id",
                         quota_end=joined.given_end.coalesce(inferred))


def _with_quota_ends(pipeline: Pipeline, quotas: list[RawFile], period_files: list[RawFile]) -> list[RawFile]:
    """The quota files with each quota's end beside it (`quota_end`, read by `_quotas`), and a note saying how
    ends were inferred where neither an EndDate nor Period.csv gave them."""
    periods = pipeline.stage_lookup("periods", period_files, _periods, key="id")
    if period_files and periods is None:
        return quotas  # Period.csv has bad values: the import fails with them
    if periods is not None:
        quotas = [pipeline.join_lookup(raw, periods, key="id", on=_period_id) if raw.has("PeriodId") else raw
                  for raw in quotas]
    starts = pipeline.stage_lookup("quota_starts", quotas, _quota_starts, key="key")
    if starts is None:
        return quotas
    name = store.staging_name(pipeline.import_id, "quota_ends")
    pipeline.con.create_table(name, _quota_ends(starts))
    ends = pipeline.con.table(name)
    _say_how_quotas_end(pipeline, ", ".join(raw.name for raw in quotas), ends, periods=periods is not None,
                        end_column=any(raw.has("EndDate") for raw in quotas))
    return [pipeline.join_lookup(raw, ends.select("key", "quota_end"), key="key", on=_quota_key) for raw in quotas]


def _say_how_quotas_end(pipeline: Pipeline, files: str, ends: ir.Table, *, periods: bool,
                        end_column: bool) -> None:
    """A warning for PeriodIds that Period.csv does not resolve, and a note with how many owners' quotas were
    given which length, when some ends were inferred."""
    if periods:
        unknown = ends.filter(ends.period_id.notnull() & ends.given_end.isnull())
        found = pipeline.first(unknown.aggregate(n=unknown.count(), example=unknown.period_id.min()))
        if found.get("n"):
            pipeline.log.warn(
                f"{found['n']:,} quota(s) in {files} have a PeriodId that Period.csv does not list, or lists with "
                f"dates that do not hold the quota's StartDate (for example {found['example']}); their ends were "
                f"inferred as for quotas without a period.")
    inferred = ends.filter(ends.given_end.isnull())
    rows = pipeline.con.to_pyarrow(inferred.group_by("usual_months").aggregate(
        quotas=inferred.count(), owners=inferred.owner.nunique())).to_pylist()
    if not rows:
        return
    owners = {row["usual_months"]: int(row["owners"]) for row in rows}
    regular = ", ".join(f"{label} for {_owners(owners[n])}" for n, label in QUOTA_MONTHS.items() if n in owners)
    spacings = [regular] if regular else []
    if None in owners:
        spacings.append(f"one quarter for {_owners(owners[None])} with no regular spacing")
    if not end_column and not periods:
        why = f"{files} has no EndDate and there is no Period.csv"
    else:
        missing = " or ".join(what for what, given in (("EndDate", end_column), ("period in Period.csv", periods))
                              if given)
        why = f"{sum(int(row['quotas']) for row in rows):,} quota(s) in {files} have no {missing}"
    pipeline.log.note(f"{why}: each quota runs to the day before its owner's next one, the last one as long as "
                      f"the owner's usual spacing ({'; '.join(spacings)}).")


def _owners(n: int) -> str:
    return f"{n:,} owner" + ("" if n == 1 else "s")


def _quotas(f: Fields) -> Built:
    start = _quota_start(f)
    # The end `_with_quota_ends` worked out (the given one first); without it (the quota files did not stage),
    # the given one, whose values this checks again.
    end = f.looked_up("quota_end")
    return Built(
        values={
            "user_id": _quota_owner(f),
            "period_start": start,
            "period_end": end if end is not None else _quota_end_given(f, start),
            "amount": f.money("QuotaAmount", required=True),
            "currency": f.text("CurrencyIsoCode"),
        },
        keep=_quota_keep(f), skip_reason="quantity (not amount) quotas",
        headers={"user_id": "QuotaOwnerId", "period_start": "StartDate"},
    )
