"""HubSpot export: owners, companies, contacts, deals and engagements as CSV with internal property names.

The same simulated records as the Salesforce export, written the way HubSpot's exports with "internal values"
look (docs/imports.md): numeric record ids, ISO 8601 UTC dates (engagement `hs_timestamp` in epoch
milliseconds, as the engagements API gives it), the default sales pipeline's stage ids,
`hs_date_entered_<stage>`
columns for stage history, and association columns (`associated_company_ids`, ...). HubSpot has no amount or
close-date history in an export and no manager line, so those observables are absent. Quotas are not a HubSpot
export: they are written to quotas/quotas.csv with a mapping file for the mapped-CSV importer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from demo.generator import formatting as f
from demo.generator.activities import SUBJECT_LIST
from demo.generator.model import (
    CALL,
    COMPANY_SUFFIXES,
    COMPANY_WORDS_A,
    COMPANY_WORDS_B,
    CONTACT_FIRST,
    CONTACT_LAST,
    CONTACT_TITLES,
    EMAIL,
    GEO,
    INDUSTRIES,
    MEETING,
    TASK,
)
from demo.generator.plan import DAY, Plan
from demo.generator.records import Records
from demo.generator.simulate import OPPORTUNITY_LABELS

# Salesforce-style stage index -> HubSpot default pipeline stage.
HUBSPOT_STAGES: tuple[str, ...] = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)
STAGE_MAP = np.array([0, 1, 1, 2, 3, 3, 4, 4, 5, 6])
STAGE_PROBABILITY = ("0.2", "0.4", "0.6", "0.8", "0.9", "1.0", "0.0")
FORECAST = ("PIPELINE", "BEST_CASE", "COMMIT", "CLOSED", "OMIT")
# (hs_call_status, hs_call_disposition GUID) per call result (Connected, Left voicemail, No answer, Busy).
CALL_STATUS = ("COMPLETED", "COMPLETED", "NO_ANSWER", "BUSY")
CALL_DISPOSITION = (
    "f240bbac-87c9-4f6e-bf70-924b57d47db7",
    "b2cf5968-551e-4856-9783-52b3da59a7d0",
    "73a0d17f-1163-4015-bdd5-ec830791da20",
    "9d9162e7-6cf3-4944-bf63-4dff82258764",
)
OWNER_BASE = 40_000_000
USER_BASE = 9_000_000
ASSOCIATIONS = ("associated_contact_ids", "associated_company_ids", "associated_deal_ids")
ENGAGEMENT = ("hs_object_id", "hs_timestamp", "hubspot_owner_id")
FILES: dict[str, tuple[str, ...]] = {
    "owners.csv": (
        "id",
        "email",
        "firstName",
        "lastName",
        "userId",
        "type",
        "archived",
        "teams",
        "createdAt",
        "updatedAt",
    ),
    "companies.csv": (
        "hs_object_id",
        "name",
        "domain",
        "hubspot_owner_id",
        "lifecyclestage",
        "type",
        "industry",
        "numberofemployees",
        "annualrevenue",
        "city",
        "state",
        "country",
        "hs_parent_company_id",
        "createdate",
    ),
    "contacts.csv": (
        "hs_object_id",
        "firstname",
        "lastname",
        "email",
        "jobtitle",
        "hubspot_owner_id",
        "associatedcompanyid",
        "createdate",
    ),
    "deals.csv": (
        "hs_object_id",
        "dealname",
        "amount",
        "deal_currency_code",
        "pipeline",
        "dealstage",
        "hs_deal_stage_probability",
        "hs_is_closed",
        "hs_is_closed_won",
        "hs_manual_forecast_category",
        "closedate",
        "createdate",
        "hs_lastmodifieddate",
        "hubspot_owner_id",
        "dealtype",
        "associated_company_ids",
        *(f"hs_date_entered_{s}" for s in HUBSPOT_STAGES),
    ),
    "calls.csv": (
        *ENGAGEMENT,
        "hs_call_title",
        "hs_call_direction",
        "hs_call_duration",
        "hs_call_status",
        "hs_call_disposition",
        "hs_createdate",
        *ASSOCIATIONS,
    ),
    "meetings.csv": (
        *ENGAGEMENT,
        "hs_meeting_title",
        "hs_meeting_start_time",
        "hs_meeting_end_time",
        "hs_meeting_outcome",
        "hs_createdate",
        *ASSOCIATIONS,
    ),
    "emails.csv": (
        *ENGAGEMENT,
        "hs_email_subject",
        "hs_email_direction",
        "hs_email_status",
        "hs_createdate",
        *ASSOCIATIONS,
    ),
    "tasks.csv": (
        *ENGAGEMENT,
        "hs_task_subject",
        "hs_task_status",
        "hs_task_type",
        "hs_task_priority",
        "hs_createdate",
        *ASSOCIATIONS,
    ),
    "quotas/quotas.csv": ("owner_id", "period_start", "period_end", "amount", "currency"),
}
QUOTA_MAPPING = """# Quotas for the HubSpot export (HubSpot has no quota export).
# Import them with the mapped-CSV importer and this mapping.
[tables.quotas]
file = "quotas.csv"

