"""SSO fixtures: settings with an allow-list, a SAML IdP's keys (the OIDC provider is shared,
tests/oidc_fixture.py). Helpers shared by the tests live in helpers.py."""

from __future__ import annotations

import os

import pytest

from gatehouse.settings import Settings
from tests.sso.helpers import BASE, REDIRECT
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
