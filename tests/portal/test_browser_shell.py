"""The portal in a real Chromium against a real uvicorn: home, checklist, expiry pages."""

from __future__ import annotations

from datetime import timedelta

from gatehouse.models import PortalSession
from gatehouse.resolvers.portal import links as portal
from tests.portal.conftest import open_link, screenshot


async def test_home_shows_the_organization_checklist_and_return_button(
    page, live_server, make_org, make_link
):
    org = await make_org("Acme Industries")
    link = await make_link(
        org.id, ["DOMAIN_VERIFICATION", "SSO"], returnUrl="https://app.example/settings"
    )
    # Opening the link only shows what it opens; Continue starts the session.
    await page.goto(link)
    assert await page.get_by_test_id("start-organization").inner_text() == "Acme Industries"
    intents = await page.get_by_test_id("start-intents").locator("li").all_inner_texts()
    assert intents == ["Verify your domains", "Set up single sign-on"]
    assert not await PortalSession.exists()
    await screenshot(page, "start")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Continue").click()
    assert page.url == f"{live_server}/portal"
    assert (
        await page.get_by_test_id("organization-name").inner_text() == "Setup for Acme Industries"
    )
    items = page.locator(".check-item")
    assert await items.count() == 2
    assert "0 of 2 steps done" in await page.locator(".progress-text").inner_text()
    back = page.get_by_test_id("return-button")
    assert await back.get_attribute("href") == "https://app.example/settings"
    await screenshot(page, "home")
    # Keyboard: the first tab stop is the skip link, and it is visible when focused.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip-link"


async def test_a_used_link_and_an_expired_session_land_on_the_expired_page(
    page, live_server, make_org, make_link
):
    org = await make_org()
    link = await make_link(org.id)
    await open_link(page, link)
    assert page.url == f"{live_server}/portal"
    # A session past its hour: the next page load redirects to the expired page.
    session = await PortalSession.get(organization_id=org.id)
    session.expires_at = portal.now() - timedelta(seconds=1)
    await session.save()
    await page.goto(f"{live_server}/portal/domains")
    assert page.url == f"{live_server}/portal/expired?reason=session"
    assert "Your setup session has ended." in await page.locator("h1").inner_text()
    await screenshot(page, "session-expired")
    # The same link a second time leads to the expired page, and starts no session.
    await page.goto(link)
    assert page.url == f"{live_server}/portal/expired?reason=used"
    assert "ask your Gatehouse contact" in await page.locator("main").inner_text()
    assert await PortalSession.filter(organization_id=org.id).count() == 1
    await screenshot(page, "link-used")
