"""Listing webhook endpoints and API keys, and repairing delivery: updateWebhookEndpoint
(re-enable), retryDelivery, replayEvents; against a live server and a real receiver."""

from __future__ import annotations

import json

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import ApiKey, Delivery, Event, TargetState, WebhookEndpoint
from gatehouse.resolvers import api_keys
from gatehouse.server.app import create_app
from tests.events.conftest import endpoint_to, event_settings, eventually, start_server, stop_server

ENDPOINTS = """query($org: ID) { webhookEndpoints(organizationId: $org, first: 50) {
  totalCount edges { node { id url organizationId eventTypes state } } } }"""
ORG_ENDPOINTS = """query($id: ID!) { organization(id: $id) {
  webhookEndpoints { totalCount edges { node { id } } }
  apiKeys { totalCount edges { node { id name displayPrefix } } } } }"""
KEYS = """query($inc: Boolean!) { apiKeys(first: 50, includeRevoked: $inc) {
  totalCount edges { node { id name organizationId revokedAt } } } }"""
UPDATE = """mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) {
  webhookEndpoint { id url eventTypes state } userErrors { field code } } }"""
RETRY = """mutation($i: RetryDeliveryInput!) { retryDelivery(input: $i) {
  delivery { id succeeded } target { id state } userErrors { field code } } }"""
REPLAY = """mutation($i: ReplayEventsInput!) { replayEvents(input: $i) {
  webhookEndpoint { id state } userErrors { field code } } }"""
EVENTS = """query($org: ID!) { events(organizationId: $org, first: 100) {
  edges { node { id type cursor } } } }"""


@pytest.fixture
async def slow_retry_live(db):
    """A server whose failed deliveries back off for an hour: only a retry sends them sooner."""
    settings = event_settings(db, GATEHOUSE_WEBHOOK_RETRY_BASE_SECONDS=3600)
    server = await start_server(create_app(settings, manage_db=False), settings)
    yield server
    await stop_server(server)


def _received_ids(receiver) -> list[str]:
    return [json.loads(body)["id"] for _, body in receiver.received]


async def test_endpoints_and_keys_are_listed_without_secrets(live, operator_token, create_org):
    # given endpoints for two organizations and one for every organization, and keys
    org_a, org_b = await create_org("A"), await create_org("B")
    mine = await endpoint_to("http://127.0.0.1:9/a", organization_id=org_a)
    theirs = await endpoint_to("http://127.0.0.1:9/b", organization_id=org_b)
    everyone = await endpoint_to("http://127.0.0.1:9/all")
    key_a, token_a = await api_keys.create_api_key(operator_principal(), "A's key", org_a)
    revoked, _ = await api_keys.create_api_key(operator_principal(), "old", org_a)
    await api_keys.revoke_api_key(operator_principal(), revoked.id)

    # when the operator lists them, and A's key does
    operator = (await live.gql(ENDPOINTS, {}, operator_token))["data"]["webhookEndpoints"]
    scoped = (await live.gql(ENDPOINTS, {}, token_a))["data"]["webhookEndpoints"]
    peeking = (await live.gql(ENDPOINTS, {"org": org_b}, token_a))["data"]["webhookEndpoints"]
    org_view = (await live.gql(ORG_ENDPOINTS, {"id": org_a}, token_a))["data"]["organization"]
    all_keys = (await live.gql(KEYS, {"inc": True}, operator_token))["data"]["apiKeys"]
    live_keys = (await live.gql(KEYS, {"inc": False}, token_a))["data"]["apiKeys"]

    # then the operator sees all three, A only its own, and B's reads as none
    assert {e["node"]["id"] for e in operator["edges"]} == {mine.id, theirs.id, everyone.id}
    assert [e["node"]["id"] for e in scoped["edges"]] == [mine.id]
    assert peeking == {"totalCount": 0, "edges": []}
    assert [e["node"]["id"] for e in org_view["webhookEndpoints"]["edges"]] == [mine.id]
    assert [e["node"]["id"] for e in org_view["apiKeys"]["edges"]] == [key_a.id]
    assert {e["node"]["name"] for e in all_keys["edges"]} >= {"A's key", "old"}
    assert [e["node"]["id"] for e in live_keys["edges"]] == [key_a.id]
    # and no secret appears anywhere in what was listed
    for listed in (operator, scoped, org_view, all_keys):
        text = json.dumps(listed)
        assert "whsec_" not in text
        assert token_a not in text
        for key in await ApiKey.all():
            assert key.secret_hash not in text
    for endpoint in await WebhookEndpoint.all():
        assert endpoint.secret not in json.dumps(operator)