[tables.quotas.columns]
user_id = "owner_id"
period_start = "period_start"
period_end = "period_end"
amount = "amount"
currency = "currency"
"""
WRITE_OPTIONS = pacsv.WriteOptions(quoting_style="needed", quoting_header="none", batch_size=16_384)


def _ids(keys: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(keys, dtype=np.int64)), pa.string())


def _snake_upper(values: tuple[str, ...]) -> list[str]:
    return [v.upper().replace(" ", "_") for v in values]


class HubSpotWriter:
    """Writes the HubSpot export chunk by chunk; `finish` returns the number of data rows per file."""

    format = "hubspot"

    def __init__(self, out_dir: Path, plan: Plan) -> None:
        self.out_dir = out_dir
        self.plan = plan
        self.rows: dict[str, int] = dict.fromkeys(FILES, 0)
        self._writers: dict[str, pacsv.CSVWriter] = {}
        self.owner_ids = _ids(np.array([OWNER_BASE + u.key for u in plan.users]))

    def crm_user_id(self, index: int) -> str:
        return str(self.owner_ids[index])

    def _write(self, name: str, columns: dict[str, pa.Array]) -> None:
        table = pa.table({c: columns[c] for c in FILES[name]})
        writer = self._writers.get(name)
        if writer is None:
            path = self.out_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = pacsv.CSVWriter(path, table.schema, write_options=WRITE_OPTIONS)
            self._writers[name] = writer
        writer.write_table(table)
        self.rows[name] += table.num_rows

    def begin(self) -> None:
        users = self.plan.users
        roster = self.plan.roster
        teams = []
        for u in users:
            team = ""
            if u.employee_id and roster.has(u.employee_id):
                team = roster.person(u.employee_id).team_name
            teams.append(team or None)
        created = np.array([(u.created.toordinal() - 719_163) * DAY + 9 * 3600 for u in users])
        updated = np.array(
            [((u.last_login or u.created).toordinal() - 719_163) * DAY + 9 * 3600 for u in users]
        )
        self._write(
            "owners.csv",
            {
                "id": self.owner_ids,
                "email": pa.array([u.email for u in users]),
                "firstName": pa.array([u.first_name for u in users]),
                "lastName": pa.array([u.last_name for u in users]),
                "userId": _ids(np.array([USER_BASE + u.key for u in users])),
                "type": f.constant("PERSON", len(users)),
                "archived": pa.array([not u.is_active for u in users]),
                "teams": pa.array(teams, type=pa.string()),
                "createdAt": f.iso_datetimes(created),
                "updatedAt": f.iso_datetimes(updated),
            },
        )
        (self.out_dir / "quotas").mkdir(parents=True, exist_ok=True)
        (self.out_dir / "quotas" / "mapping.toml").write_text(QUOTA_MAPPING, encoding="utf-8")

    def write(self, records: Records) -> None:
        t = records.tables
        acc, con, opp = t["accounts"], t["contacts"], t["opportunities"]
        company_ids, contact_ids, deal_ids = _ids(acc["key"]), _ids(con["key"]), _ids(opp["key"])
        names = f.join(
            f.pick(COMPANY_WORDS_A, acc["name_a"]),
            " ",
            f.pick(COMPANY_WORDS_B, acc["name_b"]),
            " ",
            f.pick(COMPANY_SUFFIXES, acc["suffix"]),
        )
        lower_a = [w.lower() for w in COMPANY_WORDS_A]
        lower_b = [w.lower() for w in COMPANY_WORDS_B]
        domains = f.join(f.pick(lower_a, acc["name_a"]), f.pick(lower_b, acc["name_b"]), ".example")
        customer = acc["customer"].astype(np.int64)
        geo = acc["geo"]
        self._write(
            "companies.csv",
            {
                "hs_object_id": company_ids,
                "name": names,
                "domain": domains,
                "hubspot_owner_id": f.take(self.owner_ids, acc["owner"]),
                "lifecyclestage": f.pick(("lead", "customer"), customer),
                "type": f.pick(("PROSPECT", "CUSTOMER"), customer),
                "industry": f.pick(_snake_upper(INDUSTRIES), acc["industry"]),
                "numberofemployees": f.integers(acc["employees"]),
                "annualrevenue": f.money(acc["revenue"]),
                "city": f.pick([g[0] for g in GEO], geo),
                "state": f.pick([g[1] for g in GEO], geo),
                "country": f.pick([g[2] for g in GEO], geo),
                "hs_parent_company_id": f.take(company_ids, acc["parent"]),
                "createdate": f.iso_datetimes(acc["created"]),
            },
        )
        account = con["account"]
        email = f.join(
            f.pick([n.lower() for n in CONTACT_FIRST], con["first"]),
            ".",
            f.pick([n.lower() for n in CONTACT_LAST], con["last"]),
            "@",
            f.take(domains, account),
        )
        self._write(
            "contacts.csv",
            {
                "hs_object_id": contact_ids,
                "firstname": f.pick(CONTACT_FIRST, con["first"]),
                "lastname": f.pick(CONTACT_LAST, con["last"]),
                "email": email,
                "jobtitle": f.pick(CONTACT_TITLES, con["title"]),
                "hubspot_owner_id": f.take(self.owner_ids, con["owner"]),
                "associatedcompanyid": f.take(company_ids, account),
                "createdate": f.iso_datetimes(con["created"]),
            },
        )
        self._deals(opp, t["history"], deal_ids, company_ids, names)
        self._engagements(t["activities"], company_ids, contact_ids, deal_ids)
        self._quotas(t["quotas"])

    def _deals(
        self,
        opp: dict[str, np.ndarray],
        his: dict[str, np.ndarray],
        deal_ids: pa.Array,
        company_ids: pa.Array,
        names: pa.Array,
    ) -> None:
        n = len(opp["key"])
        stage = STAGE_MAP[opp["stage"]]
        entered = np.full((len(HUBSPOT_STAGES), n), -1, dtype=np.int64)
        hs_stage = STAGE_MAP[his["stage"]]
        # First time each deal entered each HubSpot stage (history rows are per deal in time order).
        order = np.lexsort((his["changed"], hs_stage, his["opportunity"]))
        deal, stg, when = his["opportunity"][order], hs_stage[order], his["changed"][order]
        first = (
            np.r_[True, (deal[1:] != deal[:-1]) | (stg[1:] != stg[:-1])] if len(deal) else np.zeros(0, bool)
        )
        entered[stg[first], deal[first]] = when[first]
        columns: dict[str, pa.Array] = {
            "hs_object_id": deal_ids,
            "dealname": f.join(
                f.take(names, opp["account"]), " - ", f.pick(OPPORTUNITY_LABELS, opp["label"])
            ),
            "amount": f.money(opp["amount"]),
            "deal_currency_code": f.constant("USD", n),
            "pipeline": f.constant("default", n),
            "dealstage": f.pick(HUBSPOT_STAGES, stage),
            "hs_deal_stage_probability": f.pick(STAGE_PROBABILITY, stage),
            "hs_is_closed": pa.array(opp["is_closed"], type=pa.bool_()),
            "hs_is_closed_won": pa.array(opp["is_won"], type=pa.bool_()),
            "hs_manual_forecast_category": f.pick(FORECAST, opp["forecast"]),
            "closedate": f.iso_datetimes(opp["close_day"] * DAY + 12 * 3600),
            "createdate": f.iso_datetimes(opp["created"]),
            "hs_lastmodifieddate": f.iso_datetimes(opp["modified"]),
            "hubspot_owner_id": f.take(self.owner_ids, opp["owner"]),
            "dealtype": f.pick(("newbusiness", "existingbusiness"), opp["existing"].astype(np.int64)),
            "associated_company_ids": f.take(company_ids, opp["account"]),
        }
        for i, name in enumerate(HUBSPOT_STAGES):
            columns[f"hs_date_entered_{name}"] = f.iso_datetimes(
                np.maximum(entered[i], 0), valid=entered[i] >= 0
            )
        self._write("deals.csv", columns)

    def _engagements(
        self, act: dict[str, np.ndarray], company_ids: pa.Array, contact_ids: pa.Array, deal_ids: pa.Array
    ) -> None:
        for kind, name in (
            (CALL, "calls.csv"),
            (MEETING, "meetings.csv"),
            (EMAIL, "emails.csv"),
            (TASK, "tasks.csv"),
        ):
            rows = np.flatnonzero(act["kind"] == kind)
            n = len(rows)
            occurred = act["occurred"][rows]
            duration = act["duration"][rows]
            subject = f.pick(SUBJECT_LIST, act["subject"][rows])
            columns: dict[str, pa.Array] = {
                "hs_object_id": _ids(act["key"][rows]),
                "hs_timestamp": pc.cast(pa.array(occurred * 1000), pa.string()),
                "hubspot_owner_id": f.take(self.owner_ids, act["owner"][rows]),
                "hs_createdate": f.iso_datetimes(act["created"][rows]),
                "associated_contact_ids": f.take(contact_ids, act["contact"][rows]),
                "associated_company_ids": f.take(company_ids, act["account"][rows]),
                "associated_deal_ids": f.take(deal_ids, act["opportunity"][rows]),
            }
            if kind == CALL:
                result = act["result"][rows]
                columns.update(
                    {
                        "hs_call_title": subject,
                        "hs_call_direction": f.pick(("INBOUND", "OUTBOUND"), act["direction"][rows]),
                        "hs_call_duration": f.integers(duration * 1000),
                        "hs_call_status": f.pick(CALL_STATUS, result),
                        "hs_call_disposition": f.pick(CALL_DISPOSITION, result),
                    }
                )
            elif kind == MEETING:
                columns.update(
                    {
                        "hs_meeting_title": subject,
                        "hs_meeting_start_time": f.iso_datetimes(occurred),
                        "hs_meeting_end_time": f.iso_datetimes(occurred + duration),
                        "hs_meeting_outcome": f.constant("COMPLETED", n),
                    }
                )
            elif kind == EMAIL:
                columns.update(
                    {
                        "hs_email_subject": subject,
                        "hs_email_direction": f.constant("EMAIL", n),
                        "hs_email_status": f.constant("SENT", n),
                    }
                )
            else:
                columns.update(
                    {
                        "hs_task_subject": subject,
                        "hs_task_status": f.constant("COMPLETED", n),
                        "hs_task_type": f.constant("TODO", n),
                        "hs_task_priority": f.constant("NONE", n),
                    }
                )
            self._write(name, columns)

    def _quotas(self, quota: dict[str, np.ndarray]) -> None:
        n = len(quota["owner"])
        self._write(
            "quotas/quotas.csv",
            {
                "owner_id": f.take(self.owner_ids, quota["owner"]),
                "period_start": f.iso_dates(quota["start_day"]),
                "period_end": f.iso_dates(quota["end_day"]),
                "amount": f.money(quota["amount"]),
                "currency": f.constant("USD", n),
            },
        )

    def finish(self) -> dict[str, int]:
        for writer in self._writers.values():
            writer.close()
        for name, columns in FILES.items():
            path = self.out_dir / name
            if name not in self._writers:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(",".join(columns) + "\n", encoding="utf-8")
        self._writers.clear()
        return dict(self.rows)
