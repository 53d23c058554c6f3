"""Refresh tokens rotate on every use; presenting a rotated one ends the whole session
(SECURITY 47, RFC 9700 §4.14); two concurrent refreshes of one token give one success."""

from __future__ import annotations

import asyncio
import os

import pytest

from gatehouse.models import Event, RefreshToken, Session
from tests.sign_in.conftest import REFRESH, VIEWER


@pytest.fixture
def refresh(gql, operator_token):
    async def run(token: str, organization_id: str | None = None) -> dict:
        body = await gql(
            REFRESH,
            {"i": {"refreshToken": token, "organizationId": organization_id}},
            token=operator_token,
        )
        return body["data"]["refreshSession"]

    return run


async def test_each_refresh_rotates_the_token(make_org, person, sign_in_with_code, refresh, gql):
    org = await make_org()
    await person("ada@acme.test", org)
    first = (await sign_in_with_code("ada@acme.test"))["authentication"]
    second = (await refresh(first["refreshToken"]))["authentication"]
    third = (await refresh(second["refreshToken"]))["authentication"]
    assert len({first["refreshToken"], second["refreshToken"], third["refreshToken"]}) == 3
    assert third["authenticationMethod"] == "EMAIL_CODE"
    assert (await gql(VIEWER, token=third["accessToken"]))["data"]["viewer"]["organizationId"] == (
        org.id
    )
    # every refresh token is stored as a hash, never as itself
    stored = await RefreshToken.all().values_list("token_hash", flat=True)
    assert not {first["refreshToken"], second["refreshToken"]} & set(stored)


async def test_reusing_a_rotated_token_revokes_the_family(
    make_org, person, sign_in_with_code, refresh, gql
):
    # given a session refreshed once: the first token is rotated, the second is current
    org = await make_org()
    await person("ada@acme.test", org)
    first = (await sign_in_with_code("ada@acme.test"))["authentication"]
    second = (await refresh(first["refreshToken"]))["authentication"]

    # when the rotated token comes back (a thief, or a replay)
    reused = await refresh(first["refreshToken"])

    # then it is refused, the session is revoked, and the newest token fails too
    assert reused["userErrors"][0]["code"] == "INVALID_REFRESH_TOKEN"
    session = await Session.get()
    assert session.revoked_at is not None
    assert session.revoked_reason == "refresh_token_reused"
    newest = await refresh(second["refreshToken"])
    assert newest["userErrors"][0]["code"] == "INVALID_REFRESH_TOKEN"
    # and Gatehouse refuses the session's access token at once
    viewer = await gql(VIEWER, token=second["accessToken"])
    assert viewer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_unknown_token_is_refused_and_changes_nothing(refresh):
    before = await Event.all().count()
    body = await refresh("rt_not-a-token")
    assert body["authentication"] is None
    assert body["userErrors"][0]["code"] == "INVALID_REFRESH_TOKEN"
    assert await Event.all().count() == before


async def test_a_session_past_its_lifetime_cannot_be_refreshed(
    make_org, person, sign_in_with_code, refresh
):
    from datetime import UTC, datetime, timedelta

    org = await make_org()
    await person("ada@acme.test", org)
    first = (await sign_in_with_code("ada@acme.test"))["authentication"]
    await Session.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await refresh(first["refreshToken"]))["userErrors"][0]["code"] == (
        "INVALID_REFRESH_TOKEN"
    )


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="row locks need PostgreSQL (SQLite serialises)"
)
async def test_two_concurrent_refreshes_of_one_token_give_one_success(
    make_org, person, sign_in_with_code, refresh
):
    org = await make_org()
    await person("ada@acme.test", org)
    first = (await sign_in_with_code("ada@acme.test"))["authentication"]
    results = await asyncio.gather(*(refresh(first["refreshToken"]) for _ in range(2)))
    succeeded = [r for r in results if r["authentication"] is not None]
    assert len(succeeded) == 1, results
    # the loser presented a token already used: that is a reuse, so no second chain survives
    assert await RefreshToken.filter(used_at=None).count() <= 1
    assert await Session.all().count() == 1
