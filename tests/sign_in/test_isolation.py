"""Signing people in is the operator's: organization keys and sessions are refused; revoking
reaches only the caller's organization; signing out ends only the caller's own session."""

from __future__ import annotations

import pytest

from gatehouse.models import Event, PendingAuthentication, Session, SignInCode
from tests.sign_in.conftest import REFRESH, SELECT, SEND, WITH_CODE

OPERATOR_ONLY = {
    "sendSignInCode": (SEND, {"email": "sam@example.test"}),
    "authenticateWithCode": (WITH_CODE, {"email": "sam@example.test", "code": "123456"}),
    "authenticateWithOrganizationSelection": (
        SELECT,
        {"pendingAuthenticationToken": "pauth_x", "organizationId": "org_x"},
    ),
    "refreshSession": (REFRESH, {"refreshToken": "rt_x"}),
}


async def _snapshot():
    return (
        await Session.all().count(),
        await SignInCode.all().count(),
        await PendingAuthentication.all().count(),
        await Event.all().count(),
    )


@pytest.mark.parametrize("name", list(OPERATOR_ONLY))
async def test_organization_keys_and_sessions_cannot_sign_people_in(
    gql, make_org, person, org_token, sign_in_with_code, name
):
    org = await make_org()
    await person("boss@acme.test", org, role="admin")
    session = (await sign_in_with_code("boss@acme.test"))["authentication"]["accessToken"]
    key = await org_token(org)
    before = await _snapshot()
    mutation, variables = OPERATOR_ONLY[name]
    for token in (key, session):
        body = await gql(mutation, {"i": variables}, token=token)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _snapshot() == before


async def test_an_organization_key_cannot_revoke_another_organizations_sessions(
    gql, make_org, person, org_token, sign_in_with_code
):
    acme, beta = await make_org("Acme"), await make_org("Beta")
    sam = await person("sam@example.test", beta)
    await sign_in_with_code("sam@example.test")
    key = await org_token(acme)
    before = await _snapshot()
    body = await gql(
        """mutation($i: RevokeSessionsInput!) { revokeSessions(input: $i) {
             revokedCount userErrors { code } } }""",
        {"i": {"memberId": sam.memberships[beta.id].id}},
        token=key,
    )
    assert body["data"]["revokeSessions"] == {
        "revokedCount": None,
        "userErrors": [{"code": "NOT_FOUND"}],
    }
    assert await _snapshot() == before


async def test_sign_out_ends_only_the_callers_session(gql, make_org, person, sign_in_with_code):
    acme, beta = await make_org("Acme"), await make_org("Beta")
    await person("ada@acme.test", acme)
    await person("sam@beta.test", beta)
    ada = (await sign_in_with_code("ada@acme.test"))["authentication"]
    sam = (await sign_in_with_code("sam@beta.test"))["authentication"]
    await gql("mutation { signOut { userErrors { code } } }", token=ada["accessToken"])
    viewer = await gql("{ viewer { organizationId } }", token=sam["accessToken"])
    assert viewer["data"]["viewer"] == {"organizationId": beta.id}
    assert await Session.filter(revoked_at=None).count() == 1
