"""Input rules shared by several resolvers."""

from __future__ import annotations

import json
import re
from typing import Any

from gatehouse.models.ids import has_prefix
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator

MAX_NAME = 200
MAX_METADATA_KEYS = 50
MAX_METADATA_BYTES = 8_000
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def clean_name(v: Validator, value: str | None, *field: str, max_len: int = MAX_NAME) -> str:
    name = (value or "").strip()
    if not name:
        v.add(ErrorCode.REQUIRED, "Name must not be empty.", *field)
    elif len(name) > max_len:
        v.add(ErrorCode.TOO_LONG, f"Name must be at most {max_len} characters.", *field)
    return name


def normalize_email(value: str) -> str:
    return value.strip().lower()


def clean_email(v: Validator, value: str | None, *field: str) -> str:
    email = normalize_email(value or "")
    local, _, domain = email.partition("@")
    if not _EMAIL.match(email) or "." not in domain or domain.startswith(".") or not local:
        v.add(ErrorCode.INVALID_EMAIL, "Enter a valid email address.", *field)
    return email


def clean_slug(v: Validator, value: str | None, *field: str) -> str:
    slug = (value or "").strip().lower()
    if not _SLUG.match(slug):
        v.add(
            ErrorCode.INVALID_SLUG,
            "Slug must be 1-64 lowercase letters, digits, '-' or '_'.",
            *field,
        )
    return slug


def clean_metadata(v: Validator, value: Any, *field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        v.add(ErrorCode.INVALID_METADATA, "Metadata must be a JSON object.", *field)
        return {}
    if len(value) > MAX_METADATA_KEYS or len(json.dumps(value)) > MAX_METADATA_BYTES:
        v.add(
            ErrorCode.INVALID_METADATA,
            f"Metadata allows {MAX_METADATA_KEYS} keys and {MAX_METADATA_BYTES} bytes.",
            *field,
        )
    return value


def check_id(value: str, prefix: str, what: str, *field: str) -> str:
    """A wrong prefix or a malformed ID is told apart from a well-formed unknown one."""
    if not has_prefix(value, prefix):
        raise DomainError.of(ErrorCode.INVALID_ID, f"Not a valid {what} ID.", *field)
    return value
