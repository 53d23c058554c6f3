"""SCIM filters (RFC 7644 §3.4.2.2) parsed by scim2-models into an AST, mapped onto Tortoise Q.

The filter text never reaches SQL: each comparison becomes a Q on a known column, with the
value bound as a parameter. Attributes without a column are refused with `invalidFilter`
rather than evaluated in memory, so a list request costs one indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scim2_models.exceptions import SCIMException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ScimFilter,
    ValuePath,
)
from tortoise.expressions import Q

from gatehouse.scim.errors import ScimError, invalid_filter, invalid_value

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
MAX_FILTER_LENGTH = 2_000


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str = "string"  # string | boolean | datetime
    case_exact: bool = True  # False: the column holds a lowercased copy
    # The column's length: a longer value matches nothing stored, and Tortoise refuses to
    # send it for eq/ne/gt/ge/lt/le (its length check on a filter value); it is an invalid
    # filter for every operator, so the answer does not depend on the operator.
    max_length: int = 320


USER_COLUMNS: dict[str, Column] = {
    "id": Column("id", max_length=40),
    "username": Column("user_name_lower", case_exact=False),
    "externalid": Column("external_id"),
    "emails": Column("email", case_exact=False),
    "emails.value": Column("email", case_exact=False),
    "displayname": Column("display_name"),
    "name.givenname": Column("given_name", max_length=200),
    "name.familyname": Column("family_name", max_length=200),
    "active": Column("active", "boolean"),
    "meta.created": Column("created_at", "datetime"),
    "meta.lastmodified": Column("updated_at", "datetime"),
}

GROUP_COLUMNS: dict[str, Column] = {
    "id": Column("id", max_length=40),
    "displayname": Column("display_name_lower", case_exact=False),
    "externalid": Column("external_id"),
    "members": Column("memberships__directory_user_id", max_length=40),
    "members.value": Column("memberships__directory_user_id", max_length=40),
    "meta.created": Column("created_at", "datetime"),
    "meta.lastmodified": Column("updated_at", "datetime"),
}

_LOOKUPS = {
    CompareOperator.eq: "",
    CompareOperator.co: "__contains",
    CompareOperator.sw: "__startswith",
    CompareOperator.ew: "__endswith",
    CompareOperator.gt: "__gt",
    CompareOperator.ge: "__gte",
    CompareOperator.lt: "__lt",
    CompareOperator.le: "__lte",
}


class FilterMapper:
    def __init__(self, columns: dict[str, Column], schema: str) -> None:
        self.columns = columns
        self.schema = schema.lower()

    def column(self, path: AttrPath, parent: str | None = None) -> Column:
        if path.uri is not None and path.uri.lower() != self.schema:
            raise invalid_filter(f"Filtering on {path} is not supported.")
        key = path.attr.lower() if parent is None else f"{parent}.{path.attr.lower()}"
        if path.sub_attr:
            key = f"{key}.{path.sub_attr.lower()}"
        column = self.columns.get(key)
        if column is None:
            raise invalid_filter(f"Filtering on {path} is not supported.")
        return column

    def to_q(self, node: FilterNode, parent: str | None = None) -> Q:
        if isinstance(node, LogicalExpr):
            parts = [self.to_q(term, parent) for term in node.terms]
            join = "OR" if node.op is LogicalOperator.or_ else "AND"
            return Q(*parts, join_type=join)
        if isinstance(node, Not):
            inner = self.to_q(node.expr, parent)
            if isinstance(node.expr, Comparison):
                # SQL's NOT drops NULLs; in SCIM an absent attribute is "not equal" too.
                column = self.column(node.expr.attr_path, parent)
                return Q(~inner, _isnull(column.name, null=True), join_type="OR")
            return ~inner
        if isinstance(node, Present):
            column = self.column(node.attr_path, parent)
            return _isnull(column.name, null=False)
        if isinstance(node, Comparison):
            return self._comparison(node, self.column(node.attr_path, parent))
        if isinstance(node, ValuePath):
            # emails[value eq "x"]: the sub-filter names sub-attributes of `emails`.
            if node.attr_path.sub_attr or node.attr_path.uri:
                raise invalid_filter(f"Filtering on {node.attr_path} is not supported.")
            return self.to_q(node.val_filter, node.attr_path.attr.lower())
        raise invalid_filter("Unsupported filter expression.")

    def _comparison(self, node: Comparison, column: Column) -> Q:
        value = _coerce(column, node.op, node.value)
        if value is None:
            if node.op not in (CompareOperator.eq, CompareOperator.ne):
                raise invalid_filter("null can only be compared with eq or ne.")
            q = _isnull(column.name, null=True)
            return ~q if node.op is CompareOperator.ne else q
        if node.op is CompareOperator.ne:
            return Q(~Q(**{column.name: value}), _isnull(column.name, null=True), join_type="OR")
        return Q(**{f"{column.name}{_LOOKUPS[node.op]}": value})


def _isnull(column: str, *, null: bool) -> Q:
    # Any: mypy would check a dict[str, bool] against Q's `join_type: str` keyword.
    lookup: dict[str, Any] = {f"{column}__isnull": null}
    return Q(**lookup)


def _coerce(column: Column, op: CompareOperator, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "boolean":
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise invalid_filter("A boolean attribute takes eq or ne with true or false.")
        return value
    if not isinstance(value, str):
        raise invalid_filter("This attribute compares with a string.")
    if column.kind == "datetime":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise invalid_filter("Not a dateTime value.") from None
    value = value if column.case_exact else value.lower()
    # The filter parser decodes escapes in string literals: `"a\u0000b"` arrives with a NUL,
    # which the URL and body checks cannot see and PostgreSQL refuses.
    if "\x00" in value:
        raise invalid_filter("A filter value may not hold a NUL character.")
    if len(value) > column.max_length:
        raise invalid_filter(f"A value for this attribute is at most {column.max_length} chars.")
    return value


def sort_order(sort_by: str | None, order: str | None, mapper: FilterMapper) -> list[str]:
    """sortBy / sortOrder (RFC 7644 §3.4.2.3) on a known column; the id breaks ties."""
    if not sort_by:
        return ["id"]
    try:
        ast = ScimFilter(f"{sort_by} pr").ast
    except (SCIMException, ValueError):
        raise invalid_value("Invalid sortBy.") from None
    if not isinstance(ast, Present):
        raise invalid_value("Invalid sortBy.")
    try:
        column = mapper.column(ast.attr_path)
    except ScimError:
        raise invalid_value(f"Sorting by {sort_by} is not supported.") from None
    if "__" in column.name:
        raise invalid_value(f"Sorting by {sort_by} is not supported.")
    descending = (order or "ascending").lower() == "descending"
    prefix = "-" if descending else ""
    return [f"{prefix}{column.name}", f"{prefix}id"]


def parse_filter(text: str, mapper: FilterMapper) -> Q:
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter("Filter too long.")
    try:
        ast = ScimFilter(text).ast
    except (SCIMException, ValueError) as e:
        raise invalid_filter(f"Invalid filter: {e}") from None
    return mapper.to_q(ast)


USERS = FilterMapper(USER_COLUMNS, USER_SCHEMA)
GROUPS = FilterMapper(GROUP_COLUMNS, GROUP_SCHEMA)
