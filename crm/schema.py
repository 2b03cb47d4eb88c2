"""The CRM analytics store's tables: the one contract between the importers (crm/) and the engine (insights/).

Every importer (Salesforce, HubSpot, mapped CSV) writes exactly these tables and columns; the engine reads only
these. Source-system ids are kept as strings (Salesforce ids normalised to 18 characters), money as
decimal(18, 2), times as UTC timestamps, dates as dates. A column a source does not provide is null, never a
made-up value: the engine marks metrics that need it as unavailable.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

MONEY = dt.Decimal(18, 2)
TS = dt.Timestamp(timezone="UTC")

TABLES: dict[str, ibis.Schema] = {
    # Sellers and everyone else who owns records in the CRM, linked to a Person by the importer.
    "crm_users": ibis.schema({
        "user_id": "string",            # source id (Salesforce 18-char User Id, HubSpot owner id, ...)
        "name": "string",
        "email": "string",
        "employee_number": "string",
        "title": "string",
        "department": "string",
        "is_active": "boolean",
        "manager_user_id": "string",    # Salesforce ManagerId; null where the CRM has no manager line
        "role_name": "string",
        "person_employee_id": "string", # the linked Person's employee id; null while unmatched
    }),
    "accounts": ibis.schema({
        "account_id": "string",
        "name": "string",
        "owner_user_id": "string",
        "parent_account_id": "string",
        "account_type": "string",       # Customer / Prospect / Partner ... as the CRM says
        "industry": "string",
        "employees": "int64",
        "annual_revenue": MONEY,
        "region": "string",             # billing state/region or a segment field
        "country": "string",
        "segment": "string",            # any segment field the CRM has (e.g. SMB / Mid-market / Enterprise)
        "created_at": TS,
    }),
    # Who owned an account when, where the source records it (otherwise one open row per account).
    "account_ownership": ibis.schema({
        "account_id": "string",
        "owner_user_id": "string",
        "valid_from": TS,
        "valid_to": TS,                 # null = still the owner
    }),
    "contacts": ibis.schema({
        "contact_id": "string",
        "account_id": "string",
        "owner_user_id": "string",
        "title": "string",
        "created_at": TS,
    }),
    "opportunities": ibis.schema({
        "opportunity_id": "string",
        "account_id": "string",
        "owner_user_id": "string",
        "name": "string",
        "amount": MONEY,
        "currency": "string",
        "stage": "string",              # the source's stage label
        "is_closed": "boolean",
        "is_won": "boolean",
        "created_at": TS,
        "close_date": "date",           # expected while open, actual once closed
        "opportunity_type": "string",   # "new" | "existing" | null when unknown
        "forecast_category": "string",  # pipeline / best_case / commit / closed / omitted
        "lead_source": "string",
    }),
    # Every recorded change of stage, amount, close date or forecast category, with its time.
    "opportunity_stage_history": ibis.schema({
        "history_id": "string",
        "opportunity_id": "string",
        "changed_at": TS,
        "stage": "string",
        "amount": MONEY,
        "close_date": "date",
        "forecast_category": "string",
        "probability": "float64",
        "changed_by_user_id": "string",
    }),
    "opportunity_line_items": ibis.schema({
        "line_item_id": "string",
        "opportunity_id": "string",
        "product_code": "string",
        "product_name": "string",
        "quantity": "float64",
        "unit_price": MONEY,
        "total_price": MONEY,
    }),
    "activities": ibis.schema({
        "activity_id": "string",
        "owner_user_id": "string",
        "activity_type": "string",      # call | email | meeting | task
        "occurred_at": TS,
        "duration_minutes": "float64",
        "account_id": "string",
        "opportunity_id": "string",
        "contact_id": "string",
        "outcome": "string",            # completed / connected / no_answer / voicemail / no_show / canceled / ...
        "direction": "string",          # inbound | outbound | null
        "subject": "string",
    }),
    "quotas": ibis.schema({
        "user_id": "string",
        "period_start": "date",
        "period_end": "date",
        "amount": MONEY,
        "currency": "string",
    }),
}

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "crm_users": ("user_id",),
    "accounts": ("account_id",),
    "account_ownership": ("account_id", "valid_from"),
    "contacts": ("contact_id",),
    "opportunities": ("opportunity_id",),
    "opportunity_stage_history": ("history_id",),
    "opportunity_line_items": ("line_item_id",),
    "activities": ("activity_id",),
    "quotas": ("user_id", "period_start"),
}
