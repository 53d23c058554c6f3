"""`registerAuditAction`: the schema of an action the operator's product reports."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.models import AuditAction
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator

# WorkOS-style names: `user.signed_in`, `document.shared`.
_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_TARGET_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TARGET_TYPES = 50


def clean_action(v: Validator, action: str, *field: str) -> str:
    action = action.strip()
    if len(action) > 100 or not _ACTION.match(action):
        v.add(
            ErrorCode.INVALID_EVENT_TYPE,
            "An action is dotted lowercase words, e.g. `document.shared` (at most 100).",
            *field,
        )
    return action


async def register_audit_action(
    principal: Principal,
    action: str,
    target_types: list[str],
    metadata_schema: Any,
) -> AuditAction:
    """Create or replace (version + 1) the schema of `action`. Deployment-wide, so operators
    only: an organization's key must not redefine what another organization's entries mean."""
    require(principal, Permission.AUDIT_LOGS_WRITE)
    if not principal.is_operator:
        raise DomainError.of(ErrorCode.OPERATOR_ONLY, "Only an operator key registers actions.")
    v = Validator()
    action = clean_action(v, action, "action")
    types = sorted({t.strip() for t in target_types})
    if not types or len(types) > MAX_TARGET_TYPES or not all(_TARGET_TYPE.match(t) for t in types):
        v.add(
            ErrorCode.INVALID_TARGET_TYPE,
            f"1-{MAX_TARGET_TYPES} target types, each lowercase letters, digits or '_'.",
            "targetTypes",
        )
    if metadata_schema is not None:
        if not isinstance(metadata_schema, dict):
            v.add(ErrorCode.INVALID_METADATA_SCHEMA, "A JSON Schema object.", "metadataSchema")
        else:
            try:
                Draft202012Validator.check_schema(metadata_schema)
            except SchemaError as e:
                v.add(
                    ErrorCode.INVALID_METADATA_SCHEMA,
                    f"Not a valid JSON Schema: {e.message[:200]}",
                    "metadataSchema",
                )
    v.check()
    async with in_transaction():
        row = await AuditAction.filter(action=action).select_for_update().first()
        if row is None:
            return await AuditAction.create(
                action=action, target_types=types, metadata_schema=metadata_schema
            )
        row.target_types = types
        row.metadata_schema = metadata_schema
        row.version += 1
        await row.save()
        return row


def check_against(
    v: Validator, action: AuditAction, target_types: list[str], metadata: dict[str, Any]
) -> None:
    """Every field error of an entry against its action's schema, at once."""
    for i, target_type in enumerate(target_types):
        if target_type not in action.target_types:
            v.add(
                ErrorCode.INVALID_TARGET_TYPE,
                f"`{action.action}` names targets of types {', '.join(action.target_types)}; "
                f"not `{target_type[:64]}`.",
                "targets",
                str(i),
                "type",
            )
    if action.metadata_schema is None:
        return
    for error in Draft202012Validator(action.metadata_schema).iter_errors(metadata):
        path = [str(p) for p in error.absolute_path]
        v.add(ErrorCode.INVALID_METADATA, error.message[:300], "metadata", *path)
