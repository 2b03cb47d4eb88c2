"""CRM data pages: import history, upload, and each import's progress and outcome. Administrators and HR only.

Uploads are saved and queued for the background worker; the import's page shows its progress (htmx polls the
status fragment) and then its outcome: counts per table, warnings, every error with file, row, column and value,
and the CRM users not yet linked to a person, each with a form to link them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.forms import CrmUploadForm, CrmUserLinkForm
from crm.models import CrmImport, CrmSource

TABLE_LABELS = {
    "crm_users": "CRM users",
    "accounts": "Accounts",
    "account_ownership": "Account ownership",
    "contacts": "Contacts",
    "opportunities": "Opportunities",
    "opportunity_stage_history": "Stage history",
    "opportunity_line_items": "Line items",
    "activities": "Activities",
    "quotas": "Quotas",
}
STALLED_AFTER = dt.timedelta(minutes=5)
OWNERS_SHOWN = 200


def import_list(request: HttpRequest) -> HttpResponse:
    """Every CRM import: when, who, source, files, outcome and how much it changed; and the upload form."""
    history = selectors.import_history(user=request.user)
    page = Paginator(history, 50).get_page(request.GET.get("page"))
    return render(request, "crm/import_list.html", {
        "page_title": "CRM data", "page": page, "form": CrmUploadForm(),
        "running": services.running_import(),
    })


def import_new(request: HttpRequest) -> HttpResponse:
    selectors.require_import_access(user=request.user)
    form = CrmUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            crm_import = services.crm_import_create(
                source=form.cleaned_data["source"], actor=request.user, uploads=form.cleaned_data["export_files"],
                mapping_upload=form.cleaned_data.get("mapping"),
            )
        except services.UploadRejected as error:
            form.add_error("export_files", str(error))
        else:
            services.crm_import_enqueue(crm_import=crm_import)
            running = services.running_import()
            if running is not None and running.pk != crm_import.pk:
                messages.info(request, f"Import #{running.pk} is still running; this one starts when it has "
                                       f"finished.")
            return redirect("crm:import_detail", import_id=crm_import.pk)
    return render(request, "crm/import_new.html", {"page_title": "Import CRM data", "form": form,
                                                    "sources": CrmSource})


MAPPING_EXAMPLE = Path(__file__).parent / "examples" / "mapping-example.toml"


def mapping_example(request: HttpRequest) -> HttpResponse:
    """A worked mapping file to start from (the one docs/imports.md explains)."""
    selectors.require_import_access(user=request.user)
    response = HttpResponse(MAPPING_EXAMPLE.read_text(encoding="utf-8"), content_type="application/toml")
    response["Content-Disposition"] = 'attachment; filename="mapping-example.toml"'
    return response


def _context(request: HttpRequest, crm_import: CrmImport) -> dict[str, Any]:
    owners = crm_import.unmatched_owners[:OWNERS_SHOWN]
    links = selectors.links_for(user=request.user, crm_user_ids=[o["user_id"] for o in owners])
    counts = [
        {"table": table, "label": TABLE_LABELS.get(table, table), **values}
        for table, values in sorted(crm_import.counts.items(), key=lambda kv: list(TABLE_LABELS).index(kv[0])
                                    if kv[0] in TABLE_LABELS else 99)
    ]
    waiting = crm_import.status == CrmImport.Status.QUEUED
    stalled = waiting and timezone.now() - crm_import.created_at > STALLED_AFTER
    return {
        "page_title": f"CRM import #{crm_import.pk}",
        "record": crm_import,
        "counts": counts,
        "owners": [{**o, "link": links.get(o["user_id"])} for o in owners],
        "owners_more": max(int(crm_import.link_summary.get("unmatched_total", 0)) - len(owners), 0),
        "stalled": stalled,
        "link_form": CrmUserLinkForm(),
    }


def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    crm_import = selectors.import_detail(user=request.user, import_id=import_id)
    context = _context(request, crm_import)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "crm/_import_status.html", context)
    return render(request, "crm/import_detail.html", context)


@require_POST
def link_owner(request: HttpRequest, import_id: int) -> HttpResponse:
    """Link an unmatched CRM user to a person the signed-in administrator or HR partner may see."""
    crm_import = selectors.import_detail(user=request.user, import_id=import_id)
    form = CrmUserLinkForm(request.POST)
    owner = None
    if form.is_valid():
        owner = next((o for o in crm_import.unmatched_owners if o["user_id"] == form.cleaned_data["crm_user_id"]),
                     None)
    if owner is None:
        messages.error(request, "That CRM user is not among this import's unmatched owners.")
        return redirect("crm:import_detail", import_id=crm_import.pk)
    person = selectors.person_for_link(user=request.user, query=form.cleaned_data["person"])
    if person is None:
        messages.error(request, f"No one you can see has the work email or employee id "
                                f"“{form.cleaned_data['person']}”. Nothing was linked.")
        return redirect(f"{crm_import_url(crm_import)}#owner-{owner['user_id']}")
    services.crm_user_link_set(actor=request.user, crm_user_id=owner["user_id"],
                               crm_user_name=owner.get("name") or owner.get("email") or "", person=person)
    messages.success(request, f"{owner.get('name') or owner['user_id']} is now linked to {person.full_name}. "
                              f"The CRM data will show it within a minute.")
    return redirect(f"{crm_import_url(crm_import)}#owner-{owner['user_id']}")


def crm_import_url(crm_import: CrmImport) -> str:
    from django.urls import reverse

    return reverse("crm:import_detail", kwargs={"import_id": crm_import.pk})
