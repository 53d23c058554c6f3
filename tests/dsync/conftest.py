"""Directory-sync fixtures: an organization with a directory, and a SCIM client for it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from gatehouse.auth.principal import operator_principal
from gatehouse.models import DeprovisioningAction, DirectoryType, Event
from gatehouse.resolvers.directories import lifecycle as directories
from gatehouse.server.app import create_app
from gatehouse.settings import Settings

SCIM = "application/scim+json"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass
class Scim:
    """A SCIM client bound to one directory's base path and token."""

    client: httpx.AsyncClient
    directory_id: str
    organization_id: str
    token: str

    @property
    def base(self) -> str:
        return f"/scim/v2/{self.directory_id}"

    async def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", "Content-Type": SCIM}
        headers.update(kw.pop("headers", {}))
        return await self.client.request(
            method, f"{self.base}{path}", json=body, headers=headers, **kw
        )

    async def create_user(self, user_name: str, **attrs: Any) -> dict[str, Any]:
        body = {"schemas": [USER_SCHEMA], "userName": user_name, "active": True, **attrs}
        response = await self.call("POST", "/Users", body)
        assert response.status_code == 201, response.text
        return response.json()

    async def create_group(self, name: str, members: list[str] = ()) -> dict[str, Any]:
        body = {
            "schemas": [GROUP_SCHEMA],
            "displayName": name,
            "members": [{"value": m} for m in members],
        }
        response = await self.call("POST", "/Groups", body)
        assert response.status_code == 201, response.text
        return response.json()

    async def patch(self, path: str, *operations: dict[str, Any]) -> httpx.Response:
        return await self.call(
            "PATCH", path, {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}
        )


MakeDirectory = Callable[..., Awaitable[Scim]]


@pytest.fixture
def make_directory(client: httpx.AsyncClient, make_org: Any) -> MakeDirectory:
    async def make(
        org: Any = None,
        type: DirectoryType = DirectoryType.GENERIC_SCIM,
        action: DeprovisioningAction = DeprovisioningAction.DEACTIVATE,
    ) -> Scim:
        org = org or await make_org("Acme")
        directory, token = await directories.create_directory(
            operator_principal(), org.id, "Okta", type, action
        )
        return Scim(client, directory.id, org.id, token)

    return make


@pytest.fixture
async def scim(make_directory: MakeDirectory) -> Scim:
    return await make_directory()


async def event_types(organization_id: str) -> list[str]:
    return list(
        await Event.filter(organization_id=organization_id)
        .order_by("id")
        .values_list("type", flat=True)
    )


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[str]:
    """The real app on a real socket (127.0.0.1, ephemeral port), in this event loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, manage_db=False), log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
