"""Identity fixtures: the policy tests' settings and ways in (a real OIDC provider, the
mailbox) and the directory tests' SCIM client, plus organizations that verified a domain."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Member, Organization
from gatehouse.resolvers import members

# Fixtures shared with the policy and directory tests.
from tests.dsync.conftest import Scim, make_directory  # noqa: F401
from tests.policy.conftest import (  # noqa: F401
    code_on_page,
    invite,
    oidc_connection,
    org_key,
    settings,
    sign_in_with_code,
    sign_in_with_sso,
    verified_domain,
)


@pytest.fixture
def company(make_org):
    """An organization that verified its domain, with an admin."""

    async def make(name: str, domain: str) -> Organization:
        org = await make_org(name)
        await verified_domain(org, domain)
        await members.create_member(operator_principal(), org.id, f"admin@{domain}", "admin")
        return org

    return make


async def member_of(org: Organization, email: str) -> Member | None:
    return await Member.get_or_none(organization_id=org.id, user__email=email)


def scim_user(email: str, **attrs: Any) -> dict[str, Any]:
    return {"emails": [{"primary": True, "type": "work", "value": email}], **attrs}
