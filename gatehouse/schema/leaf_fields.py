"""Leaf fields read straight off their object: graphql-core's execution, minus the per-field
bookkeeping a plain attribute has no use for.

Most fields of a page are scalar or enum attributes (`id`, `status`, `email`: seven of the ten
fields per member row on the members page). For each, graphql-core builds a `GraphQLResolveInfo`,
looks up arguments, checks the result for an awaitable and an exception, and walks the
non-null wrapper, before it calls the type's `coerce_output_value`. Profiled on the members page
(bench/bench_members_page.py), that walk was most of what GraphQL cost over the plain endpoint.

`LeafExecutionContext` answers such a field with the `getattr` and the coercion alone. A field
takes the short way only when nothing could tell the difference: its resolver is the plain
attribute read that `direct_fields` installed, it has no arguments, it returns a scalar or an
enum, and no extension hooks `resolve` (there is no middleware manager). Anything out of the
ordinary (an exception, a null for a non-null field, a value the scalar refuses) goes the
standard way, which reads the attribute again and reports the error exactly as before.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gatehouse.schema.direct_fields import attribute_name

# type name -> field name -> (attribute, the leaf type's output coercion, non-null)
Leaves = dict[str, dict[str, tuple[str, Any, bool]]]
_LEAVES: WeakKeyDictionary[GraphQLSchema, Leaves] = WeakKeyDictionary()  # once per schema


def leaves_of(schema: GraphQLSchema) -> Leaves:
    """The fields of `schema` that may take the short way."""
    found = _LEAVES.get(schema)
    if found is None:
        found = {}
        for graphql_type in schema.type_map.values():
            if isinstance(graphql_type, GraphQLObjectType):
                fields = {
                    name: leaf
                    for name, field in graphql_type.fields.items()
                    if (leaf := _leaf(field)) is not None
                }
                if fields:
                    found[graphql_type.name] = fields
        _LEAVES[schema] = found
    return found


def _leaf(field: GraphQLField) -> tuple[str, Any, bool] | None:
    attribute = attribute_name(field.resolve)
    leaf_type = get_nullable_type(field.type)
    if attribute is None or field.args or not is_leaf_type(leaf_type):
        return None
    return attribute, leaf_type.coerce_output_value, is_non_null_type(field.type)


class LeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # With a middleware manager, every resolver is wrapped: no field is plain any more.
        self._leaves: Leaves = {} if self.middleware_manager else leaves_of(self.schema)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        fields = self._leaves.get(parent_type.name)
        if fields is not None:
            leaf = fields.get(field_details_list[0].node.name.value)
            if leaf is not None:
                attribute, coerce, non_null = leaf
                try:
                    value = getattr(source, attribute)
                    if value is None and not non_null:
                        return None
                    if value is not None and not isinstance(value, Exception):
                        coerced = coerce(value)
                        if coerced is not None and coerced is not Undefined:
                            return coerced
                except Exception:  # noqa: BLE001, S110 - the standard way reports it
                    pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


__all__ = ["LeafExecutionContext", "leaves_of"]
