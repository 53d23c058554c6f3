"""SSO fixtures: settings with an allow-list, a SAML IdP's keys, a real OIDC provider on
loopback. Helpers shared by the tests live in helpers.py."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from gatehouse.settings import Settings
from tests.sso.helpers import BASE, REDIRECT
from tests.sso.oidc_provider import Provider, start
from tests.sso.saml_idp import KeyPair, make_keypair


@pytest.fixture
def settings(db: str) -> Settings:
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_BASE_URL=BASE,
        GATEHOUSE_REDIRECT_URIS=f"{REDIRECT},https://app.example.com/other",
        GATEHOUSE_SSO_ALLOW_PRIVATE_URLS=True,
    )


@pytest.fixture(scope="session")
def idp_keys() -> KeyPair:
    return make_keypair()


@pytest.fixture(scope="session")
async def oidc_server() -> AsyncIterator[Provider]:
    provider = Provider()
    server, task = await start(provider)
    yield provider
    server.should_exit = True
    await task


@pytest.fixture
def provider(oidc_server: Provider) -> Provider:
    oidc_server.reset()
    return oidc_server
