"""Acceptance: the portal creates directories in PREVIEW, shows the held diff (which follows a
mapping edit at once) and the recent SCIM requests, and its Apply button makes exactly that
state. Real uvicorn, real Chromium, SCIM requests over a real socket."""

from __future__ import annotations

import httpx

from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    Directory,
    DirectoryMode,
    Domain,
    DomainState,
    Member,
    MemberStatus,
    Role,
)
from gatehouse.resolvers import roles
from tests.portal.conftest import open_link, screenshot

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


async def test_preview_diff_apply_and_request_log(page, live_server, make_org, make_link):
    # given Acme, which verified acme.com and has an engineer role
    org = await make_org("Acme Industries")
    await Domain.create(
        organization=org,
        domain="acme.com",
        verified_domain="acme.com",
        state=DomainState.VERIFIED,
        token="t",
    )
    await roles.create_role(operator_principal(), org.id, "engineer", "Engineer", [])
    await open_link(page, await make_link(org.id, ["DSYNC"]))
    await page.get_by_role("link", name="Connect your directory").click()
    # when the admin creates the directory: it is in PREVIEW
    await page.get_by_label("Your identity provider").select_option("ENTRA")
    await page.get_by_role("button", name="Create directory").click()
    token = await page.get_by_test_id("scim-token").inner_text()
    base = await page.get_by_test_id("scim-url").inner_text()
    directory = await Directory.get(organization_id=org.id)
    assert directory.mode is DirectoryMode.PREVIEW
    # and the IdP pushes two users and a group with one of them
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    async with httpx.AsyncClient(timeout=10) as scim:
        ids = []
        for name in ("alice", "bob"):
            response = await scim.post(
                f"{base}/Users",
                headers=headers,
                json={
                    "schemas": [USER_SCHEMA],
                    "userName": f"{name}@acme.com",
                    "active": True,
                    "emails": [{"value": f"{name}@acme.com", "primary": True}],
                },
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        response = await scim.post(
            f"{base}/Groups",
            headers=headers,
            json={
                "schemas": [GROUP_SCHEMA],
                "displayName": "Engineering",
                "members": [{"value": ids[0]}],
            },
        )
        assert response.status_code == 201, response.text
        clash = await scim.post(
            f"{base}/Users",
            headers=headers,
            json={"schemas": [USER_SCHEMA], "userName": "alice@acme.com"},
        )
        assert clash.status_code == 409
    # then the page shows two joiners with the default role, and nobody is a member yet
    await page.get_by_test_id("joiners").filter(has_text="2").wait_for(timeout=15_000)
    diff = page.get_by_test_id("pending-changes")
    await (
        diff.get_by_role("row")
        .filter(has_text="alice@acme.com")
        .filter(has_text="Member")
        .wait_for()
    )
    assert await Member.filter(organization_id=org.id).count() == 0
    # and the recent requests, with the failed one's SCIM error, masked
    log = page.get_by_test_id("request-log")
    await log.get_by_role("row").filter(has_text="409").filter(has_text="uniqueness").wait_for()
    assert "alice@acme.com" not in await log.inner_text()
    assert token not in await log.inner_text()
    # when Engineering is mapped to engineer, the diff follows at once
    await page.get_by_label("Engineering").select_option("engineer")
    await (
        diff.get_by_role("row")
        .filter(has_text="alice@acme.com")
        .filter(has_text="Engineer")
        .filter(has_text="from Engineering")
        .wait_for(timeout=15_000)
    )
    await screenshot(page, "directory-preview")
    # when the admin applies
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Apply changes").click()
    await page.get_by_role("status").filter(has_text="2 joined").wait_for(timeout=15_000)
    await page.get_by_test_id("live").wait_for()
    # then the members are exactly what the diff showed
    state = {}
    for member in await Member.filter(organization_id=org.id).prefetch_related("user"):
        state[member.user.email] = ((await Role.get(id=member.role_id)).slug, member.status)
    assert state == {
        "alice@acme.com": ("engineer", MemberStatus.ACTIVE),
        "bob@acme.com": ("member", MemberStatus.ACTIVE),
    }
    assert (await Directory.get(id=directory.id)).mode is DirectoryMode.LIVE
    await screenshot(page, "directory-applied")
