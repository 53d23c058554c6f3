"""Acceptance: open a fresh link → domain page → add domain → record shown → publish it in the
test DNS server → verify → VERIFIED shown. Real uvicorn, real Chromium, real DNS server."""

from __future__ import annotations

from gatehouse.models import Domain, DomainEnrollment, DomainState
from gatehouse.resolvers.domains.claims import now
from gatehouse.resolvers.domains.dns import DnsConfig
from gatehouse.resolvers.domains.verification import recheck_due_domains
from tests.portal.conftest import open_link, screenshot


async def test_verify_a_domain_from_a_fresh_link(page, live_server, make_org, make_link, dns):
    # Given a fresh setup link for domain verification
    org = await make_org("Acme Industries")
    link = await make_link(org.id, ["DOMAIN_VERIFICATION"])
    await open_link(page, link)
    # When the admin goes to the domain page (by keyboard-reachable link) and adds a domain
    await page.get_by_role("link", name="Verify your domains").click()
    assert page.url == f"{live_server}/portal/domains"
    await page.get_by_text("No domains yet").wait_for()
    await page.get_by_label("Domain", exact=True).fill("Acme-Portal.example")
    await page.get_by_role("button", name="Add domain").click()
    # Then the exact TXT record is shown
    card = page.locator('[data-domain="acme-portal.example"]')
    await card.get_by_test_id("record-value").wait_for()
    domain = await Domain.get(organization_id=org.id)
    name = f"_gatehouse-challenge.{domain.domain}"
    value = f"gatehouse-verification={domain.token}"
    assert await card.get_by_test_id("record-type").inner_text() == "TXT"
    assert await card.get_by_test_id("record-name").inner_text() == name
    assert await card.get_by_test_id("record-value").inner_text() == value
    assert "Waiting for the DNS record" in await card.get_by_test_id("domain-state").inner_text()
    # and the copy button puts the exact value on the clipboard
    await card.get_by_role("button", name="Copy value").click()
    assert await page.evaluate("navigator.clipboard.readText()") == value
    await screenshot(page, "domains-pending")

    # When the admin verifies before publishing, the reason is in plain words
    await card.get_by_role("button", name="Verify now").click()
    await card.get_by_text("found no TXT record there yet").wait_for()
    await screenshot(page, "domains-not-found")

    # When the record is published and the admin verifies
    dns.publish(name, value)
    await card.get_by_role("button", name="Verify now").click()
    # Then VERIFIED is shown, and stored
    await card.get_by_test_id("domain-state").filter(has_text="Verified").wait_for()
    assert (await Domain.get(id=domain.id)).state is DomainState.VERIFIED
    await screenshot(page, "domains-verified")
    # The same page on a phone: nothing overflows sideways.
    await page.set_viewport_size({"width": 390, "height": 844})
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await screenshot(page, "domains-verified-mobile")
    await page.set_viewport_size({"width": 1100, "height": 900})

    # And the home checklist shows the step as done
    await page.get_by_role("link", name="Setup").click()
    assert "1 of 1 steps done" in await page.locator(".progress-text").inner_text()
    await screenshot(page, "home-done")


async def test_the_page_follows_background_checks_by_polling(
    page, live_server, make_org, make_link, dns, settings
):
    # Given a pending domain on the open page
    org = await make_org()
    await open_link(page, await make_link(org.id, ["DOMAIN_VERIFICATION"]))
    await page.goto(f"{live_server}/portal/domains")
    await page.get_by_text("No domains yet").wait_for()
    await page.get_by_label("Domain", exact=True).fill("polled.example")
    await page.get_by_role("button", name="Add domain").click()
    card = page.locator('[data-domain="polled.example"]')
    await card.get_by_test_id("record-value").wait_for()
    domain = await Domain.get(organization_id=org.id)
    # When the record appears and the background re-check (not the admin) verifies it
    dns.publish(f"_gatehouse-challenge.{domain.domain}", f"gatehouse-verification={domain.token}")
    await Domain.filter(id=domain.id).update(next_check_at=now())
    assert await recheck_due_domains(now(), DnsConfig.from_settings(settings)) == 1
    # Then the page shows VERIFIED without a click or reload
    await card.get_by_test_id("domain-state").filter(has_text="Verified").wait_for(timeout=15_000)


async def test_refused_domains_show_the_reason_next_to_the_field(
    page, live_server, make_org, make_link
):
    org = await make_org()
    await open_link(page, await make_link(org.id, ["DOMAIN_VERIFICATION"]))
    await page.goto(f"{live_server}/portal/domains")
    await page.get_by_text("No domains yet").wait_for()
    field = page.get_by_label("Domain", exact=True)
    # Keyboard only: focus the field, type, Enter submits the form.
    await field.focus()
    await page.keyboard.type("gmail.com")
    await page.keyboard.press("Enter")
    error = page.get_by_role("alert")
    await error.filter(has_text="gmail.com").or_(error.filter(has_text="email")).first.wait_for()
    assert await field.get_attribute("aria-invalid") == "true"
    assert not await Domain.exists()
    await screenshot(page, "domains-refused")


async def test_a_verified_domain_shows_and_sets_who_can_join(
    page, live_server, make_org, make_link
):
    # Given a verified domain (enrollment NONE by default) on the open domain page
    org = await make_org("Acme Industries")
    domain = await Domain.create(
        organization=org,
        domain="acme-join.example",
        verified_domain="acme-join.example",
        state=DomainState.VERIFIED,
        token="t",
    )
    await open_link(page, await make_link(org.id, ["DOMAIN_VERIFICATION"]))
    await page.goto(f"{live_server}/portal/domains")
    card = page.locator('[data-domain="acme-join.example"]')
    group = card.get_by_role("group", name="Who can join with an @acme-join.example email?")
    await group.wait_for()
    # Then the current mode is the checked choice
    assert await group.get_by_label("Only people we invite").is_checked()

    # When the admin moves through the choices by keyboard to "ask to join"
    await group.get_by_label("Only people we invite").focus()
    await page.keyboard.press("ArrowDown")
    await page.get_by_role("status").filter(has_text="joins automatically").wait_for()
    await page.keyboard.press("ArrowDown")
    # Then each choice is stored and announced, and the last is still checked after a reload
    await page.get_by_role("status").filter(has_text="can ask to join").wait_for()
    assert (await Domain.get(id=domain.id)).enrollment is DomainEnrollment.REQUEST
    await page.reload()
    group = page.locator('[data-domain="acme-join.example"]').get_by_role("group")
    assert await group.get_by_label("Anyone with this email can ask to join").is_checked()
    await screenshot(page, "domains-enrollment")

    # And choosing automatic joining by click stores that
    await group.get_by_label("Anyone with this email joins automatically").check()
    await page.get_by_role("status").filter(has_text="joins automatically").wait_for()
    assert (await Domain.get(id=domain.id)).enrollment is DomainEnrollment.AUTOMATIC


async def test_a_pending_domain_offers_no_enrollment_choice(page, live_server, make_org, make_link):
    org = await make_org()
    await Domain.create(organization=org, domain="pending.example", token="t")
    await open_link(page, await make_link(org.id, ["DOMAIN_VERIFICATION"]))
    await page.goto(f"{live_server}/portal/domains")
    card = page.locator('[data-domain="pending.example"]')
    await card.get_by_test_id("record-value").wait_for()
    assert await card.get_by_test_id("domain-enrollment").count() == 0
