"""Graceful shutdown: background loops started in the lifespan are cancelled cleanly (their
cleanup runs) before the database closes; `gatehouse serve` accepts its shutdown grace."""

from __future__ import annotations

import asyncio

from gatehouse.server.app import create_app
from gatehouse.server.cli import parser


async def test_lifespan_shutdown_cancels_background_loops(settings):
    app = create_app(settings, manage_db=False)
    started, cleaned = asyncio.Event(), asyncio.Event()

    async def forever() -> None:
        started.set()
        try:
            while True:
                await asyncio.sleep(3600)
        finally:
            cleaned.set()

    async def crashes() -> None:
        raise RuntimeError("boom")

    async with app.router.lifespan_context(app):
        app.state.background.start("forever", forever)
        app.state.background.start("crashes", crashes)
        await asyncio.wait_for(started.wait(), 10)
        assert "forever" in app.state.background.running
    assert cleaned.is_set()
    assert app.state.background.running == []


def test_serve_takes_log_format_and_grace():
    args = parser().parse_args(
        ["serve", "--log-format", "json", "--graceful-shutdown-seconds", "7"]
    )
    assert (args.log_format, args.graceful_shutdown_seconds) == ("json", 7.0)
