"""API keys (the secret itself appears only in `createApiKey`'s payload)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gatehouse import models
from gatehouse.schema.types.common import Node


@strawberry.type(description="An API key. Requires `api_keys:write` to create or revoke.")
class ApiKey(Node):
    name: str = strawberry.field(description="Label chosen at creation.")
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organization it is scoped to; null for an operator key."
    )
    scopes: list[str] = strawberry.field(description="Permissions it grants.")
    display_prefix: str = strawberry.field(description="First characters of the secret.")
    last_used_at: datetime | None = strawberry.field(description="Last use (minute resolution).")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked.")
    created_at: datetime = strawberry.field(description="Creation time (UTC).")

    @classmethod
    def from_model(cls, key: models.ApiKey) -> ApiKey:
        return cls(
            id=strawberry.ID(key.id),
            name=key.name,
            organization_id=strawberry.ID(key.organization_id) if key.organization_id else None,
            scopes=list(key.scopes),
            display_prefix=key.display_prefix,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
            created_at=key.created_at,
        )
