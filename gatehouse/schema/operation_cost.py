"""How big an operation is, before anything validates or executes it: depth, aliases and cost.

Fragments are where a small document hides a large operation: each fragment spreading the next
one twice doubles the work of anything that walks the spreads, so a 1 KB document can stand for
2^30 fields. Here every fragment is measured once and its measure reused at each spread
(SECURITY 52): the walk is linear in the document, however the spreads multiply. The numbers
themselves still multiply (a fragment spread twice counts twice), so such a document is
refused, cheaply, as too costly.

Cost counts the objects an operation may return: a field of object type costs 1 per object,
a page (a field with a `first` argument) as many objects as its page size, and a plain list
as many as `UNPAGED_LIST_SIZE`; nested lists multiply. Scalars are free.
Introspection lists count once (their size is the schema's, not the data's), so GraphiQL's
introspection query stays cheap while a fan-out through introspection types is still priced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    is_list_type,
    is_non_null_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef
from graphql.utilities import type_from_ast

from gatehouse.resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# A list without a page size (`Organization.domains`, `User.memberships`) is priced as one
# default page: such lists are short in practice (an organization's directories, a person's
# organizations), and the largest page (100) would price the portal's own pages out.
UNPAGED_LIST_SIZE = DEFAULT_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            max(self.depth, other.depth), self.aliases + other.aliases, self.cost + other.cost
        )


NOTHING = Measure()


@dataclass(frozen=True, slots=True)
class OperationMeasure:
    name: str  # "anonymous" for an unnamed operation, as Strawberry's depth limiter said
    measure: Measure


class DocumentMeasurer:
    """Measures the operations of one document for one set of variables.

    Works on documents that have not been validated yet: unknown fields, types and fragments
    measure as nothing, and a fragment cycle is cut (validation reports both).
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}
        self.page_variables: set[str] = set()  # variables that set a page size, for caching
        self._fragment_measures: dict[str, Measure] = {}
        self._measuring: set[str] = set()

    def operation(self, node: OperationDefinitionNode) -> OperationMeasure:
        root = self.schema.get_root_type(node.operation)
        name = node.name.value if node.name else "anonymous"
        return OperationMeasure(name, self._selection_set(node.selection_set, root))

    def _selection_set(
        self, selection_set: SelectionSetNode, parent: GraphQLCompositeType | None
    ) -> Measure:
        total = NOTHING
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = _composite(type_from_ast(self.schema, condition)) if condition else parent
                total += self._selection_set(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value)
        return total

    def _fragment(self, name: str) -> Measure:
        known = self._fragment_measures.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self._measuring:
            return NOTHING
        self._measuring.add(name)
        condition = _composite(type_from_ast(self.schema, fragment.type_condition))
        measure = self._selection_set(fragment.selection_set, condition)
        self._measuring.discard(name)
        self._fragment_measures[name] = measure
        return measure

    def _field(self, node: FieldNode, parent: GraphQLCompositeType | None) -> Measure:
        aliases = 1 if node.alias else 0
        definition = _field_definition(self.schema, parent, node.name.value)
        child_type = _composite(get_named_type(definition.type)) if definition else None
        if node.selection_set is None:
            return Measure(0, aliases, 0)
        inner = self._selection_set(node.selection_set, child_type)
        introspection = node.name.value.startswith("__") or (
            parent is not None and parent.name.startswith("__")
        )
        # Introspection fields do not count towards depth (as in Strawberry's limiter: the
        # introspection query nests deep by design); they are priced like any other field.
        depth = 0 if introspection else 1 + inner.depth
        if definition is None or child_type is None:
            return Measure(depth, aliases + inner.aliases, 0)
        size = 1 if introspection else self._list_size(node, definition, parent)
        return Measure(depth, aliases + inner.aliases, size * (1 + inner.cost))

    def _list_size(
        self, node: FieldNode, definition: GraphQLField, parent: GraphQLCompositeType | None
    ) -> int:
        if "first" in definition.args:
            return self._page_size(node)
        if not _is_list(definition.type):
            return 1
        if isinstance(parent, GraphQLObjectType) and "pageInfo" in parent.fields:
            return 1  # a page's `edges`: its page size was counted on the page field
        return UNPAGED_LIST_SIZE

    def _page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return _clamp(int(value.value))
            if isinstance(value, VariableNode):
                name = value.name.value
                self.page_variables.add(name)
                given = self.variables.get(name)
                return _clamp(given) if isinstance(given, int) else DEFAULT_PAGE_SIZE
        return DEFAULT_PAGE_SIZE


def _clamp(size: int) -> int:
    # Sizes outside 0..100 are refused by the resolver itself (PAGE_SIZE_EXCEEDED); priced at
    # the nearest size the resolver would run, so that clearer error is the one the caller gets.
    return max(0, min(size, MAX_PAGE_SIZE))


def _composite(type_: Any) -> GraphQLCompositeType | None:
    return type_ if is_composite_type(type_) else None


def _is_list(type_: Any) -> bool:
    return is_list_type(type_.of_type if is_non_null_type(type_) else type_)


def _field_definition(
    schema: GraphQLSchema, parent: GraphQLCompositeType | None, name: str
) -> GraphQLField | None:
    if name == "__typename":
        return TypeNameMetaFieldDef
    if name == "__schema" and parent is schema.query_type:
        return SchemaMetaFieldDef
    if name == "__type" and parent is schema.query_type:
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        # graphql-core's own cached_property hides `fields`' declared type (GraphQLFieldMap).
        fields: Mapping[str, GraphQLField] = parent.fields
        return fields.get(name)
    return None


def fragments_of(definitions: Any) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
