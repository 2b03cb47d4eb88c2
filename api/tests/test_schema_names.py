"""Each OpenAPI component name stands for one schema class.

django-ninja names a component after its class and merges every operation's definitions into one namespace, so
two different classes with the same name (an `EvidenceOut` in two apps, a `Kind` enum in two models) silently
document one of them with the other's fields. This walks every class every operation uses, across all routers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from enum import Enum
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel

from api.schemas import ComponentName
from api.tests.walk import openapi
from api.urls import api


def _component_name(annotation: Any, metadata: list[Any]) -> str:
    named = [m.name for m in metadata if isinstance(m, ComponentName)]
    return named[-1] if named else annotation.__name__


def _classes(annotation: Any, seen: set[Any], metadata: list[Any] | None = None) -> Iterator[tuple[str, type]]:
    """(component name, class) of every pydantic model and enum reachable from `annotation`: fields, list items,
    unions, Annotated (whose ComponentName renames the component)."""
    metadata = metadata or []
    key = (annotation, tuple(id(m) for m in metadata))
    if key in seen:
        return
    seen.add(key)
    if get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        yield from _classes(base, seen, [*metadata, *extra])
        return
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        yield _component_name(annotation, metadata), annotation
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield _component_name(annotation, metadata), annotation
        for field in annotation.model_fields.values():
            yield from _classes(field.annotation, seen, list(field.metadata))
    for arg in get_args(annotation):
        yield from _classes(arg, seen)


def classes_by_component_name() -> dict[str, set[type]]:
    seen: set[Any] = set()
    found: dict[str, set[type]] = defaultdict(set)
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for root in [*operation.models, *operation.response_models.values()]:
                    for name, cls in _classes(root, seen):
                        found[name].add(cls)
    components = set(openapi()["components"]["schemas"])
    return {name: classes for name, classes in found.items() if name in components}


def test_no_two_schema_classes_share_a_component_name():
    by_name = classes_by_component_name()
    # The walk reaches nested models and renamed enums, not only the top-level ones.
    assert {"ErrorOut", "PersonOut", "PersonRef", "OrgUnitKind", "EvidenceKind"} <= set(by_name)
    clashes = {name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
               for name, classes in by_name.items() if len(classes) > 1}
    assert clashes == {}


def test_the_components_the_issue_found_clashing_are_apart():
    components = openapi()["components"]["schemas"]
    assert "EvidenceOut" not in components
    assert "Kind" not in components
    development = set(components["MasteryEvidenceOut"]["properties"])
    insights = set(components["TaskEvidenceOut"]["properties"])
    assert {"manager", "competency", "reviewer"} <= development
    assert {"effect", "ci_low", "driven_by"} <= insights
    assert not {"effect", "driven_by"} & development
    assert set(components["OrgUnitKind"]["enum"]) >= {"company", "function", "region"}
    assert set(components["EvidenceKind"]["enum"]) >= {"assessment_score", "observed_demonstration"}
