"""PATCH (RFC 7644 §3.5.2) applied to a resource held as a JSON dict.

All operations run on a copy; the caller stores the result only when every operation
succeeded, so a failing third operation leaves the first two undone (§3.5.2: atomic).
Attribute names are case-insensitive (RFC 7643 §2.1). The IdP shapes tolerated beyond that
(capitalised ops, string booleans, path-less operations, member removals by filter or by a
value list) are quirks, each accepted only where the directory's profile names it
(scim/profiles.py).
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable
from dataclasses import dataclass
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
    Path,
    Present,
    ValuePath,
)
from scim2_models.path.expressions import STRING_OPERATORS

from gatehouse.scim.errors import invalid_path, invalid_syntax, invalid_value, mutability, no_target
from gatehouse.scim.profiles import GENERIC, Profile, Quirk

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_OPERATIONS = 10_000
READ_ONLY = {"id", "meta"}
_OPS = {"add", "replace", "remove"}
BOOLEAN_ATTRIBUTES = frozenset({"active", "primary"})


@dataclass(frozen=True, slots=True)
class Operation:
    op: str
    path: str | None
    value: Any


def parse_operations(body: Any, profile: Profile = GENERIC) -> list[Operation]:
    if not isinstance(body, dict):
        raise invalid_syntax("A PATCH body is a JSON object.")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA not in schemas:
        raise invalid_syntax(f"schemas must contain {PATCH_SCHEMA}.")
    raw = body.get("Operations", body.get("operations"))
    if not isinstance(raw, list) or not raw:
        raise invalid_syntax("Operations must be a non-empty list.")
    if len(raw) > MAX_OPERATIONS:
        raise invalid_syntax(f"At most {MAX_OPERATIONS} operations per request.")
    return [_operation(item, profile) for item in raw]


def _operation(item: Any, profile: Profile) -> Operation:
    if not isinstance(item, dict) or not isinstance(item.get("op"), str):
        raise invalid_syntax("Each operation is an object with an op.")
    op = item["op"].lower()
    if op not in _OPS:
        raise invalid_syntax(f"Unknown op {item['op']!r}.")
    if op != item["op"] and not profile.allows(Quirk.CAPITALISED_OPS):
        raise invalid_syntax(profile.refusal(f"The op {item['op']!r} (not lowercase)"))
    path = item.get("path")
    if path is not None and (not isinstance(path, str) or not path.strip()):
        raise invalid_path("path must be a non-empty string.")
    if op != "remove" and "value" not in item:
        raise invalid_value(f"{op} needs a value.")
    return Operation(op, path.strip() if path else None, item.get("value"))


def _key(container: dict[str, Any], name: str) -> str:
    """The existing key for an attribute name, compared case-insensitively."""
    lowered = name.lower()
    return next((k for k in container if k.lower() == lowered), name)


def _get(container: dict[str, Any], name: str) -> Any:
    return container.get(_key(container, name))


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    return value


_TESTS: dict[CompareOperator, Callable[[Any, Any], bool]] = {
    CompareOperator.eq: operator.eq,
    CompareOperator.ne: operator.ne,
    CompareOperator.co: lambda a, e: e in a,
    CompareOperator.sw: lambda a, e: a.startswith(e),
    CompareOperator.ew: lambda a, e: a.endswith(e),
    CompareOperator.gt: operator.gt,
    CompareOperator.ge: operator.ge,
    CompareOperator.lt: operator.lt,
    CompareOperator.le: operator.le,
}


def _compare(actual: Any, op: CompareOperator, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        actual = _bool(actual)
    a, e = _norm(actual), _norm(expected)
    if op not in (CompareOperator.eq, CompareOperator.ne):
        if a is None or e is None:
            return False
        if op in STRING_OPERATORS and not (isinstance(a, str) and isinstance(e, str)):
            return False
    try:
        return bool(_TESTS[op](a, e))
    except TypeError:
        return False


def matches(element: Any, node: FilterNode) -> bool:
    """Evaluate a value filter (`type eq "work"`) against one element of a multi-valued attr."""
    if not isinstance(element, dict):
        element = {"value": element}
    if isinstance(node, LogicalExpr):
        results = (matches(element, t) for t in node.terms)
        return all(results) if node.op is LogicalOperator.and_ else any(results)
    if isinstance(node, Not):
        return not matches(element, node.expr)
    if isinstance(node, Present | Comparison):
        actual = _get(element, node.attr_path.attr)
        if node.attr_path.sub_attr and isinstance(actual, dict):
            actual = _get(actual, node.attr_path.sub_attr)
        if isinstance(node, Present):
            return actual not in (None, "", [], {})
        return _compare(actual, node.op, node.value)
    raise invalid_path("Unsupported value filter.")


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _same_item(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict) and "value" in a and "value" in b:
        return bool(_norm(a["value"]) == _norm(b["value"]))
    return bool(a == b)


class Patcher:
    def __init__(
        self,
        resource: dict[str, Any],
        schema: str,
        extensions: tuple[str, ...] = (),
        profile: Profile = GENERIC,
    ) -> None:
        self.resource = copy.deepcopy(resource)
        self.schema = schema.lower()
        self.extensions = {e.lower() for e in extensions}
        self.profile = profile

    def _value(self, key: str, value: Any) -> Any:
        """A value to store: "True"/"False" strings read as booleans where the profile allows
        it; elsewhere a string for a boolean attribute is refused."""
        if isinstance(value, dict):
            return {k: self._value(k, v) for k, v in value.items()}
        if self.profile.allows(Quirk.STRING_BOOLEANS):
            return _bool(value)
        if key.lower() in BOOLEAN_ATTRIBUTES and isinstance(value, str):
            raise invalid_value(self.profile.refusal(f"A string for the boolean {key}"))
        return value

    def apply(self, operations: list[Operation]) -> dict[str, Any]:
        for operation in operations:
            if operation.path is None:
                if not self.profile.allows(Quirk.PATHLESS_PATCH):
                    raise invalid_path(self.profile.refusal("An operation without a path"))
                self._pathless(operation)
            else:
                self._apply(operation.op, operation.path, operation.value)
        return self.resource

    def _pathless(self, operation: Operation) -> None:
        if operation.op == "remove":
            raise no_target("remove needs a path.")
        if not isinstance(operation.value, dict):
            raise invalid_value("Without a path, the value is an object of attributes.")
        for key, value in operation.value.items():
            if key.lower().startswith("urn:") and isinstance(value, dict):
                # An extension block: its sub-attributes, each under the extension.
                for sub, sub_value in value.items():
                    self._apply(operation.op, f"{key}:{sub}", sub_value)
            else:
                self._apply(operation.op, key, value)

    def _parse(self, path: str) -> tuple[dict[str, Any], Any]:
        try:
            node = Path(path).ast
        except (SCIMException, ValueError) as e:
            raise invalid_path(f"Invalid path {path!r}: {e}") from None
        attr_path = node.attr_path if isinstance(node, ValuePath) else node
        if not isinstance(attr_path, AttrPath) or isinstance(node, Comparison | Present):
            raise invalid_path(f"Invalid path {path!r}.")
        container = self.resource
        if attr_path.uri and attr_path.uri.lower() != self.schema:
            block = _key(self.resource, attr_path.uri)
            container = self.resource.setdefault(block, {})
            if not isinstance(container, dict):
                raise invalid_path(f"{attr_path.uri} is not an extension object.")
        if attr_path.attr.lower() in READ_ONLY and container is self.resource:
            raise mutability(f"{attr_path.attr} is read-only.")
        return container, node

    def _apply(self, op: str, path: str, value: Any) -> None:
        lowered = path.lower()
        if lowered in self.extensions or any(k.lower() == lowered for k in self.resource):
            # The path names a whole extension block (`urn:…:enterprise:2.0:User`).
            self._set(op, self.resource, _key(self.resource, path), value)
            return
        container, node = self._parse(path)
        if isinstance(node, ValuePath):
            self._value_path(op, container, node, value)
            return
        key = _key(container, node.attr)
        if node.sub_attr:
            parent = container.get(key)
            if parent is None and op != "remove":
                parent = container[key] = {}
            if not isinstance(parent, dict):
                if op == "remove":
                    return
                raise invalid_path(f"{node.attr} has no sub-attributes.")
            container, key = parent, _key(parent, node.sub_attr)
        self._set(op, container, key, value)

    def _set(self, op: str, container: dict[str, Any], key: str, value: Any) -> None:
        current = container.get(key)
        if op == "remove":
            if (
                value is not None
                and isinstance(current, list)
                and not self.profile.allows(Quirk.MEMBER_VALUE_LIST_REMOVAL)
            ):
                raise invalid_syntax(self.profile.refusal("A remove with a value list"))
            _remove(container, key, current, value)
            return
        value = self._value(key, value)
        if isinstance(current, list) or (op == "add" and isinstance(value, list)):
            items = value if isinstance(value, list) else [value]
            container[key] = items if op == "replace" else _merge_items(current or [], items)
        elif isinstance(current, dict) and isinstance(value, dict):
            # §3.5.2.1/§3.5.2.3: sub-attributes not given are left unchanged.
            _merge_dict(current, value)  # already converted by _value
        else:
            container[key] = value

    def _value_path(self, op: str, container: dict[str, Any], node: ValuePath, value: Any) -> None:
        key = _key(container, node.attr_path.attr)
        items = container.get(key) or []
        if not isinstance(items, list):
            raise invalid_path(f"{node.attr_path.attr} is not multi-valued.")
        hits = [i for i, item in enumerate(items) if matches(item, node.val_filter)]
        if (
            op == "remove"
            and key.lower() == "members"
            and not self.profile.allows(Quirk.MEMBER_FILTER_REMOVAL)
        ):
            raise invalid_path(self.profile.refusal("A members[…] filter in a remove"))
        if op == "remove":
            container[key] = _remove_hits(items, hits, node.sub_attr)
            return
        if not hits:
            created = _element_from_filter(node.val_filter)
            if created is None:
                raise no_target(f"No value matches {node}.")
            items.append(created)
            hits = [len(items) - 1]
        container[key] = items
        for i in hits:
            if node.sub_attr:
                items[i][_key(items[i], node.sub_attr)] = self._value(node.sub_attr, value)
            elif isinstance(value, dict) and isinstance(items[i], dict):
                _merge_dict(items[i], self._value(key, value))
            else:
                items[i] = value


def _remove(container: dict[str, Any], key: str, current: Any, value: Any) -> None:
    if value is not None and isinstance(current, list):
        # Entra ID: remove `members` with a list of the values to drop.
        drop = value if isinstance(value, list) else [value]
        container[key] = [c for c in current if not any(_same_item(c, d) for d in drop)]
    else:
        container.pop(key, None)


def _remove_hits(items: list[Any], hits: list[int], sub_attr: str | None) -> list[Any]:
    if not sub_attr:
        drop = set(hits)
        return [item for i, item in enumerate(items) if i not in drop]
    for i in hits:
        if isinstance(items[i], dict):
            items[i].pop(_key(items[i], sub_attr), None)
    return items


def _merge_items(current: list[Any], items: list[Any]) -> list[Any]:
    """`add` to a multi-valued attribute: new values appended, known ones not repeated."""
    merged = list(current)
    seen = {_norm(m["value"]) for m in merged if isinstance(m, dict) and "value" in m}
    for item in items:
        if isinstance(item, dict) and "value" in item:
            if _norm(item["value"]) in seen:
                continue
            seen.add(_norm(item["value"]))
        elif item in merged:
            continue
        merged.append(item)
    return merged


def _merge_dict(current: dict[str, Any], value: dict[str, Any]) -> None:
    for sub, sub_value in value.items():
        current[_key(current, sub)] = sub_value


def _element_from_filter(node: FilterNode) -> dict[str, Any] | None:
    """`emails[type eq "work"].value` with no work email yet: add one (what Entra ID expects)."""
    terms = node.terms if isinstance(node, LogicalExpr) else (node,)
    if isinstance(node, LogicalExpr) and node.op is not LogicalOperator.and_:
        return None
    element: dict[str, Any] = {}
    for term in terms:
        if not (
            isinstance(term, Comparison)
            and term.op is CompareOperator.eq
            and not term.attr_path.sub_attr
        ):
            return None
        element[term.attr_path.attr] = term.value
    return element
