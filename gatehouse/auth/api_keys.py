"""API key authentication: `Authorization: Bearer sk_…` → Principal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatehouse.auth.permissions import ALL_PERMISSIONS, ORGANIZATION_PERMISSIONS
from gatehouse.auth.principal import Principal, PrincipalKind
from gatehouse.auth.secrets import hash_secret
from gatehouse.models import ApiKey

KEY_PREFIX = "sk"
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


async def authenticate_api_key(secret: str) -> Principal | None:
    # The lookup is by SHA-256 of the secret: timing reveals nothing about the secret itself.
    key = await ApiKey.get_or_none(secret_hash=hash_secret(secret))
    if key is None or key.revoked_at is not None:
        return None
    now = datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        await ApiKey.filter(id=key.id).update(last_used_at=now)
    if key.organization_id is None:
        return Principal(
            kind=PrincipalKind.OPERATOR, permissions=ALL_PERMISSIONS, api_key_id=key.id
        )
    return Principal(
        kind=PrincipalKind.ORGANIZATION_KEY,
        organization_id=key.organization_id,
        permissions=frozenset(key.scopes) & ORGANIZATION_PERMISSIONS,
        api_key_id=key.id,
    )
