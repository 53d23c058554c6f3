"""The live onboarding status: a new status within one event of each step changing, computed
once per change and organization, whatever the number of subscribers."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from gql import GraphQLRequest

from gatehouse.resolvers.onboarding.live import feed_for
from tests.dsync.conftest import USER_SCHEMA
from tests.events.conftest import eventually
from tests.sso.saml_idp import make_keypair

SUBSCRIBE = """subscription($org: ID!) { onboarding(organizationId: $org) {
  state completedSteps totalSteps
  domains { state verified pending failed }
  sso { state connections activeConnections connectionState certificateExpiresAt }
  directory { state directories lastSyncAt }
  members { state active }
} }"""

ADD_DOMAIN = """mutation($i: AddDomainInput!) { addDomain(input: $i) {
  domain { id } userErrors { code } } }"""
VERIFY_DOMAIN = """mutation($i: VerifyDomainInput!) { verifyDomain(input: $i) {
  userErrors { code } } }"""
CREATE_SAML = """mutation($i: CreateSamlConnectionInput!) { createSamlConnection(input: $i) {
  connection { id } userErrors { code message } } }"""
ACTIVATE = """mutation($i: ConnectionInput!) { activateConnection(input: $i) {
  userErrors { code } } }"""
CREATE_DIRECTORY = """mutation($i: CreateDirectoryInput!) { createDirectory(input: $i) {
  directory { id } bearerToken userErrors { code } } }"""


class Follower:
    """One graphql-transport-ws client following an organization's onboarding status."""

    def __init__(self, live: Any, token: str, org_id: str) -> None:
        self.client = live.ws_client(token)
        self.org_id = org_id
        self.statuses: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with self.client as session:
            request = GraphQLRequest(SUBSCRIBE, variable_values={"org": self.org_id})
            async for result in session.subscribe(request):
                await self.statuses.put(result["onboarding"])

    async def start(self) -> dict[str, Any]:
        self.task = asyncio.create_task(self._run())
        return await self.next()

    async def next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.statuses.get(), 15)

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def _ok(live: Any, token: str, query: str, field: str, value: dict[str, Any]) -> Any:
    body = await live.gql(query, {"i": value}, token)
    assert body.get("data"), body
    payload = body["data"][field]
    assert payload["userErrors"] == [], payload
    return payload


