"""Acceptance: the directory page shows the token once; a SCIM push makes the counts move.
Real uvicorn, real Chromium, SCIM requests over a real socket."""

from __future__ import annotations

import httpx

from gatehouse.models import Directory, GroupRoleMapping
from tests.portal.conftest import open_link, screenshot

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


async def test_token_once_and_counts_follow_scim_pushes(page, live_server, make_org, make_link):
    org = await make_org("Acme Industries")
    await open_link(page, await make_link(org.id, ["DSYNC"]))
    await page.get_by_role("link", name="Connect your directory").click()
    assert page.url == f"{live_server}/portal/directory"
    # Create the directory: the bearer token is revealed, with the SCIM base URL
    await page.get_by_label("Your identity provider").select_option("OKTA")
    await page.get_by_role("button", name="Create directory").click()
    token = await page.get_by_test_id("scim-token").inner_text()
    base = await page.get_by_test_id("scim-url").inner_text()
    directory = await Directory.get(organization_id=org.id)
    assert base.startswith(live_server)
    assert directory.id in base
    assert token not in str(directory.__dict__)  # stored only as a hash
    assert await page.get_by_test_id("user-count").inner_text() == "0"
    await screenshot(page, "directory-token")
    # Shown once: after a reload the token is gone for good
    await page.reload()
    await page.get_by_test_id("scim-url").wait_for()
    assert await page.get_by_test_id("scim-token").count() == 0
    assert token not in await page.content()
    # When the IdP pushes a user and a group over SCIM with that token
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    async with httpx.AsyncClient(timeout=10) as scim:
        user = await scim.post(
            f"{base}/Users",
            headers=headers,
            json={
                "schemas": [USER_SCHEMA],
                "userName": "alice@acme.com",
                "name": {"givenName": "Alice", "familyName": "A"},
                "emails": [{"value": "alice@acme.com", "primary": True}],
                "active": True,
            },
        )
        assert user.status_code == 201, user.text
        group = await scim.post(
            f"{base}/Groups",
            headers=headers,
            json={"schemas": [GROUP_SCHEMA], "displayName": "Engineering"},
        )
        assert group.status_code == 201, group.text
    # Then the open page's counts move, without a reload
    await page.get_by_test_id("user-count").filter(has_text="1").wait_for(timeout=15_000)
    await page.get_by_test_id("group-count").filter(has_text="1").wait_for(timeout=15_000)
    # and the group can be mapped to a role
    await page.get_by_label("Engineering").select_option("admin")
    await page.get_by_role("status").filter(has_text="admin").wait_for()
    mapping = await GroupRoleMapping.get(directory_id=directory.id).prefetch_related("role")
    assert mapping.role.slug == "admin"
    await screenshot(page, "directory-synced")


async def test_rotation_is_driven_from_the_page_without_downtime(
    page, live_server, make_org, make_link
):
    org = await make_org("Acme Industries")
    await open_link(page, await make_link(org.id, ["DSYNC"]))
    await page.goto(f"{live_server}/portal/directory")
    await page.get_by_label("Your identity provider").select_option("OKTA")
    await page.get_by_role("button", name="Create directory").click()
    old = await page.get_by_test_id("scim-token").inner_text()
    base = await page.get_by_test_id("scim-url").inner_text()

    async def status(token: str) -> int:
        async with httpx.AsyncClient(timeout=10) as scim:
            r = await scim.get(f"{base}/Users", headers={"Authorization": f"Bearer {token}"})
            return r.status_code

    # Rotate: a new token is shown, and both work while the IdP is updated
    await page.get_by_role("button", name="Rotate token").click()
    await page.get_by_test_id("rotation-status").wait_for()
    new = await page.get_by_test_id("scim-token").inner_text()
    assert new != old
    assert await status(old) == 200
    assert await status(new) == 200
    await screenshot(page, "directory-rotation")
    # Finish: only the new one works
    await page.get_by_role("button", name="Finish rotation").click()
    await page.get_by_role("button", name="Rotate token").wait_for()
    assert await status(old) == 401
    assert await status(new) == 200
    # Rotate again and cancel: the new one is dropped, the current one stays
    await page.get_by_role("button", name="Rotate token").click()
    await page.get_by_test_id("rotation-status").wait_for()
    dropped = await page.get_by_test_id("scim-token").inner_text()
    await page.get_by_role("button", name="Cancel rotation").click()
    await page.get_by_role("button", name="Rotate token").wait_for()
    assert await status(dropped) == 401
    assert await status(new) == 200
