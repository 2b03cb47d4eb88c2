"""Reads for the import pages: only administrators and HR partners see imports; anyone else gets 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from people.models import PeopleImport
from people.scoping import scope_for


def require_import_access(*, user: Any) -> None:
    """404 (never a hint that the page exists) unless `user` is an administrator or an HR partner."""
    if not scope_for(user).is_hr:
        raise Http404


def import_history(*, user: Any) -> QuerySet[PeopleImport]:
    """Every people import, newest first, without the heavy columns (file, errors, changes)."""
    require_import_access(user=user)
    return (
        PeopleImport.objects.select_related("actor__person")
        .defer("upload", "errors", "warnings", "changes")
        .order_by("-created_at", "-pk")
    )


def import_detail(*, user: Any, import_id: int) -> PeopleImport:
    require_import_access(user=user)
    return get_object_or_404(PeopleImport.objects.select_related("actor__person"), pk=import_id)
