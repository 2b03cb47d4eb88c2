"""HubSpot: CSV exports of owners, companies, contacts, deals and activities (calls, meetings, emails, tasks).

Headers may be property labels ("Deal Stage", "Close Date": HubSpot's default) or internal names (`dealstage`,
`closedate`: "export internal values"). Times may be ISO 8601 or epoch milliseconds. In label exports owners
appear by name or email; they are resolved to owner ids through the owners file.

Deal stages become open / won / lost from, in this order: the deal's own `hs_is_closed` / `hs_is_closed_won`
columns, the mapping file's `[hubspot.stages]`, then the default sales pipeline's stages. A stage known by none
of them is an error that names it. Stage history comes from `hs_date_entered_<stage>` columns and/or a property
history file (deal id, property, value, timestamp). Activities link to deals, companies and contacts through
association columns ("Associated Deal IDs", ...) and/or an associations file (from/to object type and id).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import ibis
import ibis.expr.types as ir

from crm import store
from crm.importing.errors import Issue
from crm.importing.fields import CALL_MILLISECONDS, EVENT_DAYS, EVENT_MINUTES, TEXT_LIMIT, Fields
from crm.importing.pipeline import Built, Pipeline
from crm.importing.sources import RawFile

DEFAULT_STAGES: dict[str, tuple[str, str]] = {
    # internal id -> (label, open|won|lost): HubSpot's default "Sales Pipeline"
    "appointmentscheduled": ("Appointment Scheduled", "open"),
    "qualifiedtobuy": ("Qualified To Buy", "open"),
    "presentationscheduled": ("Presentation Scheduled", "open"),
    "decisionmakerboughtin": ("Decision Maker Bought-In", "open"),
    "contractsent": ("Contract Sent", "open"),
    "closedwon": ("Closed Won", "won"),
    "closedlost": ("Closed Lost", "lost"),
}
CALL_DISPOSITIONS = {
    "9d9162e7-6cf3-4944-bf63-4dff82258764": "busy",
    "f240bbac-87c9-4f6e-bf70-924b57d47db7": "connected",
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff": "left_message",
    "b2cf5968-551e-4856-9783-52b3da59a7d0": "voicemail",
    "73a0d17f-1163-4015-bdd5-ec830791da20": "no_answer",
    "17b47fee-58de-441e-a44c-c6300d46f273": "wrong_number",
}
OUTCOME_LABELS = {"left_live_message": "left_message", "left_voicemail": "voicemail", "no_show": "no_show",
                  "cancelled": "canceled"}

ID = ("Record ID", "hs_object_id", "id", "Object ID")
OWNER = ("hubspot_owner_id", "Deal owner", "Contact owner", "Company owner", "Activity assigned to", "Call owner",
         "Meeting owner", "Email owner", "Task owner", "Owner", "HubSpot Owner", "Assigned to")
CREATED = ("createdate", "Create Date", "hs_createdate", "Created at", "Object create date/time")
DEAL_ASSOC = ("Associated Deal IDs", "Associated Deal ID", "associated_deal_ids", "Associated Deal",
              "associations.deals")
COMPANY_ASSOC = ("Associated Company IDs", "Associated Company ID", "Associated Company ID (Primary)",
                 "associatedcompanyid", "Primary Associated Company ID", "associated_company_ids",
                 "Associated Company", "associations.companies")
CONTACT_ASSOC = ("Associated Contact IDs", "Associated Contact ID", "associated_contact_ids", "Associated Contact",
                 "associations.contacts")

KINDS = ("owners", "companies", "contacts", "deals", "stage_history", "associations", "calls", "meetings", "emails",
         "tasks")
NAME_HINTS = {"owner": "owners", "user": "owners", "compan": "companies", "contact": "contacts",
              "history": "stage_history", "association": "associations", "deal": "deals", "call": "calls",
              "meeting": "meetings", "email": "emails", "task": "tasks"}


@dataclass
class Settings:
    stages: dict[str, str] = field(default_factory=dict)       # stage id or label (lower) -> open|won|lost
    stage_labels: dict[str, str] = field(default_factory=dict)  # stage id (lower) -> label
    zone: str = "UTC"


def detect_kind(raw: RawFile) -> str | None:
    """Which HubSpot export a file is: by its columns, then by its name."""
    has = raw.has
    if has("fromObjectId") or has("from_object_id") or has("from_id"):
        return "associations"
    if has("property") and has("value") and has("timestamp"):
        return "stage_history"
    if any(has(h) for h in ("hs_call_duration", "Call duration", "hs_call_direction", "Call direction",
                            "hs_call_disposition", "Call outcome")):
        return "calls"
    if any(has(h) for h in ("hs_meeting_outcome", "Meeting outcome", "hs_meeting_start_time",
                            "Meeting start time")):
        return "meetings"
    if any(has(h) for h in ("hs_email_direction", "Email direction", "hs_email_subject", "Email subject")):
        return "emails"
    if any(has(h) for h in ("hs_task_status", "Task status", "hs_task_subject", "Task Title", "Task type")):
        return "tasks"
    if any(has(h) for h in ("dealstage", "Deal Stage", "dealname", "Deal Name")):
        return "deals"
    if any(has(h) for h in ("userId", "User ID", "Owner ID")) and (has("email") or has("Email")):
        return "owners"
    if any(has(h) for h in ("jobtitle", "Job Title", "lastname", "Last Name")):
        return "contacts"
    if any(has(h) for h in ("Company name", "domain", "Company Domain Name", "industry", "Industry")):
        return "companies"
    stem = raw.name.rsplit(".", 1)[0].lower()
    return next((kind for hint, kind in NAME_HINTS.items() if hint in stem), None)


def plan(pipeline: Pipeline, paths: list[Path], mapping: Path | None = None) -> None:
    settings = _settings(pipeline, mapping)
    files: dict[str, list[RawFile]] = {}
    for path in paths:
        raw = pipeline.open(path, trim=False)
        if raw is None:
            continue
        kind = detect_kind(raw)
        if raw.has("Id") and (raw.has("OwnerId") or raw.has("StageName") or raw.has("Username")):
            pipeline.log.error(Issue(file=raw.name, row=1, message="looks like a Salesforce export: import it "
                                     "with Salesforce as the source"))
            continue
        if kind is None:
            pipeline.log.error(Issue(file=raw.name, row=1, message="is not a HubSpot export this importer knows "
                                     "(owners, companies, contacts, deals, calls, meetings, emails, tasks, "
                                     "deal stage history or associations)"))
            continue
        if not _has_id(pipeline, raw, kind):
            continue
        files.setdefault(kind, []).append(raw)
    if not files:
        if not pipeline.log.has_errors:
            pipeline.log.error(Issue(file="(upload)", message="no HubSpot export files were given"))
        return

    owners = _owner_lookup(pipeline, files.get("owners", []))
    for raw in files.get("owners", []):
        pipeline.add("crm_users", raw, _owners)
    for raw in files.get("companies", []):
        pipeline.add("accounts", raw, partial(_companies, owners=owners, settings=settings))
    for raw in files.get("contacts", []):
        pipeline.add("contacts", raw, partial(_contacts, owners=owners, settings=settings))
    for raw in files.get("deals", []):
        if pipeline.check_read(raw, partial(_stage_outcomes_known, pipeline, raw, settings)):
            pipeline.add("opportunities", raw, partial(_deals, owners=owners, settings=settings))
        else:
            pipeline.unreadable.add("opportunities")  # no follow-on errors about deals that were not loaded
        for header in raw.headers:
            stage = _entered_stage(header, settings)
            if stage is not None:
                pipeline.add("opportunity_stage_history", raw,
                              partial(_entered, header=header, stage=stage, settings=settings))
    for raw in files.get("stage_history", []):
        pipeline.add("opportunity_stage_history", raw, partial(_history_file, settings=settings))
    if files.get("stage_history") and files.get("deals"):
        pipeline.after_stage.append(_prefer_property_history)
    for kind in ("calls", "meetings", "emails", "tasks"):
        for raw in files.get(kind, []):
            pipeline.add("activities", raw, partial(_activities, kind=kind, owners=owners, settings=settings))
    for raw in files.get("associations", []):
        pipeline.after_stage.append(partial(_apply_associations, raw=raw))
    pipeline.after_stage.append(partial(_resolve_owners, owners=owners))
    if files.get("companies"):
        pipeline.after_stage.append(_ownership_from_companies)


# --- settings and lookups ---------------------------------------------------------------------------------------


def _settings(pipeline: Pipeline, mapping: Path | None) -> Settings:
    settings = Settings()
    for stage_id, (label, outcome) in DEFAULT_STAGES.items():
        settings.stages[stage_id] = outcome
        settings.stages[label.lower()] = outcome
        settings.stage_labels[stage_id] = label
    if mapping is None:
        return settings
    try:
        data = tomllib.loads(mapping.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        pipeline.log.error(Issue(file=mapping.name, message=f"is not a readable TOML file: {error}"))
        return settings
    section = data.get("hubspot", data)
    settings.zone = str(section.get("timezone", "UTC"))
    for key, value in (section.get("stages") or {}).items():
        outcome = value.get("outcome", "") if isinstance(value, dict) else value
        outcome = str(outcome)
        if outcome not in ("open", "won", "lost"):
            pipeline.log.error(Issue(file=mapping.name, column=f"hubspot.stages.{key}", value=str(value),
                                     message="must be open, won or lost (or a table with outcome and label)"))
            continue
        settings.stages[key.lower()] = outcome
        if isinstance(value, dict) and value.get("label"):
            settings.stage_labels[key.lower()] = str(value["label"])
            settings.stages[str(value["label"]).lower()] = outcome
    return settings


def _has_id(pipeline: Pipeline, raw: RawFile, kind: str) -> bool:
    if kind in ("associations", "stage_history"):
        return True
    if kind == "owners":
        return pipeline.require_headers(raw, [("id", "Owner ID", "ownerId")])
    return pipeline.require_headers(raw, [ID])


def _owner_lookup(pipeline: Pipeline, files: list[RawFile]) -> dict[str, str]:
    """Owner id, email and full name (lower case) -> owner id, for exports that show owners by name."""
    lookup: dict[str, str] = {}
    for raw in files:
        for row in pipeline.lookup(raw, _owners):
            owner_id = row["user_id"]
            if not owner_id:
                continue
            lookup[owner_id.lower()] = owner_id
            email, name = row.get("email"), row.get("name")
            for key in (email, name, f"{name} ({email})" if name and email else None):
                if key:
                    lookup.setdefault(str(key).lower(), owner_id)
    return lookup


def _owner(f: Fields, owners: dict[str, str]) -> ir.StringValue:
    """The owner as the file shows it; names and emails are replaced by owner ids after staging."""
    return f.text(f.pick(*OWNER))


def _resolve_owners(pipeline: Pipeline, owners: dict[str, str]) -> None:
    """Label exports show owners by name or email: swap those for owner ids in every staged owner column."""
    names = {key: owner_id for key, owner_id in owners.items() if key != owner_id.lower()}
    if not names:
        return
    con = pipeline.con
    lookup = store.staging_name(pipeline.import_id, "owner_names")
    con.create_table(lookup, ibis.memtable({"key": list(names), "owner_id": list(names.values())}))
    for table, column in (("accounts", "owner_user_id"), ("contacts", "owner_user_id"),
                          ("opportunities", "owner_user_id"), ("activities", "owner_user_id")):
        staged = pipeline.staged.get(table)
        if staged is None:
            continue
        t, lk, c = store.quote(con, staged), store.quote(con, lookup), store.quote(con, column)
        store.execute(con, f"UPDATE {t} SET {c} = l.owner_id FROM {lk} l WHERE lower({t}.{c}) = l.key")  # noqa: S608


def _first_id(f: Fields, headers: tuple[str, ...]) -> ir.StringValue:
    # A list of associated ids may be long (no text limit on it); only its first id is kept, and that is limited.
    header = f.pick(*headers)
    first = f.text(header, limit=None).re_extract(r"^\s*([^;,\s]+)", 1).nullif("")
    if header is not None:
        f.check(header, first.length() > TEXT_LIMIT, f"has a first id longer than {TEXT_LIMIT:,} characters")
    return first


def _time(f: Fields, settings: Settings, *headers: str, required: bool = False) -> ir.TimestampValue:
    return f.timestamp(f.pick(*headers), epoch_ms=True, zone=settings.zone, required=required)


def _snake(value: ir.StringValue) -> ir.StringValue:
    return value.lower().re_replace(r"[^a-z0-9]+", "_").re_replace(r"^_+|_+$", "").nullif("")


# --- objects ------------------------------------------------------------------------------------------------------


def _owners(f: Fields) -> Built:
    name = (f.text(f.pick("firstName", "First Name")).fill_null("") + " "
            + f.text(f.pick("lastName", "Last Name")).fill_null("")).strip().nullif("")
    archived = f.boolean(f.pick("archived", "Archived", "Deactivated"), true=("true", "yes", "1"),
                         false=("false", "no", "0"))
    return Built(
        values={
            "user_id": f.text(f.pick("id", "Owner ID", "ownerId"), required=True),
            "name": name.coalesce(f.text(f.pick("Name", "name"))),
            "email": f.text(f.pick("email", "Email"), lower=True),
            "employee_number": f.text(f.pick("Employee ID", "employee_id", "employeeNumber")),
            "title": f.text(f.pick("Job Title", "jobtitle", "title")),
            "department": f.text(f.pick("Team", "teams", "teamName", "Primary team")),
            "is_active": ~archived,
            "manager_user_id": ibis.null().cast("string"),
            "role_name": f.text(f.pick("Role", "role")),
        },
        keep=(f.text(f.pick("type", "Type"), lower=True).fill_null("person") != "queue")
        if f.pick("type", "Type") else None,
        skip_reason="queues are not people", headers={"user_id": "id"},
    )


def _companies(f: Fields, owners: dict[str, str], settings: Settings) -> Built:
    return Built(
        values={
            "account_id": f.text(f.pick(*ID), required=True),
            "name": f.text(f.pick("name", "Company name")),
            "owner_user_id": _owner(f, owners),
            "parent_account_id": f.text(f.pick("hs_parent_company_id", "Parent Company", "Parent Company ID")),
            "account_type": f.text(f.pick("type", "Type", "Company type")),
            "industry": f.text(f.pick("industry", "Industry")),
            "employees": f.integer(f.pick("numberofemployees", "Number of Employees")),
            "annual_revenue": f.money(f.pick("annualrevenue", "Annual Revenue")),
            "region": f.text(f.pick("state", "State/Region", "hs_region", "Region")),
            "country": f.text(f.pick("country", "Country/Region", "Country")),
            "segment": f.text(f.pick("segment", "Segment", "hs_ideal_customer_profile", "Ideal Customer Profile Tier")),
            "created_at": _time(f, settings, *CREATED),
        },
        headers={"account_id": f.pick(*ID) or "Record ID"},
    )


def _ownership_from_companies(pipeline: Pipeline) -> None:
    from crm.importing.salesforce import _ownership_from_accounts

    _ownership_from_accounts(pipeline)


def _contacts(f: Fields, owners: dict[str, str], settings: Settings) -> Built:
    return Built(
        values={
            "contact_id": f.text(f.pick(*ID), required=True),
            "account_id": _first_id(f, COMPANY_ASSOC),
            "owner_user_id": _owner(f, owners),
            "title": f.text(f.pick("jobtitle", "Job Title")),
            "created_at": _time(f, settings, *CREATED),
        },
        headers={"contact_id": f.pick(*ID) or "Record ID"},
    )


def _stage_outcomes_known(pipeline: Pipeline, raw: RawFile, settings: Settings) -> bool:
    """Every stage value of a deals file must map to open/won/lost; list the ones that do not."""
    stage_header = next((h for h in ("dealstage", "Deal Stage") if raw.has(h)), None)
    if stage_header is None:
        pipeline.log.error(Issue(file=raw.name, row=1, column="dealstage or Deal Stage",
                                 message="is a required column but the file has no such column"))
        return False
    if raw.has("hs_is_closed_won") or raw.has("Is Closed Won"):
        return True
    column = raw.table[raw.column_name(stage_header)].strip().nullif("")
    values = pipeline.con.to_pyarrow(raw.table.select(stage=column).distinct()).column("stage").to_pylist()
    unknown = sorted(v for v in values if v is not None and v.lower() not in settings.stages)
    for value in unknown:
        numbered = raw.numbered
        first = pipeline.first(numbered.filter(numbered[raw.column_name(stage_header)].strip() == value)
                               .select("_row").order_by("_row").limit(1))
        pipeline.log.error(Issue(
            file=raw.name, row=first.get("_row"), column=raw.header_of(raw.column_name(stage_header)),
            value=value[:200],
            message="is a deal stage outside HubSpot's default pipeline: say in the mapping file whether it is "
                    "open, won or lost ([hubspot.stages])"))
    return not unknown


def _outcome_of(stage: ir.StringValue, settings: Settings) -> ir.StringValue:
    return stage.lower().substitute(settings.stages, else_=ibis.null().cast("string"))


def _stage_label(stage: ir.StringValue, settings: Settings) -> ir.StringValue:
    return stage.lower().substitute(settings.stage_labels, else_=stage)


def _deals(f: Fields, owners: dict[str, str], settings: Settings) -> Built:
    stage = f.text(f.pick("dealstage", "Deal Stage"))
    outcome = _outcome_of(stage, settings)
    closed_col = f.pick("hs_is_closed", "Is Closed", "Is closed")
    won_col = f.pick("hs_is_closed_won", "Is Closed Won", "Is closed won")
    is_won = f.boolean(won_col, true=("true", "yes", "1"), false=("false", "no", "0")).coalesce(outcome == "won")
    is_closed = f.boolean(closed_col, true=("true", "yes", "1"), false=("false", "no", "0")).coalesce(
        outcome.isin(["won", "lost"]))
    kind = f.text(f.pick("dealtype", "Deal Type"), lower=True).replace(" ", "")
    forecast = _snake(f.text(f.pick("hs_manual_forecast_category", "Forecast category", "Forecast Category")))
    return Built(
        values={
            "opportunity_id": f.text(f.pick(*ID), required=True),
            "account_id": _first_id(f, COMPANY_ASSOC),
            "owner_user_id": _owner(f, owners),
            "name": f.text(f.pick("dealname", "Deal Name")),
            "amount": f.money(f.pick("amount", "Amount")),
            "currency": f.text(f.pick("deal_currency_code", "Currency")),
            "stage": _stage_label(stage, settings),
            "is_closed": is_closed,
            "is_won": is_won,
            "created_at": _time(f, settings, *CREATED),
            "close_date": _time(f, settings, "closedate", "Close Date").cast("date"),
            "opportunity_type": ibis.cases((kind.startswith("new"), "new"), (kind.startswith("existing"), "existing"),
                                           else_=ibis.null().cast("string")),
            "forecast_category": forecast.substitute({"omit": "omitted", "bestcase": "best_case"}, else_=forecast),
            "lead_source": f.text(f.pick("hs_analytics_source", "Original Source", "Original Source Type")),
        },
        headers={"opportunity_id": f.pick(*ID) or "Record ID"},
    )


_ENTERED = re.compile(r"^(hs_date_entered_(?P<id>.+)|date entered [\"“'](?P<label>.+?)(\s*\(.*\))?[\"”'])$", re.I)


def _entered_stage(header: str, settings: Settings) -> str | None:
    """The stage a `hs_date_entered_<stage>` / `Date entered "<Stage> (<Pipeline>)"` column records."""
    match = _ENTERED.match(header.strip())
    if match is None:
        return None
    if match.group("id"):
        return match.group("id")
    label = match.group("label").strip()
    by_label = {v.lower(): k for k, v in settings.stage_labels.items()}
    return by_label.get(label.lower(), label)


def _entered(f: Fields, header: str, stage: str, settings: Settings) -> Built:
    deal_id = f.text(f.pick(*ID), required=True)
    entered = _time(f, settings, header)
    return Built(
        values={
            "history_id": deal_id + ":" + stage,
            "opportunity_id": deal_id,
            "changed_at": entered,
            "stage": ibis.literal(settings.stage_labels.get(stage.lower(), stage)),
        },
        keep=entered.notnull(), headers={"opportunity_id": f.pick(*ID) or "Record ID", "history_id": header},
    )


def _history_file(f: Fields, settings: Settings) -> Built:
    deal_id = f.text(f.pick("objectId", "object_id", "deal_id", "Deal ID", *ID), required=True)
    changed = _time(f, settings, "timestamp", required=True)
    value = f.text("value")
    prop = f.text(f.pick("property", "Property"), lower=True)
    return Built(
        values={
            "history_id": (deal_id + ":" + value.fill_null("") + ":"
                           + changed.epoch_seconds().cast("int64").cast("string")),
            "opportunity_id": deal_id,
            "changed_at": changed,
            "stage": _stage_label(value, settings),
            "changed_by_user_id": f.text(f.pick("updatedByUserId", "sourceId")),
        },
        keep=prop.fill_null("dealstage") == "dealstage", skip_reason="changes of other properties than the stage",
        headers={"opportunity_id": "objectId", "history_id": "objectId + value + timestamp"},
    )


def _prefer_property_history(pipeline: Pipeline) -> None:
    """A deal in the property-history file has every stage change there (re-entries too): drop the first-entry
    dates the deals file also gives for it (ids `<deal>:<stage>`), keep them for deals the history lacks."""
    staged = pipeline.staged.get("opportunity_stage_history")
    if staged is None:
        return
    t = store.quote(pipeline.con, staged)
    store.execute(pipeline.con, f"DELETE FROM {t} WHERE history_id NOT LIKE '%:%:%' AND opportunity_id IN "  # noqa: S608
                                f"(SELECT opportunity_id FROM {t} WHERE history_id LIKE '%:%:%')")


def _activities(f: Fields, kind: str, owners: dict[str, str], settings: Settings) -> Built:
    occurred = _time(f, settings, "hs_timestamp", "Activity date", "Timestamp", "Meeting start time",
                     "hs_meeting_start_time", "Create date", "Created at", *CREATED)
    duration: ir.Value = ibis.null().cast("float64")
    outcome: ir.Value = ibis.null().cast("string")
    direction: ir.Value = ibis.null().cast("string")
    subject: ir.Value
    keep: ir.BooleanValue | None = None
    skip_reason = ""
    if kind == "calls":
        duration = f.number(f.pick("hs_call_duration", "Call duration", "Duration (ms)"),
                            bounds=CALL_MILLISECONDS) / 60000
        disposition = f.text(f.pick("hs_call_disposition", "Call outcome"), lower=True)
        outcome = disposition.substitute(CALL_DISPOSITIONS, else_=_snake(disposition))
        outcome = outcome.substitute(OUTCOME_LABELS, else_=outcome).coalesce(
            _snake(f.text(f.pick("hs_call_status", "Call status"))))
        direction = f.text(f.pick("hs_call_direction", "Call direction"), lower=True)
        direction = direction.isin(["inbound", "outbound"]).ifelse(direction, ibis.null().cast("string"))
        subject = f.text(f.pick("hs_call_title", "Call Title", "Call title"))
    elif kind == "meetings":
        start = _time(f, settings, "hs_meeting_start_time", "Meeting start time")
        end_header = f.pick("hs_meeting_end_time", "Meeting end time")
        end = _time(f, settings, "hs_meeting_end_time", "Meeting end time")
        duration = ((end.epoch_seconds() - start.epoch_seconds()) / 60).cast("float64")
        if end_header is not None:
            f.check(end_header, (duration < 0) | (duration > EVENT_MINUTES.high),
                    f"is before the meeting's start or more than {EVENT_DAYS} days after it")
        occurred = start.coalesce(occurred)
        outcome = _snake(f.text(f.pick("hs_meeting_outcome", "Meeting outcome")))
        outcome = outcome.substitute(OUTCOME_LABELS, else_=outcome)
        subject = f.text(f.pick("hs_meeting_title", "Meeting name", "Meeting title"))
    elif kind == "emails":
        way = f.text(f.pick("hs_email_direction", "Email direction"), lower=True)
        direction = ibis.cases((way.isin(["email", "sent", "outgoing", "outgoing email"]), "outbound"),
                               (way.isin(["incoming_email", "incoming email", "received"]), "inbound"),
                               else_=ibis.null().cast("string"))
        outcome = _snake(f.text(f.pick("hs_email_status", "Email status", "Email send status")))
        subject = f.text(f.pick("hs_email_subject", "Email subject"))
    else:
        outcome = _snake(f.text(f.pick("hs_task_status", "Task status")))
        subject = f.text(f.pick("hs_task_subject", "Task Title", "Task title"))
        # A task counts as an activity only once it is done (NOT_STARTED, IN_PROGRESS, WAITING are plans).
        keep = outcome.isnull() | (outcome == "completed")
        skip_reason = "tasks not done yet (open tasks are plans, not activities)"
    return Built(
        values={
            "activity_id": f.text(f.pick(*ID), required=True),
            "owner_user_id": _owner(f, owners),
            "activity_type": ibis.literal(kind.rstrip("s")),
            "occurred_at": occurred,
            "duration_minutes": duration,
            "account_id": _first_id(f, COMPANY_ASSOC),
            "opportunity_id": _first_id(f, DEAL_ASSOC),
            "contact_id": _first_id(f, CONTACT_ASSOC),
            "outcome": outcome,
            "direction": direction,
            "subject": subject,
        },
        keep=keep, skip_reason=skip_reason,
        headers={"activity_id": f.pick(*ID) or "Record ID"},
    )


# --- associations file -------------------------------------------------------------------------------------------

_OBJECT_TYPES = {"deal": "deal", "deals": "deal", "0-3": "deal", "company": "company", "companies": "company",
                 "0-2": "company", "contact": "contact", "contacts": "contact", "0-1": "contact",
                 "call": "activity", "calls": "activity", "0-48": "activity", "meeting": "activity",
                 "meetings": "activity", "0-47": "activity", "email": "activity", "emails": "activity",
                 "0-49": "activity", "task": "activity", "tasks": "activity", "0-27": "activity"}
# (table, key, column to fill, from kind, to kind)
_FILLS = (
    ("activities", "activity_id", "opportunity_id", "activity", "deal"),
    ("activities", "activity_id", "account_id", "activity", "company"),
    ("activities", "activity_id", "contact_id", "activity", "contact"),
    ("opportunities", "opportunity_id", "account_id", "deal", "company"),
    ("contacts", "contact_id", "account_id", "contact", "company"),
)


def _associations(f: Fields) -> Built:
    def kind(*headers: str) -> ir.StringValue:
        return f.text(f.pick(*headers), lower=True).substitute(_OBJECT_TYPES, else_=ibis.null().cast("string"))

    return Built(values={
        "from_kind": kind("fromObjectType", "from_object_type", "from_type"),
        "from_id": f.text(f.pick("fromObjectId", "from_object_id", "from_id"), required=True),
        "to_kind": kind("toObjectType", "to_object_type", "to_type"),
        "to_id": f.text(f.pick("toObjectId", "to_object_id", "to_id"), required=True),
    })


def _apply_associations(pipeline: Pipeline, raw: RawFile) -> None:
    """Fill the links an export's rows lack (activity -> deal/company/contact, deal/contact -> company)."""
    fields = Fields(raw, raw.table, pipeline.engine)
    built = _associations(fields)
    if not pipeline.require_headers(raw, [("fromObjectType", "from_object_type", "from_type"),
                                          ("toObjectType", "to_object_type", "to_type")]):
        return
    name = store.staging_name(pipeline.import_id, f"assoc_{abs(hash(raw.name)) % 10**8}")
    pipeline.con.create_table(name, raw.table.select(**built.values))
    assoc = pipeline.con.table(name)
    con, q = pipeline.con, (lambda n: store.quote(pipeline.con, n))
    for table, key, column, from_kind, to_kind in _FILLS:
        staged = pipeline.staged.get(table)
        if staged is None:
            continue
        pairs = assoc.filter((assoc.from_kind == from_kind) & (assoc.to_kind == to_kind))
        reverse = assoc.filter((assoc.from_kind == to_kind) & (assoc.to_kind == from_kind)).select(
            from_id=assoc.to_id, to_id=assoc.from_id)
        links = pairs.select("from_id", "to_id").union(reverse).group_by("from_id").aggregate(
            to_id=lambda t: t.to_id.min())
        links_name = f"{name}_{column}_{table}"
        con.create_table(links_name, links)
        store.execute(con, f"UPDATE {q(staged)} SET {q(column)} = l.to_id FROM {q(links_name)} l "  # noqa: S608
                           f"WHERE {q(staged)}.{q(key)} = l.from_id AND {q(staged)}.{q(column)} IS NULL")
