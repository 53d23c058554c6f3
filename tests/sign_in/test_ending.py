"""Ending sessions: signing out, revoking a person's sessions, and deprovisioning, each refused
by Gatehouse at once and by the next refresh."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, Session
from gatehouse.resolvers.directories import lifecycle as directories
from tests.dsync.conftest import PATCH_SCHEMA, USER_SCHEMA, Scim
from tests.sign_in.conftest import REFRESH, VIEWER

SIGN_OUT = "mutation { signOut { userErrors { code } } }"
REVOKE = """mutation($i: RevokeSessionsInput!) { revokeSessions(input: $i) {
  revokedCount userErrors { field code } } }"""


async def _refresh(gql, token, operator_token):
    body = await gql(REFRESH, {"i": {"refreshToken": token}}, token=operator_token)
    return body["data"]["refreshSession"]


async def test_sign_out_ends_the_callers_session(
    gql, make_org, person, sign_in_with_code, operator_token
):
    org = await make_org()
    await person("ada@acme.test", org)
    auth = (await sign_in_with_code("ada@acme.test"))["authentication"]
    out = await gql(SIGN_OUT, token=auth["accessToken"])
    assert out["data"]["signOut"]["userErrors"] == []
    assert (await gql(VIEWER, token=auth["accessToken"]))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    assert (await _refresh(gql, auth["refreshToken"], operator_token))["userErrors"][0][
        "code"
    ] == "INVALID_REFRESH_TOKEN"
    event = await Event.get(type="session.revoked")
    assert event.data["reason"] == "signed_out"
    assert event.organization_id == org.id
    # signing out is for people: an API key has no session to end
    key_out = await gql(SIGN_OUT, token=operator_token)
    assert key_out["data"]["signOut"]["userErrors"][0]["code"] == "SESSION_REQUIRED"


async def test_revoke_sessions_by_member_and_by_user(
    gql, make_org, person, sign_in_with_code, operator_token
):
    acme, beta = await make_org("Acme"), await make_org("Beta")
    sam = await person("sam@example.test", acme, beta)
    in_acme = (await sign_in_with_code("sam@example.test", acme.id))["authentication"]
    in_beta = (await sign_in_with_code("sam@example.test", beta.id))["authentication"]

    # by member: only the session in that organization ends
    body = await gql(REVOKE, {"i": {"memberId": sam.memberships[acme.id].id}}, token=operator_token)
    assert body["data"]["revokeSessions"] == {"revokedCount": 1, "userErrors": []}
    assert "errors" in await gql(VIEWER, token=in_acme["accessToken"])
    assert "errors" not in await gql(VIEWER, token=in_beta["accessToken"])

    # by user: every other one
    body = await gql(REVOKE, {"i": {"userId": sam.user_id}}, token=operator_token)
    assert body["data"]["revokeSessions"] == {"revokedCount": 1, "userErrors": []}
    assert "errors" in await gql(VIEWER, token=in_beta["accessToken"])
    assert await Session.filter(revoked_at=None).count() == 0


async def test_an_organization_admin_revokes_in_their_own_organization_only(
    gql, make_org, person, sign_in_with_code, operator_token
):
    acme, beta = await make_org("Acme"), await make_org("Beta")
    admin = await person("boss@acme.test", acme, role="admin")
    sam = await person("sam@example.test", acme, beta)
    boss = (await sign_in_with_code("boss@acme.test"))["authentication"]
    await sign_in_with_code("sam@example.test", beta.id)
    before = await Session.filter(revoked_at=None).count()
    # Beta's member reads as absent; every organization at once is the operator's
    for variables, code in (
        ({"memberId": sam.memberships[beta.id].id}, "NOT_FOUND"),
        ({"userId": sam.user_id}, "OPERATOR_ONLY"),
    ):
        body = await gql(REVOKE, {"i": variables}, token=boss["accessToken"])
        assert body["data"]["revokeSessions"]["userErrors"][0]["code"] == code
    assert await Session.filter(revoked_at=None).count() == before
    # their own member's sessions, they may end
    body = await gql(
        REVOKE, {"i": {"memberId": sam.memberships[acme.id].id}}, token=boss["accessToken"]
    )
    assert body["data"]["revokeSessions"] == {"revokedCount": 0, "userErrors": []}
    assert admin.memberships[acme.id].id


async def test_scim_deactivation_ends_the_session_at_once(
    gql, client, make_org, sign_in_with_code, operator_token
):
    # given a directory-provisioned member, signed in by code
    org = await make_org("Contoso")
    directory, token = await directories.create_directory(operator_principal(), org.id, "Entra")
    scim = Scim(client, directory.id, org.id, token)
    created = await scim.call(
        "POST",
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "adele@contoso.com",
            "active": True,
            "emails": [{"value": "adele@contoso.com", "primary": True}],
        },
    )
    assert created.status_code == 201, created.text
    auth = (await sign_in_with_code("adele@contoso.com"))["authentication"]
    assert "errors" not in await gql(VIEWER, token=auth["accessToken"])

    # when the IdP deactivates her
    response = await scim.call(
        "PATCH",
        f"/Users/{created.json()['id']}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
    )
    assert response.status_code == 200, response.text

    # then her next GraphQL call fails, and so does the refresh
    viewer = await gql(VIEWER, token=auth["accessToken"])
    assert viewer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refreshed = await _refresh(gql, auth["refreshToken"], operator_token)
    assert refreshed["userErrors"][0]["code"] == "INVALID_REFRESH_TOKEN"