async def test_update_changes_url_and_types_and_refuses_bad_input(live, operator_token, receiver):
    # given an endpoint
    endpoint = await endpoint_to("http://127.0.0.1:9/old")

    # when its URL and event types are changed
    body = await live.gql(
        UPDATE,
        {
            "i": {
                "webhookEndpointId": endpoint.id,
                "url": receiver.url,
                "eventTypes": ["organization.created"],
            }
        },
        operator_token,
    )

    # then both changed
    payload = body["data"]["updateWebhookEndpoint"]
    assert payload["userErrors"] == []
    assert payload["webhookEndpoint"]["url"] == receiver.url
    assert payload["webhookEndpoint"]["eventTypes"] == ["organization.created"]

    # when a bad URL and bad types are given, userErrors, and nothing changes
    body = await live.gql(
        UPDATE,
        {"i": {"webhookEndpointId": endpoint.id, "url": "ftp://x", "eventTypes": ["Bad Type"]}},
        operator_token,
    )
    errors = body["data"]["updateWebhookEndpoint"]["userErrors"]
    assert {e["code"] for e in errors} == {"INVALID_URL", "INVALID_EVENT_TYPE"}
    stored = await WebhookEndpoint.get(id=endpoint.id)
    assert (stored.url, stored.event_types) == (receiver.url, ["organization.created"])


async def test_a_disabled_endpoint_is_re_enabled_and_resumes_where_it_stopped(
    live, operator_token, create_org, receiver
):
    # given an endpoint the receiver disabled with 410 on an event
    receiver.status = 410
    endpoint = await endpoint_to(receiver.url, ["organization.created"])
    await create_org("Blocked")

    async def disabled() -> bool:
        return (await WebhookEndpoint.get(id=endpoint.id)).state is TargetState.DISABLED

    await eventually(disabled)
    assert receiver.received == []

    # when the receiver is fixed and the endpoint re-enabled
    receiver.status = 200
    body = await live.gql(
        UPDATE, {"i": {"webhookEndpointId": endpoint.id, "enabled": True}}, operator_token
    )
    assert body["data"]["updateWebhookEndpoint"]["webhookEndpoint"]["state"] == "ACTIVE"

    # then the event it stopped at arrives
    await eventually(lambda: _count_at_least(receiver, 1))
    assert json.loads(receiver.received[0][1])["type"] == "organization.created"


async def _count_at_least(receiver, n: int) -> bool:
    return len(receiver.received) >= n


async def test_retry_sends_a_failed_delivery_now(
    slow_retry_live, operator_token, create_org, receiver
):
    live = slow_retry_live
    # given a delivery that failed, with its next try an hour away
    receiver.status = 500
    endpoint = await endpoint_to(receiver.url, ["organization.created"])
    body = await live.gql(
        """mutation { createOrganization(input: {name: "Retry me"}) {
        organization { id } } }""",
        {},
        operator_token,
    )
    assert body["data"]["createOrganization"]["organization"]["id"]

    async def failed() -> bool:
        return await Delivery.filter(target_id=endpoint.id, succeeded=False).exists()

    await eventually(failed)
    delivery = await Delivery.filter(target_id=endpoint.id).first()
    assert delivery is not None
    assert (await WebhookEndpoint.get(id=endpoint.id)).next_attempt_at is not None

    # when the receiver is fixed and the delivery retried
    receiver.status = 200
    body = await live.gql(RETRY, {"i": {"deliveryId": delivery.id}}, operator_token)
    payload = body["data"]["retryDelivery"]
    assert payload["userErrors"] == []
    assert payload["target"]["id"] == endpoint.id

    # then the event arrives without waiting out the backoff
    await eventually(lambda: _count_at_least(receiver, 1))
    assert json.loads(receiver.received[0][1])["id"] == delivery.event_id

    # and retrying it again is refused: it was delivered since
    body = await live.gql(RETRY, {"i": {"deliveryId": delivery.id}}, operator_token)
    assert body["data"]["retryDelivery"]["userErrors"] == [
        {"field": ["deliveryId"], "code": "ALREADY_DELIVERED"}
    ]


