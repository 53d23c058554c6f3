"""Leaf fields answered straight from the attribute (schema/leaf_fields.py) answer exactly as
graphql-core's full execution does, errors included, and do take the short way."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gatehouse.schema import GatehouseSchema, build_schema
from gatehouse.schema.direct_fields import resolve_fields_directly
from gatehouse.schema.leaf_fields import LeafExecutionContext, leaves_of


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"


@strawberry.type
class Thing:
    id: strawberry.ID
    count: int
    label: str | None
    colour: Colour
    maybe_colour: Colour | None


class Broken:
    """A source whose attribute raises, as a lazy property can."""

    id = "t1"
    count = 1
    colour = Colour.RED
    maybe_colour = None

    @property
    def label(self) -> str:
        msg = "label failed"
        raise RuntimeError(msg)


SOURCES: dict[str, Any] = {
    "ordinary": Thing(id="t1", count=3, label="a", colour=Colour.RED, maybe_colour=Colour.RED),
    "null_in_nullable": Thing(id="t1", count=3, label=None, colour=Colour.RED, maybe_colour=None),
    # the scalar refuses these: graphql-core's error names the field and the value
    "not_an_int": Thing(id="t1", count="x", label="a", colour=Colour.RED, maybe_colour=None),  # type: ignore[arg-type]
    "not_an_enum": Thing(id="t1", count=1, label="a", colour="blue", maybe_colour=None),  # type: ignore[arg-type]
    "null_in_non_null": Thing(id="t1", count=None, label="a", colour=Colour.RED, maybe_colour=None),  # type: ignore[arg-type]
    "an_exception_as_value": Thing(
        id="t1",
        count=1,
        label=ValueError("as a value"),
        colour=Colour.RED,
        maybe_colour=None,  # type: ignore[arg-type]
    ),
    "raising_attribute": Broken(),
}


def _schema(context: type[StrawberryGraphQLCoreExecutionContext] | None, source: Any):
    @strawberry.type
    class Query:
        @strawberry.field
        def things(self) -> list[Thing]:
            return [source, source]

    # Gatehouse's schema class: no middleware manager, as in production
    schema = GatehouseSchema(query=Query, execution_context_class=context)
    resolve_fields_directly(schema)
    return schema


QUERY = "{ things { id count label colour maybeColour alias: count __typename } }"


@pytest.mark.parametrize("case", SOURCES)
def test_the_short_way_answers_as_graphql_core_does(case):
    source = SOURCES[case]
    expected = _schema(None, source).execute_sync(QUERY)
    got = _schema(LeafExecutionContext, source).execute_sync(QUERY)
    assert got.data == expected.data
    assert [(e.message, e.path, e.locations) for e in got.errors or []] == [
        (e.message, e.path, e.locations) for e in expected.errors or []
    ]
    # the cases out of the ordinary do reach graphql-core's error handling
    assert bool(expected.errors) == (case not in ("ordinary", "null_in_nullable"))


def test_leaf_fields_take_the_short_way(monkeypatch):
    built: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.build_resolve_info

    def counting(self, field_def, field_nodes, *args):
        built.append(field_nodes[0].name.value)
        return original(self, field_def, field_nodes, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "build_resolve_info", counting)
    schema = _schema(LeafExecutionContext, SOURCES["ordinary"])
    assert schema.execute_sync(QUERY).errors is None
    # only the list field with a resolver and the meta field __typename take the full way
    assert built == ["things", "__typename", "__typename"]


def test_gatehouses_schema_uses_it_for_plain_leaves_only():
    leaves = leaves_of(build_schema()._schema)
    assert leaves["User"]["email"][0] == "email"
    assert "firstName" in leaves["User"]
    assert "status" in leaves["Member"]  # an enum
    assert "user" not in leaves["Member"]  # an object, through a dataloader
    assert "members" not in leaves.get("Organization", {})  # arguments
