"""Portal fixtures: setup links minted through the real GraphQL API, opened over httpx."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from gatehouse.auth.portal import COOKIE_NAME, CSRF_HEADER, csrf_token_for, origin_of
from gatehouse.settings import Settings

GENERATE = """
mutation($input: GeneratePortalLinkInput!) {
  generatePortalLink(input: $input) { link expiresAt userErrors { field code message } }
}"""


@pytest.fixture
def make_link(gql, operator_token) -> Callable[..., Awaitable[str]]:
    async def make(org_id: str, intents: list[str] | None = None, **extra: Any) -> str:
        body = await gql(
            GENERATE,
            {
                "input": {
                    "organizationId": org_id,
                    "intents": intents or ["DOMAIN_VERIFICATION"],
                    **extra,
                }
            },
            token=operator_token,
        )
        payload = body["data"]["generatePortalLink"]
        assert payload["userErrors"] == [], payload
        return payload["link"]

    return make


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


class PortalBrowser:
    """What a browser holding a portal cookie sends: the cookie, and (from our pages) the
    CSRF header and our Origin."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    @property
    def cookie(self) -> str:
        return self.client.cookies[COOKIE_NAME]

    async def open(self, link: str) -> httpx.Response:
        return await self.client.get(path_of(link))

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        csrf: str | None = "auto",
        origin: str | None = "auto",
    ) -> httpx.Response:
        headers = {}
        if csrf is not None:
            headers[CSRF_HEADER] = csrf_token_for(self.cookie) if csrf == "auto" else csrf
        if origin is not None:
            headers["Origin"] = origin_of(self.settings.base_url) if origin == "auto" else origin
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )


@pytest.fixture
def browser_session(client, settings) -> PortalBrowser:
    return PortalBrowser(client, settings)
