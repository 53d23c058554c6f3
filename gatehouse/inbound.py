"""Decoding what clients send: JSON and form bodies, strictly, before any route reads them.

Every route that reads a body goes through here, so a body that cannot be decoded is one clear
400 everywhere (SECURITY 53), never a 500 from a codec or the JSON parser deep inside a handler:
- the bytes must be UTF-8 (RFC 8259 §8.1 for JSON; HTML's urlencoded forms are UTF-8 too);
- JSON may nest at most `MAX_JSON_DEPTH` arrays and objects. Python's parser recurses per level
  and would raise RecursionError (or hand a later step a structure it recurses through);
- a form may carry at most `MAX_FORM_FIELDS` fields, each value UTF-8 once percent-decoded;
- no text may hold a NUL character (U+0000, `\\u0000` in JSON, `%00` in a form). PostgreSQL
  refuses one in any text value, so the first query naming it would fail the request with an
  internal error; SQLite would store it, and a name with a NUL truncates in C-string consumers.
  The URL's own check is `NulInUrlMiddleware`'s.

The body's size is bounded before this by the body-limit middleware.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

MAX_JSON_DEPTH = 64
MAX_FORM_FIELDS = 20


NUL_REFUSED = "The body holds a NUL character (U+0000), which no text value accepts."


class BodyError(ValueError):
    """The body cannot be decoded; the message says why, for the client."""


def decode_text(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("The body is not valid UTF-8.") from None


def decode_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    text = decode_text(raw)
    try:
        value = json.loads(text)
    except RecursionError:
        raise BodyError(f"The JSON body nests deeper than {max_depth} levels.") from None
    except ValueError:
        raise BodyError("The body is not valid JSON.") from None
    if _depth_exceeds(value, max_depth):
        raise BodyError(f"The JSON body nests deeper than {max_depth} levels.")
    # JSON carries a NUL only as the escape (a raw control character is invalid JSON), so only
    # a body whose text holds it is walked: the walk tells a NUL from an escaped backslash.
    if "\\u0000" in text and holds_nul(value):
        raise BodyError(NUL_REFUSED)
    return value


def holds_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds a NUL in any string, a key included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    # Iterative, so checking a deep value cannot itself exhaust the stack.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def decode_form(raw: bytes | str, max_fields: int = MAX_FORM_FIELDS) -> dict[str, list[str]]:
    """application/x-www-form-urlencoded → {name: [values, in order]}."""
    text = decode_text(raw)
    try:
        fields = parse_qs(text, max_num_fields=max_fields, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BodyError("A form value is not valid UTF-8 once percent-decoded.") from None
    except ValueError:
        raise BodyError(f"The form has more than {max_fields} fields.") from None
    if holds_nul(fields):
        raise BodyError(NUL_REFUSED)
    return fields
