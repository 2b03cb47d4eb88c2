"""People and org units over the API: the same reads, and the same scope, as the people pages.

Everything goes through people.selectors / people.scoping; a person or unit outside the caller's scope answers
404 exactly like one that does not exist.

These endpoints lived in api/routers/people.py; their OpenAPI operation ids are kept from there (`_operation_id`),
because clients generated from the schema name their functions after them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from accounts.models import Role
from api.auth import caller
from api.errors import COMMON_ERRORS
from api.ids import Id
from api.pagination import PageMeta, PageParams, paginate
from api.schemas import ComponentName, PersonRef
from people import selectors
from people.models import EmploymentStatus, Function, OrgUnit, Person
from people.scoping import scope_for, visible_org_units, visible_people

router = Router(tags=["People"])
me_router = Router(tags=["Me"])
org_router = Router(tags=["Org units"])


def _operation_id(view_name: str) -> str:
    return f"api_routers_people_{view_name}"


# --- Schemas ---------------------------------------------------------------------------------------------------


class OrgUnitRef(Schema):
    id: int
    code: str = Field(..., description="The unit's id in the HR system.")
    name: str
    kind: str


class PersonOut(Schema):
    id: int
    employee_id: str = Field(..., description="The id in the HR system.")
    first_name: str
    last_name: str
    full_name: str
    email: str
    function: str
    function_label: str
    department: str
    job_title: str
    region: str
    location: str
    status: str = Field(..., description="active, on_leave or inactive (left the company).")
    status_label: str
    hire_date: dt.date | None
    manager_since: dt.date | None = Field(..., description="When they became a people manager.")
    end_date: dt.date | None
    leaving_reason: str = Field(..., description="voluntary, involuntary, or empty.")
    manager: PersonRef | None
    org_unit: OrgUnitRef | None

    @staticmethod
    def resolve_function_label(obj: Person) -> str:
        return str(obj.get_function_display())

    @staticmethod
    def resolve_status_label(obj: Person) -> str:
        return str(obj.get_status_display())


class PersonPage(PageMeta):
    items: list[PersonOut]


class TreePersonOut(Schema):
    id: int
    full_name: str
    job_title: str
    function: str
    status: str
    org_unit: OrgUnitRef | None
    team_size: int = Field(..., description="Everyone below this person in the tree, as far as you may see.")
    children: list[TreePersonOut]


TreePersonOut.model_rebuild()  # resolve the self-reference

class RoleOut(Schema):
    code: str
    label: str


class UserOut(Schema):
    id: int
    email: str


class MeOut(Schema):
    user: UserOut
    roles: list[RoleOut]
    sees_everyone: bool = Field(..., description="True for administrators.")
    person: PersonOut | None = Field(..., description="Your own record in the HR data, if you have one.")


class OrgUnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    parent: OrgUnitRef | None = Field(..., description="Null at the top, or when the parent is outside your scope.")
    member_count: int = Field(..., description="Active people in this unit (not sub-units) that you may see.")


class OrgUnitPage(PageMeta):
    items: list[OrgUnitOut]


class OrgUnitDetailOut(OrgUnitOut):
    children: list[OrgUnitRef] = Field(..., description="Sub-units you may see.")


# --- Query parameters ------------------------------------------------------------------------------------------

OrgUnitKind = Annotated[OrgUnit.Kind, ComponentName("OrgUnitKind")]
StatusFilter = Literal["active", "inactive", "all"]


class PeopleQuery(PageParams):
    q: str = Field("", max_length=200, description="Words matched against name, email, job title, employee id.")
    function: Function | None = None
    region: str = Field("", max_length=100)
    status: StatusFilter = Field("active", description="active (includes on leave), inactive (left), or all.")
    org_unit: Id | None = Field(None, description="Only people in this org unit (not its sub-units).")
    manager: Id | None = Field(None, description="Only direct reports of this person.")


class ReportsQuery(Schema):
    status: StatusFilter = "active"


class TreeQuery(Schema):
    include_inactive: bool = Field(False, description="Include people who have left.")


class OrgUnitQuery(PageParams):
    q: str = Field("", max_length=200, description="Matched against the unit's name and code.")
    kind: OrgUnitKind | None = None


# --- Me --------------------------------------------------------------------------------------------------------


@me_router.get("/me", response={200: MeOut, **COMMON_ERRORS}, url_name="me", summary="Who am I",
               operation_id=_operation_id("me"))
def me(request: HttpRequest) -> dict[str, Any]:
    """The caller: their sign-in, the roles that decide what they see, and their own person record."""
    user = caller(request)
    scope = scope_for(user)
    person = (
        visible_people(user).filter(user=user).select_related("manager", "org_unit").first()
        if scope.person_id is not None
        else None
    )
    return {
        "user": user,
        "roles": [{"code": value, "label": label} for value, label in Role.choices if value in scope.roles],
        "sees_everyone": scope.sees_everyone,
        "person": person,
    }


# --- People ----------------------------------------------------------------------------------------------------


@router.get("", response={200: PersonPage, **COMMON_ERRORS}, url_name="people", summary="List people",
            operation_id=_operation_id("people_list"))
def people_list(request: HttpRequest, filters: Query[PeopleQuery]) -> dict[str, Any]:
    """Everyone the caller may see, filtered like the directory, ordered by last and first name."""
    people = selectors.person_directory(
        user=caller(request),
        query=filters.q.strip(),
        function=filters.function.value if filters.function else "",
        region=filters.region,
        status=filters.status,
        org_unit=filters.org_unit,
    )
    if filters.manager is not None:
        people = people.filter(manager_id=filters.manager)
    return paginate(people, filters)


@router.get("/{api_id:person_id}", response={200: PersonOut, **COMMON_ERRORS}, url_name="person",
            summary="One person", operation_id=_operation_id("person_get"))
def person_get(request: HttpRequest, person_id: Id) -> Person:
    return selectors.person_detail(user=caller(request), person_id=person_id)


@router.get("/{api_id:person_id}/reports", response={200: list[PersonOut], **COMMON_ERRORS},
            url_name="person_reports", summary="A person's direct reports",
            operation_id=_operation_id("person_reports"))
def person_reports(request: HttpRequest, person_id: Id, filters: Query[ReportsQuery]) -> list[Person]:
    """The person's direct reports that the caller may see (active ones unless `status` says otherwise)."""
    user = caller(request)
    subject = selectors.person_detail(user=user, person_id=person_id)
    return list(selectors.person_directory(user=user, status=filters.status).filter(manager=subject))


