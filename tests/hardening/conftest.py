"""A real app with one of everything a route may need before it reads a body: an operator key,
a SCIM directory with its token, an active SAML connection, and the portal's own Origin. Probes use them, so the body is read and decoded, not refused earlier."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.routing import Mount, Route

from gatehouse.auth.principal import operator_principal
from gatehouse.resolvers import api_keys, organizations
from gatehouse.resolvers.directories import lifecycle as directories
from gatehouse.resolvers.sso import connections
from gatehouse.resolvers.sso.config import SamlIdp
from gatehouse.server.app import create_app
from gatehouse.settings import Settings
from tests.sso.saml_idp import make_keypair

BASE = "https://gatehouse.test"


def app_routes() -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route of the app; a mount as one GET route."""
    app = create_app(Settings(DATABASE_URL="sqlite://:memory:"), manage_db=False)
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            found += [(m, route.path) for m in sorted(route.methods or ()) if m != "HEAD"]
        elif isinstance(route, Mount):
            found.append(("GET", route.path + "/{path}"))
    return found


@dataclass
class Target:
    client: httpx.AsyncClient
    operator_key: str
    directory_id: str
    directory_token: str
    connection_id: str

    def path_values(self) -> dict[str, str]:
        """Values for the routes' path parameters that reach the body-reading code."""
        return {
            "directory_id": self.directory_id,
            "connection_id": self.connection_id,
            # The invitation page decodes its form before it looks the token up.
            "token": "inv_unknown",
            "resource_id": "diru_01J00000000000000000000000",
        }


@pytest.fixture
def settings(db: str) -> Settings:
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_BASE_URL=BASE,
        GATEHOUSE_REDIRECT_URIS="https://app.example.com/callback",
        GATEHOUSE_RATE_LIMIT_ENABLED=False,
    )


@pytest.fixture
async def target(settings: Settings) -> AsyncIterator[Target]:
    operator = operator_principal()
    org = await organizations.create_organization(operator, organizations.NewOrganization("Acme"))
    _, key = await api_keys.create_api_key(operator, "fuzz")
    directory, directory_token = await directories.create_directory(operator, org.id, "Okta")
    conn = await connections.create_saml_connection(
        operator,
        org.id,
        "IdP",
        idp=SamlIdp(
            entity_id="https://idp.test/metadata",
            sso_url="https://idp.test/sso",
            certificates=[make_keypair().cert_b64],
        ),
    )
    await connections.activate_connection(operator, conn.id)
    app = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=BASE
    ) as client:
        yield Target(client, key, directory.id, directory_token, conn.id)
