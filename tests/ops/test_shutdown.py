"""Graceful shutdown: every periodic job runs as a background loop that is asked to stop and
finishes its unit of work before the database closes; `gatehouse serve` accepts its grace."""

from __future__ import annotations

import asyncio

from gatehouse.ops.background import BackgroundLoops
from gatehouse.server.app import create_app
from gatehouse.server.cli import parser


async def test_lifespan_runs_every_periodic_job_as_a_background_loop(settings):
    settings = settings.model_copy(
        update={"invitation_retry_interval_seconds": 60, "domain_rechecks_enabled": True}
    )
    app = create_app(settings, manage_db=False)
    async with app.router.lifespan_context(app):
        assert app.state.background.running == [
            "domain-rechecks",
            "event-delivery",
            "event-hub",
            "event-retention",
            "event-sequencer",
            "invitation-retry",
            "sso-upkeep",
        ]
    assert app.state.background.running == []


async def test_an_app_can_run_its_lifespan_again(settings):
    # tests and embedders start and stop the same app object more than once
    app = create_app(settings, manage_db=False)
    for _ in range(2):
        async with app.router.lifespan_context(app):
            assert "event-sequencer" in app.state.background.running
            assert not app.state.events.hub.closing
            await asyncio.sleep(0.05)  # the loops did not exit at once
            assert "event-hub" in app.state.background.running
        await app.state.close_subscriptions()  # as on SIGTERM
    assert app.state.background.running == []


async def test_stop_lets_a_loop_finish_its_unit_of_work_and_cancels_only_stragglers(caplog):
    loops = BackgroundLoops(grace_seconds=0.5)
    in_work, finished, straggler_cleaned = asyncio.Event(), [], asyncio.Event()
    release = asyncio.Event()

    async def cooperative(stop: asyncio.Event) -> None:
        while not stop.is_set():
            in_work.set()
            await release.wait()  # a delivery in flight when the stop arrives
            finished.append("unit")

    async def ignores_stop(stop: asyncio.Event) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            straggler_cleaned.set()

    async def crashes(stop: asyncio.Event) -> None:
        raise RuntimeError("boom")

    loops.start("cooperative", cooperative, wake=release.set)
    loops.start("ignores-stop", ignores_stop)
    loops.start("crashes", crashes)
    await asyncio.wait_for(in_work.wait(), 5)
    await loops.stop()

    assert finished == ["unit"]  # finished, not cut off, and no second unit started
    assert straggler_cleaned.is_set()
    assert "background loop crashes crashed" in caplog.text
    assert "ignores-stop did not stop in time" in caplog.text
    assert loops.running == []


def test_serve_takes_log_format_and_grace():
    args = parser().parse_args(
        ["serve", "--log-format", "json", "--graceful-shutdown-seconds", "7"]
    )
    assert (args.log_format, args.graceful_shutdown_seconds) == ("json", 7.0)
