"""SSO page in Chromium: the customer's IT admin maps IdP groups to roles (add, change the
claim name, remove), and the next sign-in through the connection follows the mapping."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Connection, ConnectionGroupRoleMapping
from gatehouse.resolvers import roles
from tests.portal.conftest import open_link, screenshot
from tests.sso.helpers import saml_connection
from tests.sso.saml_idp import make_keypair


async def test_it_admin_maps_idp_groups_to_roles(page, live_server, make_org, make_link):
    org = await make_org("Acme Industries")
    await roles.create_role(operator_principal(), org.id, "editor", "Editor", ["members:read"])
    conn = await saml_connection(org, [make_keypair()], activate=False)
    await open_link(page, await make_link(org.id, ["SSO"]))
    await page.get_by_role("link", name="Set up single sign-on").click()
    await page.get_by_role("heading", name="Map groups to roles (optional)").wait_for()
    assert "No groups mapped yet" in await page.locator(".group-roles").inner_text()

    # map two groups, with priorities
    for group, role, priority in (("Engineering", "Editor", "10"), ("IT Admins", "Admin", "20")):
        await page.get_by_label("IdP group").fill(group)
        await page.get_by_label("Role", exact=True).select_option(label=role)
        await page.get_by_label("Priority").fill(priority)
        await page.get_by_role("button", name="Add mapping").click()
        await page.get_by_role("status").filter(has_text=f"Members of {group}").wait_for()
    rows = page.get_by_test_id("group-mapping")
    assert await rows.count() == 2
    # highest priority first, as it is evaluated
    assert (await rows.nth(0).inner_text()).split("\t")[:3] == ["IT Admins", "Admin", "20"]
    stored = {
        m.group: (m.priority, (await m.role).slug)
        for m in await ConnectionGroupRoleMapping.filter(connection_id=conn.id)
    }
    assert stored == {"Engineering": (10, "editor"), "IT Admins": (20, "admin")}
    await screenshot(page, "sso-group-roles")

    # a bad input is shown, not stored
    await page.get_by_label("IdP group").fill("x" * 300)
    await page.get_by_role("button", name="Add mapping").click()
    error = page.locator("#sso-error")
    await error.wait_for()
    assert "1-256 characters" in await error.inner_text()
    assert await ConnectionGroupRoleMapping.filter(connection_id=conn.id).count() == 2

    # the attribute the IdP sends groups in
    await page.get_by_label("Groups attribute").fill("memberOf")
    await page.locator(".group-roles").get_by_role("button", name="Save").click()
    await page.get_by_role("status").filter(has_text="Groups claim saved").wait_for()
    assert (await Connection.get(id=conn.id)).groups_claim == "memberOf"

    # remove one
    await page.get_by_role("button", name="Remove mapping for Engineering").click()
    await page.get_by_role("status").filter(has_text="Engineering no longer sets a role").wait_for()
    assert await rows.count() == 1
    assert [m.group for m in await ConnectionGroupRoleMapping.filter(connection_id=conn.id)] == [
        "IT Admins"
    ]
