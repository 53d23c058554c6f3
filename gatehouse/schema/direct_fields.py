"""Fields resolve with as few Python calls as graphql-core allows, not through Strawberry's
per-field wrapper.

A page of 100 members with users and roles resolves about a thousand fields, most of them
attributes with no resolver. Strawberry still routes each through two Python calls
(`_get_basic_result`, then `StrawberryField.get_result`) before the `getattr`; profiled on the
members page (bench/bench_members_page.py) that wrapper was the largest Strawberry share.
Graphql-core calls whatever `resolve` a field has, so a field that Strawberry itself calls
basic (no resolver, no field extension, the default `getattr` resolver) gets a closure doing
exactly what the wrapper ends in. A resolver that takes no argument but `self` and `info`
(`Member.user`, `Member.role`: two per row) is called straight with Strawberry's `Info`,
skipping the argument conversion and extension chain it has no use for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.field import StrawberryField

Resolver = Callable[..., Any]


def _attribute(name: str) -> Resolver:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    resolve.reads_attribute = name  # type: ignore[attr-defined]
    return resolve


def attribute_name(resolve: Resolver | None) -> str | None:
    """The attribute a resolver installed here reads, or None for any other resolver."""
    return getattr(resolve, "reads_attribute", None)


def _method(field: StrawberryField, info_class: type[Info]) -> Resolver:
    resolver = field.base_resolver
    assert resolver is not None
    # A plain function taking `self` first (checked by `_is_simple_method`).
    call: Callable[..., Any] = resolver.wrapped_func  # type: ignore[assignment]
    if resolver.info_parameter is None:

        def resolve_without_info(source: Any, _info: Any) -> Any:
            return call(source)

        return resolve_without_info

    def resolve(source: Any, info: Any) -> Any:
        return call(source, info_class(_raw_info=info, _field=field))

    return resolve


def resolve_fields_directly(schema: strawberry.Schema) -> int:
    """Swap the resolvers; returns how many fields were swapped (the test checks some are)."""
    if schema.schema_converter.exception_handlers:
        return 0  # handlers wrap every resolver: leave Strawberry's in place
    info_class = schema.config.info_class
    swapped = 0
    for graphql_type in schema._schema.type_map.values():  # noqa: SLF001
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField):
                continue
            if _is_plain(field, graphql_field):
                graphql_field.resolve = _attribute(field.python_name)
            elif _is_simple_method(field, graphql_field):
                graphql_field.resolve = _method(field, info_class)
            else:
                continue
            swapped += 1
    return swapped


def _is_plain(field: StrawberryField, graphql_field: Any) -> bool:
    # Strawberry marks the wrapper it builds for such a field `_is_default`; a field with
    # exception handlers gets a different wrapper, without the mark, and is left alone.
    wrapper = graphql_field.resolve
    return (
        field.is_basic_field
        and field.default_resolver is getattr
        and getattr(wrapper, "_is_default", False)
        and getattr(wrapper, "__name__", "") == "_get_basic_result"
    )


def _is_simple_method(field: StrawberryField, graphql_field: Any) -> bool:
    """A sync method of the type taking `self` and maybe `info`, with no GraphQL argument,
    permission or extension: the only case where Strawberry's wrapper adds nothing."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.arguments or resolver.is_async:
        return False
    reserved = {resolver.self_parameter, resolver.info_parameter} - {None}
    return (
        resolver.self_parameter is not None
        and resolver.root_parameter is None
        and resolver.parent_parameter is None
        and len(resolver.signature.parameters) == len(reserved)
        and getattr(graphql_field.resolve, "__name__", "") == "_resolver"
    )
