"""HR import pages: upload, history and the outcome of each import. Administrators and HR partners only.

Uploads are queued for the background worker; the import's page shows its progress (htmx polls the status
fragment) and then its outcome: the counts and names of what changed, or every problem with its row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any, BinaryIO, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from people.import_forms import PeopleImportForm
from people.importing import MAX_UPLOAD_BYTES, people_import_confirm, people_import_enqueue, selectors
from people.importing.columns import ALL_COLUMNS, COLUMNS, TEMPLATE_ROWS
from people.models import PeopleImport

ERRORS_PER_PAGE = 200
STALLED_AFTER = dt.timedelta(minutes=10)


def import_list(request: HttpRequest) -> HttpResponse:
    """Every import: who, when, which file, mode, outcome and counts."""
    history = selectors.import_history(user=request.user)
    page = Paginator(history, 50).get_page(request.GET.get("page"))
    return render(request, "people/import_list.html", {"page_title": "HR imports", "page": page})


def import_upload(request: HttpRequest) -> HttpResponse:
    selectors.require_import_access(user=request.user)
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        # A full import marks everyone missing from the file as having left, so it is checked first and the
        # importer confirms the count on the check's page.
        record = people_import_enqueue(
            file=cast(BinaryIO, upload), filename=upload.name or "upload", actor=cast(User, request.user),
            full=form.full, dry_run=form.cleaned_data["check_only"] or form.full,
            function_source=form.function_source,
        )
        return redirect("people:import_detail", import_id=record.pk)
    return render(request, "people/import_upload.html", {
        "page_title": "Upload an HR file", "form": form, "columns": COLUMNS, "max_bytes": MAX_UPLOAD_BYTES,
    })


def _retry_form(record: PeopleImport) -> PeopleImportForm:
    return PeopleImportForm(initial={"mode": "full" if record.full else "partial", "check_only": record.dry_run,
                                     "function_from": record.function_column,
                                     "function_default": record.function_default})


_CHANGE_TITLES = (
    ("created", "Created", "To create"),
    ("deactivated", "Marked as left", "To mark as left"),
    ("reactivated", "Reactivated", "To reactivate"),
    ("updated", "Updated", "To update"),
)


def _change_sections(record: PeopleImport) -> list[dict[str, Any]]:
    """Who each kind of change touched: the names the record kept, and how many more there were."""
    sections = []
    for key, done, planned in _CHANGE_TITLES:
        names = (record.changes or {}).get(key) or []
        if names:
            more = getattr(record, key) - len(names)
            sections.append({"title": planned if record.dry_run else done, "names": names, "more": more})
    return sections


def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    """One import's outcome. While it runs, htmx polls this view; it answers 204 until the outcome is known."""
    record = selectors.import_detail(user=request.user, import_id=import_id)
    context = {
        "page_title": f"Import of {record.filename}",
        "record": record,
        "errors": Paginator(record.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page")),
        "form": _retry_form(record) if record.status == PeopleImport.Status.FAILED else None,
        "can_confirm": record.dry_run and record.succeeded and bool(record.upload),
        "change_sections": _change_sections(record),
        "stalled": not record.is_finished and timezone.now() - record.updated_at > STALLED_AFTER,
    }
    if request.htmx:  # type: ignore[attr-defined]
        if not record.is_finished:
            return HttpResponse(status=204)  # htmx keeps the page as it is and asks again
        return render(request, "people/_import_status.html", context)
    return render(request, "people/import_detail.html", context)


@require_POST
def import_confirm(request: HttpRequest, import_id: int) -> HttpResponse:
    """Import for real the file a successful check validated."""
    record = selectors.import_detail(user=request.user, import_id=import_id)
    if not (record.dry_run and record.succeeded and record.upload):
        messages.error(request, "This check can no longer be imported; upload the file again.")
        return redirect("people:import_detail", import_id=record.pk)
    confirmed = None
    if record.full:
        try:
            confirmed = int(request.POST.get("deactivations", ""))
        except ValueError:
            confirmed = None
        if confirmed != record.deactivated or (record.deactivated and not request.POST.get("confirm_left")):
            n = record.deactivated
            messages.error(request, (
                f"Tick the box to confirm that the {n} {pluralize(n, 'person,people')} listed under "
                f"\"To mark as left\" {pluralize(n, 'has,have')} left, then import."
                if n else "Confirm the import with the button below."
            ))
            return redirect("people:import_detail", import_id=record.pk)
    started = people_import_confirm(check=record, actor=cast(User, request.user), confirmed_deactivations=confirmed)
    return redirect("people:import_detail", import_id=started.pk)


def import_template(request: HttpRequest) -> HttpResponse:
    """A CSV with every column and two example rows, to start an HR file from."""
    selectors.require_import_access(user=request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="promoted-people-template.csv"'
    response.write("\ufeff")  # the byte-order mark makes Excel open (and save) the file as UTF-8
    writer = csv.DictWriter(response, fieldnames=ALL_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(TEMPLATE_ROWS)
    return response


def _inert(value: str) -> str:
    """A value from the uploaded file that a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def import_errors(request: HttpRequest, import_id: int) -> HttpResponse:
    """Every problem of a failed import as CSV, to work through beside the file."""
    record = selectors.import_detail(user=request.user, import_id=import_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="problems-import-{record.pk}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "problem"])
    for issue in record.errors:
        writer.writerow([issue["row"] or "", issue["column"], _inert(issue["value"]), issue["message"]])
    return response
