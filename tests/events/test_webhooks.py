from __future__ import annotations

import json
import os

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from gatehouse.auth.principal import operator_principal
from gatehouse.events.sequencer import sequence_pending
from gatehouse.models import Delivery, Event, TargetState, WebhookEndpoint
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.events import webhooks
from tests.events.conftest import eventually

CREATE = """mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) {
  webhookEndpoint { id state } secret userErrors { field code } } }"""
ROTATE = """mutation($i: WebhookEndpointIdInput!) { rotateWebhookSecret(input: $i) {
  secret userErrors { code } } }"""
DELIVERIES = """query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { state
  deliveries(first: 100) { totalCount edges { node { succeeded responseStatus attempt error } } }
} } }"""


async def make_endpoint(live, token, url, **extra):
    body = await live.gql(CREATE, {"i": {"url": url, **extra}}, token)
    payload = body["data"]["createWebhookEndpoint"]
    assert payload["userErrors"] == [], payload
    return payload["webhookEndpoint"]["id"], payload["secret"]


def verified_ids(received, secret):
    out = []
    for headers, body in received:
        payload = Webhook(secret).verify(body, headers)
        assert payload["id"] == headers["webhook-id"]
        out.append(payload)
    return out


async def test_receiver_down_then_up_gets_every_event_in_order_signed(
    live, operator_token, create_org, receiver
):
    # given an endpoint whose receiver is down
    endpoint_id, secret = await make_endpoint(live, operator_token, receiver.url)
    # the signing secret is stored encrypted (it must stay usable, so it cannot be hashed)
    stored = (await WebhookEndpoint.get(id=endpoint_id)).secret
    assert secret.removeprefix("whsec_") not in stored
    assert secret.startswith("whsec_")
    await receiver.stop()
    for i in range(5):
        await create_org(f"Org {i}")

    async def failed_some() -> bool:
        return await Delivery.filter(target_id=endpoint_id, succeeded=False).exists()

    await eventually(failed_some)

    # when it comes back
    await receiver.start()
    await sequence_pending()  # every committed event has its position before we list them
    expected = [
        e.id
        async for e in Event.filter(position__isnull=False).order_by("position")
        if e.type != "webhook_endpoint.created" or e.data.get("id") == endpoint_id
    ]

    async def all_arrived() -> bool:
        return len(receiver.received) >= len(expected)

    await eventually(all_arrived, timeout=30)

    # then every event arrived, in order, once each, with a valid Standard Webhooks signature
    payloads = verified_ids(receiver.received, secret)
    assert [p["id"] for p in payloads] == expected
    orgs = [p for p in payloads if p["type"] == "organization.created"]
    assert len(orgs) == 5
    assert all(p["sequence"] == 1 for p in orgs)  # each organization's first event
    body = await live.gql(DELIVERIES, {"id": endpoint_id}, operator_token)
    node = body["data"]["node"]
    assert node["state"] == "ACTIVE"
    assert any(not d["node"]["succeeded"] for d in node["deliveries"]["edges"])


async def test_tampered_body_or_stale_timestamp_fails_verification(
    live, operator_token, create_org, receiver
):
    _, secret = await make_endpoint(live, operator_token, receiver.url)
    await eventually(lambda: _at_least(receiver, 1))
    headers, body = receiver.received[0]
    Webhook(secret).verify(body, headers)
    tampered = body.replace(b'"type":"', b'"type":"x')
    assert tampered != body
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, headers)
    stale = dict(headers, **{"webhook-timestamp": str(int(headers["webhook-timestamp"]) - 600)})
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, stale)


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    live, operator_token, create_org, receiver
):
    endpoint_id, old = await make_endpoint(live, operator_token, receiver.url)
    body = await live.gql(ROTATE, {"i": {"webhookEndpointId": endpoint_id}}, operator_token)
    new = body["data"]["rotateWebhookSecret"]["secret"]
    assert new.startswith("whsec_")
    assert new != old
    await create_org("After rotation")

    async def got_org() -> bool:
        return any(b"organization.created" in b for _, b in receiver.received)

    await eventually(got_org)
    headers, payload = next((h, b) for h, b in receiver.received if b"organization.created" in b)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(payload, headers)
    Webhook(new).verify(payload, headers)
    # the secrets never appear in any event
    for event in await Event.all():
        assert new not in json.dumps(event.data)
        assert old not in json.dumps(event.data)


async def test_410_disables_the_endpoint_and_says_so(live, operator_token, receiver):
    receiver.status = 410
    endpoint_id, _ = await make_endpoint(live, operator_token, receiver.url)

    async def disabled() -> bool:
        endpoint = await WebhookEndpoint.get(id=endpoint_id)
        return endpoint.state is TargetState.DISABLED

    await eventually(disabled)
    assert await Event.filter(type="webhook_endpoint.disabled").exists()


async def test_redirect_is_a_failure_and_is_not_followed(live, operator_token, receiver):
    receiver.status = 307
    receiver.headers = {"location": receiver.url + "/elsewhere"}
    endpoint_id, _ = await make_endpoint(live, operator_token, receiver.url)

    async def failed() -> bool:
        return await Delivery.filter(target_id=endpoint_id, succeeded=False).exists()

    await eventually(failed)
    delivery = await Delivery.filter(target_id=endpoint_id).first()
    assert delivery is not None
    assert (delivery.response_status, delivery.error) == (307, "redirect not followed")
    assert receiver.received == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest",
        "https://10.0.0.8/x",
        "https://[::1]/",
        "https://100.64.0.1/",  # shared address space (carrier-grade NAT)
        "https://[::ffff:10.0.0.8]/",  # IPv4-mapped
        "https://[2002:7f00:1::]/",  # 6to4 for 127.0.0.1
        "https://[fec0::1]/",  # site-local
    ],
)
async def test_private_targets_are_refused_unless_allowed(db, url):
    before = await WebhookEndpoint.all().count()
    with pytest.raises(DomainError) as e:
        await webhooks.create_webhook_endpoint(
            operator_principal(),
            url,
            [],
            None,
            allow_private=False,
            secret_key=os.environ["GATEHOUSE_SECRET_KEY"],
        )
    assert e.value.errors[0].code is ErrorCode.PRIVATE_URL
    assert await WebhookEndpoint.all().count() == before
    assert not await Event.filter(type="webhook_endpoint.created").exists()


async def test_plain_http_is_refused_unless_private_targets_are_allowed(db):
    with pytest.raises(DomainError) as e:
        await webhooks.create_webhook_endpoint(
            operator_principal(),
            "http://example.com/hook",
            [],
            None,
            allow_private=False,
            secret_key=os.environ["GATEHOUSE_SECRET_KEY"],
        )
    assert e.value.errors[0].code is ErrorCode.INVALID_URL


async def _at_least(receiver, n: int) -> bool:
    return len(receiver.received) >= n
