"""Acceptance: the AUDIT_LOGS portal page lists the organization's audit trail with who acted,
filters it, and exports it through signed links that need no credential; what the portal does
is the portal session's act. Real uvicorn, real Chromium."""

from __future__ import annotations

import json

import httpx

from gatehouse.models import Event, PortalSession
from tests.portal.conftest import open_link, screenshot

CREATE = """mutation($o: ID!, $e: String!) { createMember(input: {organizationId: $o,
  email: $e}) { member { id } userErrors { code } } }"""
ROLE = """mutation($m: ID!) { updateMemberRole(input: {memberId: $m, roleSlug: "admin"})
  { userErrors { code } } }"""


async def test_browse_filter_and_export_the_audit_trail(
    page, live_server, gql, operator_token, make_org, make_link
):
    org = await make_org("Acme Industries")
    other = await make_org("Globex")
    ids = []
    for email in ("ada@acme.example", "bob@acme.example"):
        body = await gql(CREATE, {"o": org.id, "e": email}, token=operator_token)
        ids.append(body["data"]["createMember"]["member"]["id"])
    await gql(ROLE, {"m": ids[0]}, token=operator_token)
    await gql(CREATE, {"o": other.id, "e": "eve@globex.example"}, token=operator_token)

    await open_link(page, await make_link(org.id, ["AUDIT_LOGS"]))
    await page.get_by_role("link", name="Review the audit trail").click()
    assert page.url == f"{live_server}/portal/audit-logs"
    await page.get_by_test_id("audit-table").wait_for()
    actions = await page.get_by_test_id("entry-action").all_inner_texts()
    assert actions.count("organization_membership.created") == 2
    assert "organization_membership.updated" in actions
    actors = await page.get_by_test_id("entry-actor").all_inner_texts()
    by_operator = [
        actor
        for action, actor in zip(actions, actors, strict=True)
        if action.startswith("organization_membership.")
    ]
    assert len(by_operator) == 3
    assert all(a.startswith("OPERATOR_KEY key_") for a in by_operator), by_operator
    # Filter by action
    await page.get_by_label("Actions (comma-separated)").fill("organization_membership.updated")
    await page.get_by_role("button", name="Apply filters").click()
    await page.get_by_test_id("entry-count").filter(has_text="1 entries").wait_for()
    assert await page.get_by_test_id("entry-action").all_inner_texts() == [
        "organization_membership.updated"
    ]
    await screenshot(page, "audit-logs-filtered")
    # Export what the filter shows
    await page.get_by_role("button", name="Export").click()
    link = page.get_by_test_id("export-jsonl")
    await link.wait_for()
    url = await link.get_attribute("href")
    async with httpx.AsyncClient() as plain:  # no cookie, no key: the URL is the credential
        r = await plain.get(url)
    assert r.status_code == 200
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [x["action"] for x in rows] == ["organization_membership.updated"]
    assert {x["organization_id"] for x in rows} == {org.id}
    # The export was the portal session's act
    session = await PortalSession.get(organization_id=org.id)
    ready = await Event.get(type="audit_log_export.ready", organization_id=org.id)
    assert ready.actor == {"kind": "PORTAL_SESSION", "id": session.id}
    assert ready.context["user_agent"]
