"""Reads for the import pages: only administrators and HR partners see imports; anyone else gets 404.

An import's record names the people it created, changed or refused, so an HR partner sees only the imports they
ran themselves (which can only touch the units they support); administrators see every import.
"""

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


def _visible_imports(user: Any) -> QuerySet[PeopleImport]:
    require_import_access(user=user)
    if scope_for(user).sees_everyone:
        return PeopleImport.objects.all()
    return PeopleImport.objects.filter(actor=user)


def import_history(*, user: Any) -> QuerySet[PeopleImport]:
    """The people imports `user` may see, newest first, without the heavy columns (file, errors, changes)."""
    return (
        _visible_imports(user).select_related("actor__person")
        .defer("upload", "errors", "warnings", "changes")
        .order_by("-created_at", "-pk")
    )


def import_detail(*, user: Any, import_id: int) -> PeopleImport:
    """One import `user` may see; 404 for any other (an HR partner's colleague's import is not theirs to read)."""
    return get_object_or_404(_visible_imports(user).select_related("actor__person"), pk=import_id)
