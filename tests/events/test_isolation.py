from __future__ import annotations

import os

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Delivery, LogStream, LogStreamType, WebhookEndpoint
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.events import log_streams, webhooks

WH = "webhookEndpoint { id } secret userErrors { code }"
LS = "logStream { id } userErrors { code }"


async def _snapshot():
    return [
        [(e.id, e.secret, e.url) for e in await WebhookEndpoint.all().order_by("id")],
        [(s.id, s.url) for s in await LogStream.all().order_by("id")],
        await Delivery.all().count(),
    ]


async def test_another_organizations_endpoints_and_streams_are_not_found(gql, make_org):
    # given B's webhook endpoint and log stream, and a key scoped to A
    org_a, org_b = await make_org("A"), await make_org("B")
    op = operator_principal()
    hook, _ = await webhooks.create_webhook_endpoint(
        op,
        "http://127.0.0.1:9/hook",
        [],
        org_b.id,
        allow_private=True,
        secret_key=os.environ["GATEHOUSE_SECRET_KEY"],
    )
    stream = await log_streams.create_log_stream(
        op,
        org_b.id,
        LogStreamType.HTTPS,
        "http://127.0.0.1:9/logs",
        None,
        allow_private=True,
        secret_key=os.environ["GATEHOUSE_SECRET_KEY"],
    )
    _, token = await api_keys.create_api_key(op, "a", org_a.id)
    before = await _snapshot()

    # when A's key acts on them, or creates targets for B
    calls = [
        ("rotateWebhookSecret", "WebhookEndpointIdInput", {"webhookEndpointId": hook.id}, WH),
        (
            "deleteWebhookEndpoint",
            "WebhookEndpointIdInput",
            {"webhookEndpointId": hook.id},
            "webhookEndpoint { id } userErrors { code }",
        ),
        ("deleteLogStream", "LogStreamIdInput", {"logStreamId": stream.id}, LS),
        (
            "sendTestLogEvent",
            "LogStreamIdInput",
            {"logStreamId": stream.id},
            "responseStatus userErrors { code }",
        ),
        (
            "createWebhookEndpoint",
            "CreateWebhookEndpointInput",
            {"url": "http://127.0.0.1:9/x", "organizationId": org_b.id},
            WH,
        ),
        (
            "createLogStream",
            "CreateLogStreamInput",
            {"type": "HTTPS", "url": "http://127.0.0.1:9/x", "organizationId": org_b.id},
            LS,
        ),
    ]
    for name, input_type, value, selection in calls:
        body = await gql(
            f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {selection} }} }}",
            {"i": value},
            token=token,
        )
        # then each answers NOT_FOUND, as if B's objects did not exist
        assert body["data"][name]["userErrors"] == [{"code": "NOT_FOUND"}], name
    for target in (hook.id, stream.id):
        body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": target}, token=token)
        assert body["data"]["node"] is None
    # and nothing changed
    assert await _snapshot() == before
