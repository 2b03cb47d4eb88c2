"""Who an HR file makes a people manager, and what the development program will enrol them in, by when: shown
on the check and import pages, so HR sees a promotion's consequences before importing it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from people.importing.hooks import promotion_preview
from people.importing.loading import NAMES_KEPT, Changes
from people.models import EmploymentStatus, Function


def promotions_preview(changes: Changes, *, today: dt.date) -> list[dict[str, Any]]:
    """People the file gives a `manager_since` they did not have (first NAMES_KEPT), each with whether they were
    a seller until now and what the apps above people add (people.importing.hooks: the program's tracks with
    course counts and due dates)."""
    active = [c for c in changes.people if c.target.get("status") != EmploymentStatus.INACTIVE]
    manage_sellers = {c.target.get("manager") for c in active if c.target.get("function") == Function.SALES}
    has_reports = {c.target.get("manager") for c in active}
    found: list[dict[str, Any]] = []
    for change in active:
        since = change.target.get("manager_since")
        if since is None or (change.existing is not None and change.existing.manager_since is not None):
            continue
        sales = change.target.get("function") == Function.SALES
        found.append({
            "employee_id": change.employee_id,
            "name": f"{change.target['first_name']} {change.target['last_name']}".strip(),
            "since": f"{since.day} {since:%b %Y}",
            "was_seller": change.existing is not None and sales and change.employee_id not in has_reports,
            **promotion_preview(
                manager_since=since, sales=sales or change.employee_id in manage_sellers, today=today
            ),
        })
        if len(found) >= NAMES_KEPT:
            break
    return found
