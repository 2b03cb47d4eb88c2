"""Schemas and schema helpers shared by every app's endpoints.

OpenAPI component names are one namespace for the whole API: django-ninja names a component after its class,
so two classes with the same name (an `EvidenceOut` in two apps, the `Kind` enums of two models) would document
one with the other's fields. Shared shapes live here once; a model's nested enum gets an API name with
`ComponentName` (api/tests/test_schema_names.py fails on any clash).
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class ComponentName:
    """`Annotated[OrgUnit.Kind, ComponentName("OrgUnitKind")]`: the type, documented under that component name.

    The name goes into the type's core-schema reference, from which pydantic (and so ninja) names the component.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler.generate_schema(source)
        return {**schema, "ref": f"{self.name}:{id(source)}"}

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        handler.resolve_ref_schema(json_schema)["title"] = self.name
        return json_schema


class PersonRef(Schema):
    """A person named in another object: who it is about, who asked, who manages."""

    id: int
    full_name: str
