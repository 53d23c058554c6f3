"""Fields resolve without Strawberry's per-field wrapper where it adds nothing
(schema/direct_fields.py). That they answer as before is the rest of the suite's job."""

from __future__ import annotations

from gatehouse.schema import build_schema


def _resolver_name(type_name: str, field_name: str) -> str:
    schema = build_schema()
    field = schema._schema.type_map[type_name].fields[field_name]  # type: ignore[union-attr]
    return getattr(field.resolve, "__name__", "")


def test_attribute_and_simple_method_fields_skip_the_wrapper():
    # User.email has no resolver; Member.user is a method taking only `info`.
    assert _resolver_name("User", "email") == "resolve"
    assert _resolver_name("Member", "user") == "resolve"


def test_fields_with_arguments_or_async_resolvers_keep_strawberrys():
    # Arguments need Strawberry's conversion; async resolvers keep its wrapper too.
    assert _resolver_name("Organization", "members") == "_async_resolver"


def test_no_middleware_manager_without_a_resolve_hook():
    schema = build_schema()
    extensions = [factory() for factory in schema.extensions]  # type: ignore[operator]
    assert schema._get_middleware_manager(extensions) is None  # type: ignore[arg-type]
