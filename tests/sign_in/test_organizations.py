"""One person in several organizations: choose one at sign-in, switch with a refresh, and never
into an organization they are not an ACTIVE member of."""

from __future__ import annotations

import jwt as pyjwt

from gatehouse.auth import clock
from gatehouse.auth.principal import operator_principal
from gatehouse.models import MemberStatus, PendingAuthentication, Session
from gatehouse.resolvers import members
from tests.sign_in.conftest import REFRESH, SELECT, VIEWER


def claims(token: str) -> dict:
    # Only to read what the token says; its signature is checked in test_tokens.py.
    return pyjwt.decode(token, options={"verify_signature": False})


async def test_selection_required_then_select(
    gql, operator_token, make_org, person, sign_in_with_code
):
    # given a person in two organizations
    acme, beta = await make_org("Acme"), await make_org("Beta")
    await person("sam@example.test", acme, beta)

    # when she signs in by code without naming one
    result = await sign_in_with_code("sam@example.test")

    # then she must choose: a pending token and both organizations, and no session yet
    assert result["authentication"] is None
    assert [e["code"] for e in result["userErrors"]] == ["ORGANIZATION_SELECTION_REQUIRED"]
    assert {o["id"] for o in result["organizations"]} == {acme.id, beta.id}
    pending = result["pendingAuthenticationToken"]
    assert pending.startswith("pauth_")
    assert await Session.all().count() == 0

    # when she chooses Beta
    body = await gql(
        SELECT,
        {"i": {"pendingAuthenticationToken": pending, "organizationId": beta.id}},
        token=operator_token,
    )
    chosen = body["data"]["authenticateWithOrganizationSelection"]
    assert chosen["userErrors"] == []
    auth = chosen["authentication"]
    assert auth["organization"] == {"id": beta.id}
    assert auth["authenticationMethod"] == "EMAIL_CODE"
    assert claims(auth["accessToken"])["org_id"] == beta.id
    viewer = (await gql(VIEWER, token=auth["accessToken"]))["data"]["viewer"]
    assert viewer["organizationId"] == beta.id
    assert {o["id"] for o in viewer["organizations"]} == {acme.id, beta.id}

    # and the pending token works once
    again = await gql(
        SELECT,
        {"i": {"pendingAuthenticationToken": pending, "organizationId": acme.id}},
        token=operator_token,
    )
    assert again["data"]["authenticateWithOrganizationSelection"]["userErrors"][0]["code"] == (
        "INVALID_TOKEN"
    )


async def test_choosing_an_organization_of_someone_else_is_refused_and_can_be_retried(
    gql, operator_token, make_org, person, sign_in_with_code
):
    acme, beta, other = await make_org("Acme"), await make_org("Beta"), await make_org("Other")
    await person("sam@example.test", acme, beta)
    pending = (await sign_in_with_code("sam@example.test"))["pendingAuthenticationToken"]
    body = await gql(
        SELECT,
        {"i": {"pendingAuthenticationToken": pending, "organizationId": other.id}},
        token=operator_token,
    )
    refused = body["data"]["authenticateWithOrganizationSelection"]
    assert refused["userErrors"][0]["code"] == "MEMBERSHIP_REQUIRED"
    assert await Session.all().count() == 0
    # the refusal did not use the token up
    body = await gql(
        SELECT,
        {"i": {"pendingAuthenticationToken": pending, "organizationId": acme.id}},
        token=operator_token,
    )
    assert body["data"]["authenticateWithOrganizationSelection"]["userErrors"] == []


async def test_a_pending_token_expires(
    gql, operator_token, make_org, person, sign_in_with_code, monkeypatch
):
    acme, beta = await make_org("Acme"), await make_org("Beta")
    await person("sam@example.test", acme, beta)
    pending = (await sign_in_with_code("sam@example.test"))["pendingAuthenticationToken"]
    row = await PendingAuthentication.get()
    monkeypatch.setattr(clock, "now", lambda: row.expires_at)
    body = await gql(
        SELECT,
        {"i": {"pendingAuthenticationToken": pending, "organizationId": acme.id}},
        token=operator_token,
    )
    assert body["data"]["authenticateWithOrganizationSelection"]["userErrors"][0]["code"] == (
        "INVALID_TOKEN"
    )


async def test_naming_the_organization_up_front_skips_the_choice(
    make_org, person, sign_in_with_code
):
    acme, beta = await make_org("Acme"), await make_org("Beta")
    await person("sam@example.test", acme, beta)
    result = await sign_in_with_code("sam@example.test", organization_id=acme.id)
    assert result["userErrors"] == []
    assert claims(result["authentication"]["accessToken"])["org_id"] == acme.id


async def test_refresh_with_another_organization_switches(
    gql, operator_token, make_org, person, sign_in_with_code
):
    acme, beta = await make_org("Acme"), await make_org("Beta")
    sam = await person("sam@example.test", acme, beta)
    first = (await sign_in_with_code("sam@example.test", organization_id=acme.id))["authentication"]

    body = await gql(
        REFRESH,
        {"i": {"refreshToken": first["refreshToken"], "organizationId": beta.id}},
        token=operator_token,
    )
    switched = body["data"]["refreshSession"]
    assert switched["userErrors"] == []
    auth = switched["authentication"]
    assert auth["organization"] == {"id": beta.id}
    assert auth["member"]["id"] == sam.memberships[beta.id].id
    token = claims(auth["accessToken"])
    assert (token["org_id"], token["member_id"]) == (beta.id, sam.memberships[beta.id].id)
    assert token["sid"] == claims(first["accessToken"])["sid"]  # the same session, moved
    viewer = (await gql(VIEWER, token=auth["accessToken"]))["data"]["viewer"]
    assert viewer["organizationId"] == beta.id
    # the session left Acme: Gatehouse refuses its token for Acme at once
    old = await gql(VIEWER, token=first["accessToken"])
    assert old["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_switching_to_an_organization_without_membership_is_refused(
    gql, operator_token, make_org, person, sign_in_with_code
):
    acme, beta, other = await make_org("Acme"), await make_org("Beta"), await make_org("Other")
    sam = await person("sam@example.test", acme, beta)
    await person("someone@example.test", other)
    first = (await sign_in_with_code("sam@example.test", organization_id=acme.id))["authentication"]
    # an organization she never joined, and one she was deactivated in
    await members.set_member_status(
        operator_principal(), sam.memberships[beta.id].id, MemberStatus.INACTIVE
    )
    for target in (other.id, beta.id):
        body = await gql(
            REFRESH,
            {"i": {"refreshToken": first["refreshToken"], "organizationId": target}},
            token=operator_token,
        )
        assert body["data"]["refreshSession"]["userErrors"][0]["code"] == "MEMBERSHIP_REQUIRED"
    # the refusals changed nothing: the same refresh token still refreshes, in Acme
    body = await gql(REFRESH, {"i": {"refreshToken": first["refreshToken"]}}, token=operator_token)
    assert body["data"]["refreshSession"]["authentication"]["organization"] == {"id": acme.id}
