"""The operator's branding on the portal pages, checked so settings cannot inject markup."""

from __future__ import annotations

import pytest

from gatehouse.portal.branding import brand_from, contrast, relative_luminance


async def test_pages_carry_the_operators_brand(
    client, settings, make_org, make_link, browser_session
):
    settings.brand_name = "Initech"
    settings.brand_logo_url = "https://cdn.initech.example/logo.svg"
    settings.brand_color = "#0a7f3f"
    org = await make_org("Acme")
    await browser_session.open(await make_link(org.id))
    home = await client.get("/portal")
    assert '<img src="https://cdn.initech.example/logo.svg" alt="Initech"' in home.text
    assert "connect Acme to Initech" in home.text
    assert "default-src 'self'" in home.headers["content-security-policy"]
    css = await client.get("/portal/brand.css")
    assert css.text.strip() == ":root { --brand: #0a7f3f; --on-brand: #ffffff; }"


@pytest.mark.parametrize(
    ("color", "expected"),
    [
        ("#ffd43b", "#111111"),  # a light brand colour gets dark text
        ("#1c3d8f", "#ffffff"),
        ("red;} body{display:none", "#ffffff"),  # not a colour: the default, nothing injected
    ],
)
def test_text_on_the_brand_colour_keeps_contrast(settings, color, expected):
    settings.brand_color = color
    brand = brand_from(settings)
    assert brand.on_color == expected
    assert brand.color.startswith("#")
    assert ";" not in brand.color
    ratio = contrast(relative_luminance(brand.color), relative_luminance(brand.on_color))
    assert ratio >= 4.5  # WCAG 2.1 AA for normal text


def test_a_logo_url_that_is_not_http_is_dropped(settings):
    settings.brand_logo_url = "javascript:alert(1)"
    assert brand_from(settings).logo_url is None
