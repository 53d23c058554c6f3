from __future__ import annotations

import json

from gatehouse.models import Event, LogStream
from tests.events.conftest import eventually

CREATE = """mutation($i: CreateLogStreamInput!) { createLogStream(input: $i) {
  logStream { id type state } userErrors { field code } } }"""
TEST = """mutation($i: LogStreamIdInput!) { sendTestLogEvent(input: $i) {
  responseStatus userErrors { code } } }"""
DELETE = """mutation($i: LogStreamIdInput!) { deleteLogStream(input: $i) {
  logStream { id } userErrors { code } } }"""


async def test_splunk_hec_stream_receives_the_organizations_events(
    live, operator_token, create_org, receiver
):
    # given an organization with a Splunk HEC log stream
    org = await create_org("Acme")
    body = await live.gql(
        CREATE,
        {
            "i": {
                "type": "SPLUNK_HEC",
                "url": receiver.url,
                "token": "hec-t0ken",
                "organizationId": org,
            }
        },
        operator_token,
    )
    stream = body["data"]["createLogStream"]
    assert stream["userErrors"] == []
    stream_id = stream["logStream"]["id"]
    # the token is stored encrypted, not in clear
    stored = (await LogStream.get(id=stream_id)).token
    assert stored
    assert "hec-t0ken" not in stored

    # when the test button is pressed and another organization also has events
    body = await live.gql(TEST, {"i": {"logStreamId": stream_id}}, operator_token)
    assert body["data"]["sendTestLogEvent"]["responseStatus"] == 200
    await create_org("Other")

    async def got_created() -> bool:
        return any(b"log_stream.created" in b for _, b in receiver.received)

    await eventually(got_created)

    # then records arrive in HEC format with the token, only for this organization
    headers, _ = receiver.received[0]
    assert headers["authorization"] == "Splunk hec-t0ken"
    records = [json.loads(line) for _, b in receiver.received for line in b.splitlines()]
    assert records[0]["event"]["type"] == "log_stream.test"
    assert {r["event"]["organization_id"] for r in records} == {org}
    # the token never appears in an event
    assert all("hec-t0ken" not in json.dumps(e.data) for e in await Event.all())

    # and deleting the stream removes it
    body = await live.gql(DELETE, {"i": {"logStreamId": stream_id}}, operator_token)
    assert body["data"]["deleteLogStream"]["userErrors"] == []
    assert not await LogStream.exists(id=stream_id)


async def test_datadog_stream_needs_a_token(live, operator_token, create_org, receiver):
    org = await create_org("Acme")
    before = await LogStream.all().count()
    body = await live.gql(
        CREATE,
        {"i": {"type": "DATADOG", "url": receiver.url, "organizationId": org}},
        operator_token,
    )
    assert body["data"]["createLogStream"]["userErrors"] == [
        {"field": ["token"], "code": "REQUIRED"}
    ]
    assert await LogStream.all().count() == before
