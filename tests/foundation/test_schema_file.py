"""The committed gatehouse/schema/schema.graphql is the printed schema; every field is described."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType

from gatehouse.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "gatehouse" / "schema" / "schema.graphql"


def test_committed_schema_is_current():
    printed = build_schema().as_str()
    assert SCHEMA_FILE.read_text() == printed + "\n", "run `make schema` and commit the result"


def test_every_type_field_and_argument_is_described():
    schema = build_schema()._schema
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Boolean", "Int", "Float", "ID"}:
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, (GraphQLObjectType, GraphQLInputObjectType)):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(type_, GraphQLEnumType) and not type_.description:
            missing.append(name)
    assert missing == []
