"""Real servers for the client tests: the API under uvicorn, a page on another origin, and
the browser (Debian's Chromium through playwright, as in the portal tests)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from gatehouse.server.app import create_app
from gatehouse.settings import Settings
from tests.portal.conftest import browser

__all__ = ["browser"]


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def serve(app: Any, sock: socket.socket, *, lifespan: str = "off") -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, lifespan=lifespan, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    server.task = task  # type: ignore[attr-defined]
    deadline = asyncio.get_running_loop().time() + 20
    while not server.started:
        if task.done() or asyncio.get_running_loop().time() > deadline:
            raise RuntimeError("uvicorn did not start")
        await asyncio.sleep(0.02)
    return server


async def shut(server: uvicorn.Server) -> None:
    server.should_exit = True
    await server.task  # type: ignore[attr-defined]


@dataclass
class OtherOrigin:
    """A plain web server on another port: another origin, as a dashboard would be."""

    origin: str
    html: str = "<!doctype html><title>dashboard</title>"
    pages: dict[str, str] = field(default_factory=dict)


@pytest.fixture
async def other_origin() -> AsyncIterator[OtherOrigin]:
    sock = bound_socket()
    site = OtherOrigin(origin=f"http://127.0.0.1:{sock.getsockname()[1]}")

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(site.html)

    server = await serve(Starlette(routes=[Route("/", page)]), sock)
    try:
        yield site
    finally:
        await shut(server)
        sock.close()


@pytest.fixture
async def api_server(db: str) -> AsyncIterator[Callable[..., Any]]:
    """Start the API (lifespan on: hub, sequencer, worker) with extra settings; each one
    started is stopped after the test."""
    started: list[tuple[uvicorn.Server, socket.socket]] = []

    async def start(**extra: Any) -> str:
        sock = bound_socket()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = Settings(
            DATABASE_URL=db,
            GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
            GATEHOUSE_BASE_URL=url,
            GATEHOUSE_EVENT_POLL_SECONDS=0.2,
            **extra,
        )
        server = await serve(create_app(settings, manage_db=False), sock, lifespan="on")
        started.append((server, sock))
        return url

    yield start
    for server, sock in started:
        await shut(server)
        sock.close()
