"""Acceptance: the log streams page adds an HTTPS destination, sends a test event that a real
receiver gets, shows it delivered; a portal session never lists or deletes another org's streams.
Real uvicorn, real Chromium, the test event over a real socket."""

from __future__ import annotations

import json

from gatehouse.models import Event, LogStream, LogStreamType
from tests.events.conftest import Receiver
from tests.portal.conftest import open_link, screenshot

LIST = "query($id: ID!) { organization(id: $id) { logStreams { id url state } } }"
DELETE = """mutation($id: ID!) { deleteLogStream(input: {logStreamId: $id}) {
  logStream { id } userErrors { code } } }"""


async def test_add_https_destination_and_send_test_event(
    page, live_server, settings, make_org, make_link
):
    settings.allow_private_webhooks = True  # the receiver listens on 127.0.0.1
    receiver = Receiver()
    await receiver.start()
    try:
        org = await make_org("Acme Industries")
        await open_link(page, await make_link(org.id, ["LOG_STREAMS"]))
        await page.get_by_role("link", name="Stream audit logs").click()
        assert page.url == f"{live_server}/portal/log-streams"
        # Add an HTTPS (JSON lines) destination pointing at the receiver
        await page.get_by_label("Destination", exact=True).select_option("HTTPS")
        await page.get_by_label("Intake URL").fill(receiver.url)
        await page.get_by_role("button", name="Add destination").click()
        await page.get_by_test_id("log-stream").wait_for()
        stream = await LogStream.get(organization_id=org.id)
        assert stream.url == receiver.url
        assert await page.get_by_test_id("stream-state").inner_text() == "Delivering"
        # Send a test event: the receiver gets it and the page says it was delivered
        await page.get_by_role("button", name="Send test event").click()
        await page.get_by_test_id("test-outcome").filter(has_text="delivered (HTTP 200)").wait_for()
        assert len(receiver.received) == 1
        _headers, body = receiver.received[0]
        record = json.loads(body.decode().splitlines()[0])
        assert record["type"] == "log_stream.test"
        assert record["data"] == {"log_stream_id": stream.id}
        await screenshot(page, "log-streams-tested")
        # The home checklist now counts the step as done
        await page.get_by_role("link", name="Setup").click()
        item = page.locator('[data-intent="LOG_STREAMS"]')
        assert await item.locator(".status").inner_text() == "Done"
        # Delete it from the page
        await page.get_by_role("link", name="Review").click()
        page.once("dialog", lambda dialog: dialog.accept())
        await page.get_by_role("button", name="Delete").click()
        await page.get_by_role("status").filter(has_text="Destination deleted").wait_for()
        assert await LogStream.filter(organization_id=org.id).count() == 0
    finally:
        await receiver.stop()


async def test_portal_session_cannot_list_or_delete_another_orgs_streams(
    browser_session, make_org, make_link
):
    a = await make_org("Acme")
    b = await make_org("Beta")
    theirs = LogStream(organization_id=b.id, type=LogStreamType.HTTPS, url="https://b.example/")
    await theirs.save()
    ours = LogStream(organization_id=a.id, type=LogStreamType.HTTPS, url="https://a.example/")
    await ours.save()
    response = await browser_session.open(await make_link(a.id, ["LOG_STREAMS"]))
    assert response.status_code == 303
    # Our own organization lists only our stream
    body = (await browser_session.gql(LIST, {"id": a.id})).json()
    assert body["data"]["organization"]["logStreams"] == [
        {"id": ours.id, "url": "https://a.example/", "state": "ACTIVE"}
    ]
    # The other organization reads as absent
    body = (await browser_session.gql(LIST, {"id": b.id})).json()
    assert body["data"]["organization"] is None
    # Deleting its stream reads as not found and changes nothing
    events = await Event.all().count()
    body = (await browser_session.gql(DELETE, {"id": theirs.id})).json()
    assert body["data"]["deleteLogStream"] == {
        "logStream": None,
        "userErrors": [{"code": "NOT_FOUND"}],
    }
    assert await LogStream.filter(id=theirs.id).exists()
    assert await Event.all().count() == events
