"""Reads of the crm app, scoped to the signed-in person: CRM imports are for administrators and HR partners."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from crm import store
from crm.importing import linking
from crm.models import CrmImport, CrmUserLink
from people.models import Person
from people.scoping import scope_for, visible_people


def can_import(user: Any) -> bool:
    return scope_for(user).is_hr


def require_import_access(*, user: Any) -> None:
    """Anyone but administrators and HR partners gets a 404, as if the pages did not exist."""
    if not can_import(user):
        raise Http404


def import_history(*, user: Any) -> QuerySet[CrmImport]:
    require_import_access(user=user)
    return CrmImport.objects.select_related("created_by", "created_by__person").defer(
        "errors", "unmatched_owners", "paths")


def import_detail(*, user: Any, import_id: int) -> CrmImport:
    require_import_access(user=user)
    crm_import = CrmImport.objects.select_related("created_by", "created_by__person").filter(pk=import_id).first()
    if crm_import is None:
        raise Http404
    return crm_import


def links_for(*, user: Any, crm_user_ids: list[str]) -> dict[str, CrmUserLink]:
    """Hand-made links for these CRM users (the person shown only if the viewer may see them)."""
    require_import_access(user=user)
    links = CrmUserLink.objects.filter(crm_user_id__in=crm_user_ids).select_related("person", "set_by")
    return {link.crm_user_id: link for link in links}


def person_for_link(*, user: Any, query: str) -> Person | None:
    """The one person the viewer may see whose work email or employee id is `query` (case-insensitive)."""
    query = query.strip()
    if not query:
        return None
    return visible_people(user).filter(Q(email__iexact=query) | Q(employee_id__iexact=query)).first()


def latest_import_source() -> str | None:
    """The CRM the store's ids come from: the source of the latest successful import (None before any)."""
    return (CrmImport.objects.filter(status=CrmImport.Status.SUCCEEDED).order_by("-finished_at", "-pk")
            .values_list("source", flat=True).first())


def crm_users_in_store(user_ids: list[str]) -> set[str]:
    """Which of these CRM user ids (as the store writes them) are CRM users in the analytics store."""
    with store.session(read_only=True) as con:
        return linking.known_user_ids(con, user_ids)
