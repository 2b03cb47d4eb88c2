"""HR-file import pages. Replaced by the full import capability (upload, validation report, history)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def import_list(request: HttpRequest) -> HttpResponse:
    raise Http404


def import_upload(request: HttpRequest) -> HttpResponse:
    raise Http404


def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    raise Http404
