"""API keys (the secret itself appears only in `createApiKey`'s payload)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from gatehouse import models
from gatehouse.resolvers.pagination import Page
from gatehouse.schema.types.common import Node, PageInfo
from gatehouse.schema.types.pagination import page_parts


@strawberry.type(
    description="An API key: its metadata, never its secret. Requires `api_keys:write`."
)
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


@strawberry.type(description="An edge in an API key list.")
class ApiKeyEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this key.")
    node: ApiKey = strawberry.field(description="The key.")


@strawberry.type(description="A page of API keys, oldest first.")
class ApiKeyPage:
    edges: list[ApiKeyEdge] = strawberry.field(description="Keys on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @classmethod
    def from_page(cls, page: Page[Any]) -> ApiKeyPage:
        edges, info = page_parts(page, ApiKey.from_model)
        return cls(
            edges=[ApiKeyEdge(cursor=c, node=n) for c, n in edges], page_info=info, _page=page
        )

    @strawberry.field(description="Keys matching the filters, across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()
