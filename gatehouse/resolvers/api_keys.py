"""API keys: created (secret shown once), listed, revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.api_keys import KEY_PREFIX
from gatehouse.auth.permissions import ORGANIZATION_PERMISSIONS, Permission
from gatehouse.auth.principal import Principal
from gatehouse.auth.secrets import generate_secret, hash_secret
from gatehouse.events import record_event
from gatehouse.models import ApiKey
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator, not_found
from gatehouse.resolvers.organizations import organization_for_change
from gatehouse.resolvers.pagination import Page, empty, paginate
from gatehouse.resolvers.validation import check_id, clean_name


def api_key_data(key: ApiKey) -> dict[str, Any]:
    # Never the secret or its hash: events are readable by the organization.
    return {
        "id": key.id,
        "name": key.name,
        "organization_id": key.organization_id,
        "scopes": key.scopes,
    }


async def create_api_key(
    principal: Principal,
    name: str,
    organization_id: str | None = None,
    scopes: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """Returns the key and its secret; the secret is not recoverable afterwards."""
    require(principal, Permission.API_KEYS_WRITE)
    v = Validator()
    name = clean_name(v, name, "name", max_len=100)
    if organization_id is None and not principal.is_operator:
        # Only an operator may mint a deployment-wide key; tenants get their own scope.
        organization_id = principal.organization_id
    chosen = sorted(set(scopes or []))
    if organization_id is None:
        if chosen:
            v.add(ErrorCode.INVALID_SCOPE, "Operator keys hold every permission.", "scopes")
    else:
        bad = [s for s in chosen if s not in ORGANIZATION_PERMISSIONS]
        if bad:
            v.add(ErrorCode.INVALID_SCOPE, f"Unknown scopes: {', '.join(bad[:5])}.", "scopes")
        # A key never holds more than its creator: no privilege escalation through keys.
        beyond = [s for s in chosen if not principal.can(s)]
        if beyond and not bad:
            v.add(ErrorCode.INVALID_SCOPE, "A key cannot hold scopes its creator lacks.", "scopes")
        if not chosen:
            chosen = sorted(ORGANIZATION_PERMISSIONS & principal.permissions)
    v.check()
    secret = generate_secret(KEY_PREFIX)
    async with in_transaction():
        if organization_id is not None:
            await organization_for_change(principal, organization_id)
        key = await ApiKey.create(
            name=name,
            organization_id=organization_id,
            scopes=chosen,
            secret_hash=hash_secret(secret),
            display_prefix=secret[:10],
        )
        await record_event("api_key.created", organization_id, api_key_data(key))
    return key, secret


async def revoke_api_key(principal: Principal, api_key_id: str) -> ApiKey:
    require(principal, Permission.API_KEYS_WRITE)
    check_id(api_key_id, "key", "API key", "apiKeyId")
    async with in_transaction():
        key = await ApiKey.filter(id=api_key_id).select_for_update().first()
        visible = key is not None and (
            principal.is_operator
            or (
                key.organization_id is not None and key.organization_id == principal.organization_id
            )
        )
        if key is None or not visible:
            raise not_found("API key", "apiKeyId")
        if key.revoked_at is not None:
            raise DomainError.of(ErrorCode.ALREADY_REVOKED, "Key is already revoked.", "apiKeyId")
        key.revoked_at = datetime.now(UTC)
        await key.save()
        await record_event("api_key.revoked", key.organization_id, api_key_data(key))
    return key


async def get_api_key(principal: Principal, api_key_id: str) -> ApiKey | None:
    require(principal, Permission.API_KEYS_WRITE)
    key = await ApiKey.get_or_none(id=api_key_id)
    if key is None:
        return None
    if principal.is_operator or (
        key.organization_id is not None and key.organization_id == principal.organization_id
    ):
        return key
    return None


async def list_api_keys(
    principal: Principal,
    organization_id: str | None,
    first: int | None,
    after: str | None,
    *,
    include_revoked: bool = False,
) -> Page[ApiKey]:
    """Operators see every key (or one organization's); scoped callers only their
    organization's. Only metadata: the secret was shown once and only its hash is kept."""
    require(principal, Permission.API_KEYS_WRITE)
    query = ApiKey.all()
    if principal.organization_id is not None:
        if organization_id not in (None, principal.organization_id):
            return await paginate(empty(query), first, after)
        query = query.filter(organization_id=principal.organization_id)
    elif organization_id is not None:
        query = query.filter(organization_id=organization_id)
    if not include_revoked:
        query = query.filter(revoked_at__isnull=True)
    return await paginate(query, first, after)