async def test_replay_sends_every_event_after_the_cursor_again(
    live, operator_token, create_org, receiver
):
    # given an endpoint that received three organizations' creation
    endpoint = await endpoint_to(receiver.url, ["organization.created"])
    orgs = [await create_org(f"Org {i}") for i in range(3)]
    await eventually(lambda: _count_at_least(receiver, 3))
    first = _received_ids(receiver)
    cursors = []
    for org in orgs:
        edges = (await live.gql(EVENTS, {"org": org}, operator_token))["data"]["events"]["edges"]
        cursors.append(next(e["node"]["cursor"] for e in edges))

    # when events after the first organization's are replayed
    body = await live.gql(
        REPLAY, {"i": {"endpointId": endpoint.id, "after": cursors[0]}}, operator_token
    )
    assert body["data"]["replayEvents"]["userErrors"] == []

    # then the second and third arrive again, in order
    await eventually(lambda: _count_at_least(receiver, 5))
    assert _received_ids(receiver)[3:] == first[1:]


async def test_another_tenants_endpoint_and_deliveries_cannot_be_repaired(
    live, operator_token, create_org, receiver
):
    # given B's endpoint with a failed delivery, and a key scoped to A
    org_a, org_b = await create_org("A"), await create_org("B")
    receiver.status = 500
    endpoint = await endpoint_to(receiver.url, organization_id=org_b)
    await live.gql(
        """mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) {
        userErrors { code } } }""",
        {"i": {"organizationId": org_b, "name": "B2"}},
        operator_token,
    )

    async def failed() -> bool:
        return await Delivery.filter(target_id=endpoint.id).exists()

    await eventually(failed)
    delivery = await Delivery.filter(target_id=endpoint.id).first()
    _, token = await api_keys.create_api_key(operator_principal(), "a", org_a)
    before = await WebhookEndpoint.get(id=endpoint.id)
    cursor = (await live.gql(EVENTS, {"org": org_b}, operator_token))["data"]["events"]["edges"][0][
        "node"
    ]["cursor"]

    # when A's key updates, replays or retries them
    calls = [
        (
            UPDATE,
            {"webhookEndpointId": endpoint.id, "url": "http://127.0.0.1:9/x"},
            "updateWebhookEndpoint",
            "webhookEndpointId",
        ),
        (REPLAY, {"endpointId": endpoint.id, "after": cursor}, "replayEvents", "webhookEndpointId"),
        (RETRY, {"deliveryId": delivery.id}, "retryDelivery", "deliveryId"),
    ]
    for query, value, field, at in calls:
        body = await live.gql(query, {"i": value}, token)
        # then each reads as not found
        assert body["data"][field]["userErrors"] == [{"field": [at], "code": "NOT_FOUND"}], body
    node = await live.gql("query($id: ID!) { node(id: $id) { id } }", {"id": delivery.id}, token)
    assert node["data"]["node"] is None

    # and nothing changed (the worker keeps retrying on its own, so only what a repair sets)
    after = await WebhookEndpoint.get(id=endpoint.id)
    assert (after.url, after.cursor, after.state) == (before.url, before.cursor, before.state)
    repairs = ["webhook_endpoint.updated", "webhook_endpoint.replay_started"]
    assert not await Event.filter(type__in=[*repairs, "webhook_endpoint.retry_requested"]).exists()
