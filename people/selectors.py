"""Reads of people and the org tree, always scoped to what the signed-in person may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from people.models import EmploymentStatus, Person
from people.scoping import visible_people


def person_directory(
    *,
    user: Any,
    query: str = "",
    function: str = "",
    region: str = "",
    status: str = "active",
    org_unit: int | None = None,
) -> QuerySet[Person]:
    """People `user` may see, filtered for the directory. `status` is active (default), inactive or all."""
    people = visible_people(user).select_related("manager", "org_unit")
    if query:
        for term in query.split():
            people = people.filter(
                Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(email__icontains=term)
                | Q(employee_id__iexact=term)
                | Q(job_title__icontains=term)
            )
    if function:
        people = people.filter(function=function)
    if region:
        people = people.filter(region=region)
    if org_unit is not None:
        people = people.filter(org_unit_id=org_unit)
    if status == "active":
        people = people.exclude(status=EmploymentStatus.INACTIVE)
    elif status == "inactive":
        people = people.filter(status=EmploymentStatus.INACTIVE)
    return people.order_by("last_name", "first_name", "pk")


def directory_facets(*, user: Any) -> dict[str, list[str]]:
    """The values the directory's filters offer, from the people `user` may see."""
    visible = visible_people(user)
    return {
        "regions": sorted(r for r in visible.values_list("region", flat=True).distinct() if r),
    }


def person_detail(*, user: Any, person_id: int) -> Person:
    """One person `user` may see, or 404 (never a hint that someone outside the scope exists)."""
    return get_object_or_404(
        visible_people(user).select_related("manager", "org_unit", "org_unit__parent"), pk=person_id
    )


def direct_reports(*, user: Any, person: Person) -> list[Person]:
    return list(
        visible_people(user)
        .filter(manager=person)
        .exclude(status=EmploymentStatus.INACTIVE)
        .select_related("org_unit")
        .order_by("last_name", "first_name")
    )


@dataclass
class TreeNode:
    person: Person
    children: list[TreeNode] = field(default_factory=list)
    team_size: int = 0  # everyone below this person in the tree


def reporting_tree(*, user: Any, root: Person, include_inactive: bool = False) -> TreeNode:
    """The reporting subtree under `root` as nested nodes, limited to people `user` may see.

    Two queries however large the subtree: one for the people (by materialised path), one for their units.
    """
    people = visible_people(user).filter(path__startswith=root.path).select_related("org_unit")
    if not include_inactive:
        people = people.exclude(status=EmploymentStatus.INACTIVE)
    nodes = {p.pk: TreeNode(p) for p in people.order_by("depth", "last_name", "first_name")}
    top = nodes.get(root.pk) or TreeNode(root)
    for node in nodes.values():
        parent = nodes.get(node.person.manager_id) if node.person.manager_id else None
        if parent is not None and node is not top:
            parent.children.append(node)

    def count(node: TreeNode) -> int:
        node.team_size = sum(1 + count(child) for child in node.children)
        return node.team_size

    # Iterative post-order would be safer for very deep trees; org charts are at most a dozen levels.
    count(top)
    return top


def team_summary(*, user: Any, root: Person) -> dict[str, int]:
    """Headcount facts for the subtree under `root` that `user` may see."""
    below = visible_people(user).filter(path__startswith=root.path).exclude(pk=root.pk)
    return below.aggregate(
        active=Count("pk", filter=~Q(status=EmploymentStatus.INACTIVE)),
        left=Count("pk", filter=Q(status=EmploymentStatus.INACTIVE)),
        managers=Count("pk", filter=Q(direct_reports__isnull=False), distinct=True),
    )
