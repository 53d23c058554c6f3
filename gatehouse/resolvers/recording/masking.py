"""Redaction and masking for what the recorder keeps.

Redacted (always, whatever the setting): passwords and anything under a key that names a
secret, strings shaped like Gatehouse's own secrets (`scim_…`, `sk_…`: a prefix and 43
base64url characters) or like a JWT. Masked (unless GATEHOUSE_RECORDER_MASK_VALUES=false):
every other string value, keeping its first character and, for an email, its domain
(`a•••@contoso.com`), which is what an admin needs to tell records apart. Structure stays
readable: keys, schema URNs, PATCH `op` and `path`, booleans and numbers (an Entra "False"
string is a quirk worth seeing), and this deployment's own resource ids.
"""

from __future__ import annotations

import re
from typing import Any

from gatehouse.models.ids import prefix_of

REDACTED = "[redacted]"
MASK = "•••"
# Key names whose values are secrets (compared lowercased, as substrings).
SECRET_KEYS = ("password", "secret", "token", "authorization", "credential", "apikey", "api_key")
# Keys whose values describe the request's shape, not a person.
STRUCTURAL_KEYS = frozenset({"schemas", "op", "path", "type", "$ref", "resourcetype"})
SECRET_SHAPES = re.compile(
    r"\b[a-z]{2,8}_[A-Za-z0-9_-]{40,}"  # generate_secret(prefix): scim_…, sk_…, whs_…
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # a JWT
    r"|(?i:bearer)\s+\S+"
)
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_BOOLEAN_STRINGS = frozenset({"true", "false"})


def _secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in SECRET_KEYS)


def mask_text(value: str) -> str:
    """`adele@contoso.com` → `a•••@contoso.com`; `Adele` → `A•••`; the length never shows."""
    if not value:
        return value
    local, at, domain = value.rpartition("@")
    if at and local and domain and " " not in value:
        return f"{local[0]}{MASK}@{domain}"
    return f"{value[0]}{MASK}"


def scrub_text(value: str) -> str:
    """Secrets out of free text (a SCIM error detail, an unparsed body)."""
    return SECRET_SHAPES.sub(REDACTED, value)


def _string(value: str, *, mask: bool) -> str:
    if SECRET_SHAPES.search(value):
        return REDACTED
    if (
        not mask
        or value.lower() in _BOOLEAN_STRINGS
        or value.lower().startswith("urn:")
        or prefix_of(value) is not None
    ):
        return value
    return mask_text(value)


def redact(value: Any, *, mask: bool, key: str = "") -> Any:
    """A copy of a JSON value with secrets removed and, when `mask`, values masked."""
    if key and _secret_key(key):
        return REDACTED
    if isinstance(value, dict):
        return {str(k): redact(v, mask=mask, key=str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, mask=mask, key=key) for v in value]
    if isinstance(value, str):
        if key.lower() in STRUCTURAL_KEYS:
            # A PATCH path may carry a value filter: emails[value eq "a@b.c"].
            return _QUOTED.sub(lambda m: f'"{_string(m.group(1), mask=mask)}"', value)
        return _string(value, mask=mask)
    return value


def redact_query(query: str, *, mask: bool) -> str:
    """A SCIM query string with the quoted literals of its filter masked."""
    masked = _QUOTED.sub(lambda m: f'"{_string(m.group(1), mask=mask)}"', query)
    return scrub_text(masked)
