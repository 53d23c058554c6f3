"""Portal fixtures: setup links minted through the real GraphQL API, opened over httpx."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gatehouse.auth.portal import COOKIE_NAME, CSRF_HEADER, csrf_token_for, origin_of
from gatehouse.settings import Settings

GENERATE = """
mutation($input: GeneratePortalLinkInput!) {
  generatePortalLink(input: $input) { link expiresAt userErrors { field code message } }
}"""


@pytest.fixture
def make_link(gql, operator_token) -> Callable[..., Awaitable[str]]:
    async def make(org_id: str, intents: list[str] | None = None, **extra: Any) -> str:
        body = await gql(
            GENERATE,
            {
                "input": {
                    "organizationId": org_id,
                    "intents": intents or ["DOMAIN_VERIFICATION"],
                    **extra,
                }
            },
            token=operator_token,
        )
        payload = body["data"]["generatePortalLink"]
        assert payload["userErrors"] == [], payload
        return payload["link"]

    return make


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query, keep_blank_values=True)["token"][0]


class PortalBrowser:
    """What a browser holding a portal cookie sends: the cookie, and (from our pages) the
    CSRF header and our Origin."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    @property
    def cookie(self) -> str:
        return self.client.cookies[COOKIE_NAME]

    async def open(self, link: str) -> httpx.Response:
        """What the admin does: load the link's page, then press Continue (a same-origin POST)."""
        shown = await self.client.get(path_of(link))
        if shown.status_code != 200:
            return shown
        return await self.continue_(link)

    async def continue_(
        self, link: str, origin: str | None = "auto", **headers: str
    ) -> httpx.Response:
        if origin is not None:
            headers["Origin"] = origin_of(self.settings.base_url) if origin == "auto" else origin
        return await self.client.post(
            "/portal/start", data={"token": token_of(link)}, headers=headers
        )

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        csrf: str | None = "auto",
        origin: str | None = "auto",
    ) -> httpx.Response:
        headers = {}
        if csrf is not None:
            headers[CSRF_HEADER] = (
                csrf_token_for(self.settings.secret_key, self.cookie) if csrf == "auto" else csrf
            )
        if origin is not None:
            headers["Origin"] = origin_of(self.settings.base_url) if origin == "auto" else origin
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )


@pytest.fixture
def browser_session(client, settings) -> PortalBrowser:
    return PortalBrowser(client, settings)


# --- A real server and a real browser -------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[str]:
    """The real app under uvicorn on 127.0.0.1, an ephemeral port, in the test's event loop
    (so it shares the test database connection). Its base URL becomes the settings' base URL,
    so links and the Origin check name the address the browser really uses."""
    import uvicorn

    from gatehouse.server.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings.base_url = f"http://127.0.0.1:{port}"
    app = create_app(settings, manage_db=False)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = asyncio.get_running_loop().time() + 20
    while not server.started:
        if task.done() or asyncio.get_running_loop().time() > deadline:
            raise RuntimeError("uvicorn did not start")
        await asyncio.sleep(0.02)
    try:
        yield settings.base_url
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Any, live_server: str) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    tab = await context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        await context.close()


async def open_link(tab: Any, link: str) -> None:
    """The admin opens the emailed link and presses Continue on the page it shows."""
    await tab.goto(link)
    async with tab.expect_navigation():
        await tab.get_by_role("button", name="Continue").click()


async def screenshot(tab: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"portal-{name}.png"
    await tab.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def settings(db: str, dns_server: Any) -> Settings:
    """The portal's pages drive the real domain verification against the test DNS server."""
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_DNS_NAMESERVERS=f"127.0.0.1:{dns_server.port}",
        GATEHOUSE_DNS_TIMEOUT_SECONDS=1.0,
        GATEHOUSE_DOMAIN_RECHECKS=False,
    )
