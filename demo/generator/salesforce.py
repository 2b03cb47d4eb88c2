"""Salesforce Data Loader export: one CSV per object, API field names as headers (docs/imports.md).

Every value is quoted as Data Loader writes it; empty values are empty. Ids are 18 characters with correct key
prefixes and case-safe checksums, except ForecastingQuota.csv's QuotaOwnerId, which holds the 15-character
form
(as in a quota sheet assembled from a report), so importers must normalise ids before joining.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from demo.generator import formatting as f
from demo.generator.activities import SUBJECT_LIST
from demo.generator.model import (
    ACCOUNT_SOURCES,
    CALL,
    CALL_RESULTS,
    COMPANY_SUFFIXES,
    COMPANY_WORDS_A,
    COMPANY_WORDS_B,
    CONTACT_FIRST,
    CONTACT_LAST,
    CONTACT_TITLES,
    EMAIL,
    FORECAST_CATEGORIES,
    GEO,
    INDUSTRIES,
    LEAD_SOURCES,
    MEETING,
    PRODUCTS,
    STAGES,
)
from demo.generator.plan import DAY, Plan
from demo.generator.records import Records
from demo.generator.simulate import OPPORTUNITY_LABELS

PREFIX = {
    "user": "005",
    "role": "00E",
    "profile": "00e",
    "account": "001",
    "contact": "003",
    "opportunity": "006",
    "history": "008",
    "line_item": "00k",
    "product": "01t",
    "pricebook_entry": "01u",
    "task": "00T",
    "event": "00U",
    "quota": "0J9",
    "forecasting_type": "0Db",
    "period": "026",
    "fiscal_year": "022",
}
FILES: dict[str, tuple[str, ...]] = {
    "User.csv": (
        "Id",
        "Username",
        "LastName",
        "FirstName",
        "Name",
        "Email",
        "IsActive",
        "ManagerId",
        "UserRoleId",
        "ProfileId",
        "Title",
        "Department",
        "UserType",
        "EmployeeNumber",
        "TimeZoneSidKey",
        "ForecastEnabled",
        "CreatedDate",
        "LastLoginDate",
    ),
    "UserRole.csv": ("Id", "Name", "DeveloperName", "ParentRoleId", "ForecastUserId"),
    "Account.csv": (
        "Id",
        "Name",
        "OwnerId",
        "ParentId",
        "Type",
        "Industry",
        "AnnualRevenue",
        "NumberOfEmployees",
        "BillingCity",
        "BillingState",
        "BillingCountry",
        "AccountSource",
        "CreatedDate",
    ),
    "Contact.csv": ("Id", "AccountId", "OwnerId", "FirstName", "LastName", "Title", "Email", "CreatedDate"),
    "Opportunity.csv": (
        "Id",
        "Name",
        "AccountId",
        "OwnerId",
        "Type",
        "LeadSource",
        "StageName",
        "Probability",
        "Amount",
        "CurrencyIsoCode",
        "CloseDate",
        "IsClosed",
        "IsWon",
        "ForecastCategoryName",
        "FiscalYear",
        "FiscalQuarter",
        "HasOpportunityLineItem",
        "CreatedDate",
        "LastModifiedDate",
    ),
    "OpportunityHistory.csv": (
        "Id",
        "OpportunityId",
        "StageName",
        "Amount",
        "Probability",
        "ExpectedRevenue",
        "CloseDate",
        "ForecastCategory",
        "CreatedById",
        "CreatedDate",
        "IsDeleted",
    ),
    "OpportunityLineItem.csv": (
        "Id",
        "OpportunityId",
        "PricebookEntryId",
        "Product2Id",
        "ProductCode",
        "Name",
        "Quantity",
        "UnitPrice",
        "ListPrice",
        "TotalPrice",
        "CreatedDate",
    ),
    "Task.csv": (
        "Id",
        "OwnerId",
        "WhoId",
        "WhatId",
        "AccountId",
        "Subject",
        "ActivityDate",
        "Status",
        "Priority",
        "IsClosed",
        "TaskSubtype",
        "Type",
        "CallType",
        "CallDurationInSeconds",
        "CallDisposition",
        "CompletedDateTime",
        "CreatedDate",
    ),
    "Event.csv": (
        "Id",
        "OwnerId",
        "WhoId",
        "WhatId",
        "AccountId",
        "Subject",
        "StartDateTime",
        "EndDateTime",
        "ActivityDateTime",
        "ActivityDate",
        "DurationInMinutes",
        "IsAllDayEvent",
        "EventSubtype",
        "Type",
        "ShowAs",
        "CreatedDate",
    ),
    "ForecastingQuota.csv": (
        "Id",
        "QuotaOwnerId",
        "StartDate",
        "QuotaAmount",
        "CurrencyIsoCode",
        "IsAmount",
        "IsQuantity",
        "ForecastingTypeId",
        "PeriodId",
    ),
    "Period.csv": ("Id", "FiscalYearSettingsId", "Type", "StartDate", "EndDate", "IsForecastPeriod", "Number"),
}
PROFILES = ("Standard User", "System Administrator", "Marketing User")
WRITE_OPTIONS = pacsv.WriteOptions(quoting_style="all_valid", batch_size=16_384)


def _lower(values: tuple[str, ...]) -> list[str]:
    return [v.lower().replace(" ", "").replace("'", "") for v in values]


class SalesforceWriter:
    """Writes the export chunk by chunk; `finish` returns the number of data rows per file."""

    format = "salesforce"

    def __init__(self, out_dir: Path, plan: Plan) -> None:
        self.out_dir = out_dir
        self.plan = plan
        self.rows: dict[str, int] = dict.fromkeys(FILES, 0)
        self._writers: dict[str, pacsv.CSVWriter] = {}
        users = plan.users
        self.user_ids = f.salesforce_ids(np.array([u.key for u in users]), PREFIX["user"])
        self.user_ids_15 = f.salesforce_ids(np.array([u.key for u in users]), PREFIX["user"], length=15)
        self.role_ids = f.salesforce_ids(np.array([r.key for r in plan.roles]), PREFIX["role"])
        self.profile_ids = f.salesforce_ids(np.arange(1, len(PROFILES) + 1), PREFIX["profile"])
        self.product_ids = f.salesforce_ids(np.arange(1, len(PRODUCTS) + 1), PREFIX["product"])
        self.pricebook_ids = f.salesforce_ids(np.arange(1, len(PRODUCTS) + 1), PREFIX["pricebook_entry"])
        self.forecasting_type_id = str(f.salesforce_ids(np.array([1]), PREFIX["forecasting_type"])[0])

    def crm_user_id(self, index: int) -> str:
        return str(self.user_ids[index])

    # --- writing --------------------------------------------------------------------------------------------
    def _write(self, name: str, columns: dict[str, pa.Array]) -> None:
        table = pa.table({c: columns[c] for c in FILES[name]})
        writer = self._writers.get(name)
        if writer is None:
            writer = pacsv.CSVWriter(self.out_dir / name, table.schema, write_options=WRITE_OPTIONS)
            self._writers[name] = writer
        writer.write_table(table)
        self.rows[name] += table.num_rows

    def begin(self) -> None:
        """Users and roles (small, known from the plan)."""
        plan, users = self.plan, self.plan.users
        n = len(users)
        manager = np.array([u.manager_index for u in users])
        role = np.array([u.role_index for u in users])
        profile = np.array(
            [1 if u.kind == "integration" else 2 if u.kind == "automation" else 0 for u in users]
        )
        created = np.array([(u.created.toordinal() - 719_163) * DAY + 9 * 3600 for u in users])
        login = np.array(
            [
                ((u.last_login.toordinal() - 719_163) * DAY + 8 * 3600 + 1800) if u.last_login else 0
                for u in users
            ]
        )
        self._write(
            "User.csv",
            {
                "Id": self.user_ids,
                "Username": pa.array([f"{u.email}.crm" for u in users]),
                "LastName": pa.array([u.last_name for u in users]),
                "FirstName": pa.array([u.first_name for u in users]),
                "Name": pa.array([u.full_name for u in users]),
                "Email": pa.array([u.email for u in users]),
                "IsActive": pa.array([u.is_active for u in users]),
                "ManagerId": f.take(self.user_ids, manager),
                "UserRoleId": f.take(self.role_ids, role),
                "ProfileId": f.take(self.profile_ids, profile),
                "Title": pa.array([u.title for u in users]),
                "Department": pa.array([u.department for u in users]),
                "UserType": f.constant("Standard", n),
                "EmployeeNumber": pa.array([u.employee_id or None for u in users], type=pa.string()),
                "TimeZoneSidKey": f.constant("America/New_York", n),
                "ForecastEnabled": pa.array([u.kind == "person" for u in users]),
                "CreatedDate": f.iso_datetimes(created),
                "LastLoginDate": f.iso_datetimes(login, valid=login > 0),
            },
        )
        roles = plan.roles
        self._write(
            "UserRole.csv",
            {
                "Id": self.role_ids,
                "Name": pa.array([r.name for r in roles], type=pa.string()),
                "DeveloperName": pa.array([r.developer_name for r in roles], type=pa.string()),
                "ParentRoleId": f.take(
                    self.role_ids, np.array([r.parent_index for r in roles], dtype=np.int64)
                ),
                "ForecastUserId": f.take(
                    self.user_ids, np.array([r.forecast_user_index for r in roles], dtype=np.int64)
                ),
            },
        )
        self._periods()

    def _periods(self) -> None:
        """The org's fiscal periods: standard fiscal years (calendar years), each with its quarters (the forecast
        period, which quotas name by PeriodId) and months, for every year the plan's quarters touch."""
        years = f.civil_from_days(np.array([q.start for q in self.plan.quarters], dtype=np.int64))[0]
        keys, fiscal_years, kinds, starts, ends, numbers = [], [], [], [], [], []
        for year in range(int(years.min()), int(years.max()) + 1):
            for kind, months, count in (("Year", 12, 1), ("Quarter", 3, 4), ("Month", 1, 12)):
                for n in range(1, count + 1):
                    start = dt.date(year, (n - 1) * months + 1, 1)
                    # Keys: year * 100 for the year, + 1..4 for its quarters (as in ForecastingQuota's PeriodId),
                    # + 11..22 for its months.
                    keys.append(year * 100 + {"Year": 0, "Quarter": n, "Month": 10 + n}[kind])
                    fiscal_years.append(year)
                    kinds.append(kind)
                    starts.append(start.isoformat())
                    ends.append((_month_after(start, months) - dt.timedelta(days=1)).isoformat())
                    numbers.append(None if kind == "Year" else n)
        self._write(
            "Period.csv",
            {
                "Id": f.salesforce_ids(np.array(keys, dtype=np.int64), PREFIX["period"]),
                "FiscalYearSettingsId": f.salesforce_ids(np.array(fiscal_years, dtype=np.int64), PREFIX["fiscal_year"]),
                "Type": pa.array(kinds),
                "StartDate": pa.array(starts),
                "EndDate": pa.array(ends),
                "IsForecastPeriod": pa.array([kind == "Quarter" for kind in kinds]),
                "Number": pa.array(numbers, type=pa.int64()),
            },
        )

    def write(self, records: Records) -> None:
        t = records.tables
        acc, con, opp = t["accounts"], t["contacts"], t["opportunities"]
        account_ids = f.salesforce_ids(acc["key"], PREFIX["account"])
        contact_ids = f.salesforce_ids(con["key"], PREFIX["contact"])
        opportunity_ids = f.salesforce_ids(opp["key"], PREFIX["opportunity"])
        account_names = f.join(
            f.pick(COMPANY_WORDS_A, acc["name_a"]),
            " ",
            f.pick(COMPANY_WORDS_B, acc["name_b"]),
            " ",
            f.pick(COMPANY_SUFFIXES, acc["suffix"]),
        )
        self._accounts(acc, account_ids, account_names)
        self._contacts(con, acc, contact_ids, account_ids)
        self._opportunities(opp, opportunity_ids, account_ids, account_names)
        self._history(t["history"], opp, opportunity_ids)
        self._line_items(t["line_items"], opportunity_ids)
        self._activities(t["activities"], account_ids, contact_ids, opportunity_ids)
        self._quotas(t["quotas"])

    def _accounts(self, acc: dict[str, np.ndarray], ids: pa.Array, names: pa.Array) -> None:
        geo = acc["geo"]
        self._write(
            "Account.csv",
            {
                "Id": ids,
                "Name": names,
                "OwnerId": f.take(self.user_ids, acc["owner"]),
                "ParentId": f.take(ids, acc["parent"]),
                "Type": f.pick(("Prospect", "Customer"), acc["customer"].astype(np.int64)),
                "Industry": f.pick(INDUSTRIES, acc["industry"]),
                "AnnualRevenue": f.money(acc["revenue"]),
                "NumberOfEmployees": f.integers(acc["employees"]),
                "BillingCity": f.pick([g[0] for g in GEO], geo),
                "BillingState": f.pick([g[1] for g in GEO], geo),
                "BillingCountry": f.pick([g[2] for g in GEO], geo),
                "AccountSource": f.pick(ACCOUNT_SOURCES, acc["source"]),
                "CreatedDate": f.iso_datetimes(acc["created"]),
            },
        )

    def _contacts(
        self, con: dict[str, np.ndarray], acc: dict[str, np.ndarray], ids: pa.Array, account_ids: pa.Array
    ) -> None:
        account = con["account"]
        domain = f.join(
            f.pick(_lower(COMPANY_WORDS_A), acc["name_a"][account]),
            f.pick(_lower(COMPANY_WORDS_B), acc["name_b"][account]),
            ".example",
        )
        email = f.join(
            f.pick(_lower(CONTACT_FIRST), con["first"]),
            ".",
            f.pick(_lower(CONTACT_LAST), con["last"]),
            "@",
            domain,
        )
        self._write(
            "Contact.csv",
            {
                "Id": ids,
                "AccountId": f.take(account_ids, account),
                "OwnerId": f.take(self.user_ids, con["owner"]),
                "FirstName": f.pick(CONTACT_FIRST, con["first"]),
                "LastName": f.pick(CONTACT_LAST, con["last"]),
                "Title": f.pick(CONTACT_TITLES, con["title"]),
                "Email": email,
                "CreatedDate": f.iso_datetimes(con["created"]),
            },
        )

    def _opportunities(
        self, opp: dict[str, np.ndarray], ids: pa.Array, account_ids: pa.Array, account_names: pa.Array
    ) -> None:
        n = len(opp["key"])
        stage = opp["stage"]
        probability = np.array([s[1] for s in STAGES])[stage]
        year, month, _ = f.civil_from_days(opp["close_day"])
        self._write(
            "Opportunity.csv",
            {
                "Id": ids,
                "Name": f.join(
                    f.take(account_names, opp["account"]), " - ", f.pick(OPPORTUNITY_LABELS, opp["label"])
                ),
                "AccountId": f.take(account_ids, opp["account"]),
                "OwnerId": f.take(self.user_ids, opp["owner"]),
                "Type": f.pick(("New Business", "Existing Business"), opp["existing"].astype(np.int64)),
                "LeadSource": f.pick(LEAD_SOURCES, opp["lead_source"]),
                "StageName": f.pick([s[0] for s in STAGES], stage),
                "Probability": f.integers(probability),
                "Amount": f.money(opp["amount"]),
                "CurrencyIsoCode": f.constant("USD", n),
                "CloseDate": f.iso_dates(opp["close_day"]),
                "IsClosed": pa.array(opp["is_closed"], type=pa.bool_()),
                "IsWon": pa.array(opp["is_won"], type=pa.bool_()),
                "ForecastCategoryName": f.pick([c[0] for c in FORECAST_CATEGORIES], opp["forecast"]),
                "FiscalYear": f.integers(year),
                "FiscalQuarter": f.integers((month - 1) // 3 + 1),
                "HasOpportunityLineItem": pa.array(opp["line_items"] > 0, type=pa.bool_()),
                "CreatedDate": f.iso_datetimes(opp["created"]),
                "LastModifiedDate": f.iso_datetimes(opp["modified"]),
            },
        )

    def _history(
        self, his: dict[str, np.ndarray], opp: dict[str, np.ndarray], opportunity_ids: pa.Array
    ) -> None:
        n = len(his["key"])
        probability = np.array([s[1] for s in STAGES])[his["stage"]]
        self._write(
            "OpportunityHistory.csv",
            {
                "Id": f.salesforce_ids(his["key"], PREFIX["history"]),
                "OpportunityId": f.take(opportunity_ids, his["opportunity"]),
                "StageName": f.pick([s[0] for s in STAGES], his["stage"]),
                "Amount": f.money(his["amount"]),
                "Probability": f.integers(probability),
                "ExpectedRevenue": f.money(his["amount"] * probability // 100),
                "CloseDate": f.iso_dates(his["close_day"]),
                "ForecastCategory": f.pick([c[1] for c in FORECAST_CATEGORIES], his["forecast"]),
                "CreatedById": f.take(self.user_ids, his["by"]),
                "CreatedDate": f.iso_datetimes(his["changed"]),
                "IsDeleted": pa.array(np.zeros(n, dtype=bool)),
            },
        )

    def _line_items(self, li: dict[str, np.ndarray], opportunity_ids: pa.Array) -> None:
        product = li["product"]
        unit = f.money(li["unit"])
        self._write(
            "OpportunityLineItem.csv",
            {
                "Id": f.salesforce_ids(li["key"], PREFIX["line_item"]),
                "OpportunityId": f.take(opportunity_ids, li["opportunity"]),
                "PricebookEntryId": f.take(self.pricebook_ids, product),
                "Product2Id": f.take(self.product_ids, product),
                "ProductCode": f.pick([p[0] for p in PRODUCTS], product),
                "Name": f.pick([p[1] for p in PRODUCTS], product),
                "Quantity": f.integers(li["quantity"]),
                "UnitPrice": unit,
                "ListPrice": unit,
                "TotalPrice": f.money(li["total"]),
                "CreatedDate": f.iso_datetimes(li["created"]),
            },
        )

    def _activities(
        self,
        act: dict[str, np.ndarray],
        account_ids: pa.Array,
        contact_ids: pa.Array,
        opportunity_ids: pa.Array,
    ) -> None:
        kind = act["kind"]
        for is_event in (False, True):
            rows = np.flatnonzero((kind == MEETING) == is_event)
            n = len(rows)
            k = kind[rows]
            opportunity, account = act["opportunity"][rows], act["account"][rows]
            what = pc.if_else(
                pa.array(opportunity >= 0, type=pa.bool_()),
                f.take(opportunity_ids, np.maximum(opportunity, 0)),
                f.take(account_ids, account),
            )
            occurred = act["occurred"][rows]
            common = {
                "OwnerId": f.take(self.user_ids, act["owner"][rows]),
                "WhoId": f.take(contact_ids, act["contact"][rows]),
                "WhatId": what,
                "AccountId": f.take(account_ids, account),
                "Subject": f.pick(SUBJECT_LIST, act["subject"][rows]),
                "ActivityDate": f.iso_dates(occurred // DAY),
                "CreatedDate": f.iso_datetimes(act["created"][rows]),
            }
            duration = act["duration"][rows]
            if is_event:
                self._write(
                    "Event.csv",
                    {
                        **common,
                        "Id": f.salesforce_ids(act["key"][rows], PREFIX["event"]),
                        "StartDateTime": f.iso_datetimes(occurred),
                        "EndDateTime": f.iso_datetimes(occurred + duration),
                        "ActivityDateTime": f.iso_datetimes(occurred),
                        "DurationInMinutes": f.integers(duration // 60),
                        "IsAllDayEvent": pa.array(np.zeros(n, dtype=bool)),
                        "EventSubtype": f.constant("Event", n),
                        "Type": f.constant("Meeting", n),
                        "ShowAs": f.constant("Busy", n),
                    },
                )
                continue
            call = k == CALL
            subtype = np.where(call, 0, np.where(k == EMAIL, 1, 2))
            direction = act["direction"][rows]
            self._write(
                "Task.csv",
                {
                    **common,
                    "Id": f.salesforce_ids(act["key"][rows], PREFIX["task"]),
                    "Status": f.constant("Completed", n),
                    "Priority": f.constant("Normal", n),
                    "IsClosed": pa.array(np.ones(n, dtype=bool)),
                    "TaskSubtype": f.pick(("Call", "Email", "Task"), subtype),
                    "Type": f.pick(("Call", "Email", "Other"), subtype),
                    "CallType": f.pick(("Inbound", "Outbound"), np.where(call, direction, -1)),
                    "CallDurationInSeconds": f.integers(duration, valid=call),
                    "CallDisposition": f.pick(
                        [r[0] for r in CALL_RESULTS], np.where(call, act["result"][rows], -1)
                    ),
                    "CompletedDateTime": f.iso_datetimes(occurred),
                },
            )

    def _quotas(self, quota: dict[str, np.ndarray]) -> None:
        """Quarterly revenue quotas (Collaborative Forecasts' ForecastingQuota: one row per owner and quarter,
        identified by its StartDate)."""
        n = len(quota["owner"])
        # A quota's key: its owner's user key and quarter, so it does not depend on chunking.
        year, month, _ = f.civil_from_days(quota["start_day"])
        keys = (quota["owner"] + 1) * 100_000 + year * 12 + month
        self._write(
            "ForecastingQuota.csv",
            {
                "Id": f.salesforce_ids(keys, PREFIX["quota"]),
                "QuotaOwnerId": f.take(self.user_ids_15, quota["owner"]),
                "StartDate": f.iso_dates(quota["start_day"]),
                "QuotaAmount": f.money(quota["amount"]),
                "CurrencyIsoCode": f.constant("USD", n),
                "IsAmount": pa.array(np.ones(n, dtype=bool)),
                "IsQuantity": pa.array(np.zeros(n, dtype=bool)),
                "ForecastingTypeId": f.constant(self.forecasting_type_id, n),
                # The quarter's row of Period.csv (see `_periods` for its key).
                "PeriodId": f.salesforce_ids(year * 100 + (month - 1) // 3 + 1, PREFIX["period"]),
            },
        )

    def finish(self) -> dict[str, int]:
        """Close the files (writing header-only files for objects with no rows). Returns rows per file."""
        for writer in self._writers.values():
            writer.close()
        for name, columns in FILES.items():
            path = self.out_dir / name
            if name not in self._writers:
                path.write_text(",".join(f'"{c}"' for c in columns) + "\n", encoding="utf-8")
        self._writers.clear()
        return dict(self.rows)


def _month_after(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