async def test_each_step_change_reaches_subscribers_within_one_event(
    live, operator_token, create_org
):
    # given an organization with nothing set up, and a dashboard following it
    org_id = await create_org("Acme")
    follower = Follower(live, operator_token, org_id)
    first = await follower.start()
    assert first["state"] == "NOT_STARTED"
    assert (first["completedSteps"], first["totalSteps"]) == (0, 5)

    # when a domain is added, the next status shows the step in progress
    payload = await _ok(
        live,
        operator_token,
        ADD_DOMAIN,
        "addDomain",
        {"organizationId": org_id, "domain": "acme-onboarding.com"},
    )
    status = await follower.next()
    assert status["domains"] == {"state": "IN_PROGRESS", "verified": 0, "pending": 1, "failed": 0}
    assert status["state"] == "IN_PROGRESS"

    # when it is verified, done
    await _ok(
        live,
        operator_token,
        VERIFY_DOMAIN,
        "verifyDomain",
        {"domainId": payload["domain"]["id"], "strategy": "MANUAL"},
    )
    status = await follower.next()
    assert status["domains"]["state"] == "DONE"
    assert status["completedSteps"] == 1

    # when a SAML connection is created, SSO is in progress; activated, done
    keys = make_keypair()
    created = await _ok(
        live,
        operator_token,
        CREATE_SAML,
        "createSamlConnection",
        {
            "organizationId": org_id,
            "name": "Okta",
            "idpEntityId": "https://idp.test/metadata",
            "idpSsoUrl": "https://idp.test/sso",
            "idpCertificates": [keys.cert_b64],
        },
    )
    status = await follower.next()
    assert status["sso"]["state"] == "IN_PROGRESS"
    assert status["sso"]["connectionState"] == "DRAFT"
    await _ok(
        live,
        operator_token,
        ACTIVATE,
        "activateConnection",
        {"connectionId": created["connection"]["id"]},
    )
    status = await follower.next()
    assert status["sso"]["state"] == "DONE"
    assert status["sso"]["activeConnections"] == 1
    assert status["sso"]["certificateExpiresAt"] is not None
    assert status["completedSteps"] == 2

    # when a directory is created, in progress; its first SCIM push makes it done
    directory = await _ok(
        live,
        operator_token,
        CREATE_DIRECTORY,
        "createDirectory",
        {"organizationId": org_id, "name": "Okta SCIM"},
    )
    status = await follower.next()
    assert status["directory"]["state"] == "IN_PROGRESS"
    assert status["directory"]["lastSyncAt"] is None
    import httpx

    async with httpx.AsyncClient(base_url=live.http_url) as c:
        pushed = await c.post(
            f"/scim/v2/{directory['directory']['id']}/Users",
            json={
                "schemas": [USER_SCHEMA],
                "userName": "ada@acme-onboarding.com",
                "emails": [{"value": "ada@acme-onboarding.com", "primary": True}],
                "active": True,
            },
            headers={
                "Authorization": f"Bearer {directory['bearerToken']}",
                "Content-Type": "application/scim+json",
            },
        )
    assert pushed.status_code == 201, pushed.text
    status = await follower.next()
    assert status["directory"]["state"] == "DONE"
    assert status["directory"]["lastSyncAt"] is not None
    await follower.stop()


async def test_one_computation_per_change_for_every_subscriber(live, operator_token, create_org):
    # given three dashboards on one organization, and one on another
    org_id = await create_org("Acme")
    other_id = await create_org("Other")
    followers = [Follower(live, operator_token, org_id) for _ in range(3)]
    for f in followers:
        await f.start()
    elsewhere = Follower(live, operator_token, other_id)
    await elsewhere.start()
    feed = feed_for(live.server.config.app.state.events.hub)
    watch = feed.watches[org_id]
    computed = watch.computations

    # when one change is made to the first organization
    await _ok(
        live,
        operator_token,
        ADD_DOMAIN,
        "addDomain",
        {"organizationId": org_id, "domain": "acme-shared.com"},
    )

    # then every subscriber gets the new status, from one shared watcher that computed it once
    for f in followers:
        status = await f.next()
        assert status["domains"]["state"] == "IN_PROGRESS"
    assert len([w for w in feed.watches.values() if w.organization_id == org_id]) == 1
    assert watch.computations == computed + 1
    # and the other organization's subscriber got nothing: its status did not change
    assert elsewhere.statuses.empty()
    for f in [*followers, elsewhere]:
        await f.stop()

    # when the last subscriber leaves, the watcher goes too
    await eventually(lambda: _no_watch(feed, org_id))


async def _no_watch(feed: Any, org_id: str) -> bool:
    return org_id not in feed.watches


async def test_another_tenants_onboarding_cannot_be_followed(live, create_org):
    # given a key scoped to organization A
    from gatehouse.auth.principal import operator_principal
    from gatehouse.resolvers import api_keys

    org_a, org_b = await create_org("A"), await create_org("B")
    _, token = await api_keys.create_api_key(operator_principal(), "a", org_a)

    # when it subscribes to B's onboarding, the subscription fails as not found
    client = live.ws_client(token)
    errors: list[Any] = []
    async with client as session:
        try:
            async for _ in session.subscribe(
                GraphQLRequest(SUBSCRIBE, variable_values={"org": org_b})
            ):
                break
        except Exception as e:
            errors.append(e)
    assert errors
    assert "NOT_FOUND" in str(errors[0]) or "not found" in str(errors[0]).lower()
