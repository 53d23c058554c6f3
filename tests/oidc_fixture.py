"""A real OpenID provider on 127.0.0.1 (tests/sso/oidc_provider.py), one per test run, reset
before each test that asks for `provider`: SSO, policy and sign-in tests sign people in there."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sso.oidc_provider import Provider, start


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