@router.get("/{api_id:person_id}/tree", response={200: TreePersonOut, **COMMON_ERRORS},
            url_name="person_tree", summary="A person's reporting tree",
            operation_id=_operation_id("person_tree"))
def person_tree(request: HttpRequest, person_id: Id, filters: Query[TreeQuery]) -> dict[str, Any]:
    """The whole reporting subtree under the person, nested, limited to people the caller may see.

    A fixed handful of queries however large the tree (people are fetched by materialised path in one go).
    """
    user = caller(request)
    root = selectors.person_detail(user=user, person_id=person_id)
    tree = selectors.reporting_tree(user=user, root=root, include_inactive=filters.include_inactive)
    return _tree_out(tree)


def _tree_out(node: selectors.TreeNode) -> dict[str, Any]:
    person = node.person
    return {
        "id": person.pk,
        "full_name": person.full_name,
        "job_title": person.job_title,
        "function": person.function,
        "status": person.status,
        "org_unit": person.org_unit,
        "team_size": node.team_size,
        "children": [_tree_out(child) for child in node.children],
    }


# --- Org units -------------------------------------------------------------------------------------------------


def _member_counts(user: Any, unit_ids: list[int]) -> dict[int, int]:
    rows = (
        visible_people(user)
        .filter(org_unit_id__in=unit_ids)
        .exclude(status=EmploymentStatus.INACTIVE)
        .values("org_unit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["org_unit_id"]: row["n"] for row in rows}


def _units_out(user: Any, units: list[OrgUnit]) -> list[dict[str, Any]]:
    """Units with their member counts, and parents only where the caller may see them: two queries."""
    parent_ids = {u.parent_id for u in units if u.parent_id is not None}
    visible_parents = set(
        visible_org_units(user).filter(pk__in=parent_ids).values_list("pk", flat=True)
    ) if parent_ids else set()
    counts = _member_counts(user, [u.pk for u in units]) if units else {}
    return [
        {
            "id": unit.pk,
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "kind_label": str(unit.get_kind_display()),
            "parent": unit.parent if unit.parent_id in visible_parents else None,
            "member_count": counts.get(unit.pk, 0),
        }
        for unit in units
    ]


@org_router.get("", response={200: OrgUnitPage, **COMMON_ERRORS}, url_name="org_units", summary="List org units",
                operation_id=_operation_id("org_units_list"))
def org_units_list(request: HttpRequest, filters: Query[OrgUnitQuery]) -> dict[str, Any]:
    """Org units the caller may see, in tree order (each unit right after its parent)."""
    user = caller(request)
    units = visible_org_units(user).select_related("parent").order_by("path", "pk")
    if filters.kind:
        units = units.filter(kind=filters.kind.value)
    for term in filters.q.split():
        units = units.filter(Q(name__icontains=term) | Q(code__iexact=term))
    page = paginate(units, filters)
    page["items"] = _units_out(user, page["items"])
    return page


@org_router.get("/{api_id:unit_id}", response={200: OrgUnitDetailOut, **COMMON_ERRORS}, url_name="org_unit",
                summary="One org unit", operation_id=_operation_id("org_unit_get"))
def org_unit_get(request: HttpRequest, unit_id: Id) -> dict[str, Any]:
    user = caller(request)
    visible = visible_org_units(user)
    unit = get_object_or_404(visible.select_related("parent"), pk=unit_id)
    (out,) = _units_out(user, [unit])
    out["children"] = list(visible.filter(parent=unit).order_by("name", "pk"))
    return out
