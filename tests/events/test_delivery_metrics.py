"""Each failed delivery attempt counts once in gatehouse_webhook_failures_total, under a
bounded reason; a successful one counts nothing. Real receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from prometheus_client import REGISTRY

from gatehouse.events.bus import LocalBus
from gatehouse.events.sequencer import sequence_pending
from gatehouse.events.worker import DeliveryWorker
from tests.events.conftest import endpoint_to, event_settings

REASONS = (
    "timeout",
    "connect_error",
    "status_4xx",
    "status_5xx",
    "status_410",
    "blocked_address",
    "other",
)


def _failures() -> dict[str, float]:
    return {
        reason: REGISTRY.get_sample_value("gatehouse_webhook_failures_total", {"reason": reason})
        or 0.0
        for reason in REASONS
    }


async def _one_attempt(db: str, url: str, **settings: Any) -> dict[str, float]:
    """Deliver the endpoint's creation event once; the failure counters that rose, by how much."""
    await endpoint_to(url)
    await sequence_pending()
    before = _failures()
    worker = DeliveryWorker(event_settings(db, **settings), LocalBus())
    try:
        assert await worker.run_once()
    finally:
        await worker.client.aclose()
    after = _failures()
    return {
        reason: after[reason] - before[reason]
        for reason in REASONS
        if after[reason] != before[reason]
    }


@pytest.mark.parametrize(
    ("status", "reason"),
    [(503, "status_5xx"), (404, "status_4xx"), (410, "status_410"), (307, "other")],
)
async def test_failed_status_counts_its_reason(db, receiver, status, reason):
    receiver.status = status
    assert await _one_attempt(db, receiver.url) == {reason: 1}
    assert receiver.hits == 1


async def test_success_counts_no_failure(db, receiver):
    assert await _one_attempt(db, receiver.url) == {}
    assert len(receiver.received) == 1


async def test_refused_connection_counts_connect_error(db):
    # A bound socket that never listens: the connection is refused.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        assert await _one_attempt(db, f"http://127.0.0.1:{port}/hook") == {"connect_error": 1}


async def test_receiver_that_never_answers_counts_timeout(db):
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        deltas = await _one_attempt(
            db, f"http://127.0.0.1:{port}/hook", GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS=0.2
        )
    finally:
        server.close()
        await server.wait_closed()
    assert deltas == {"timeout": 1}


async def test_private_address_refused_at_send_time_counts_blocked_address(db):
    # Registered while private targets were allowed; the worker no longer allows them.
    deltas = await _one_attempt(
        db, "https://127.0.0.1:1/hook", GATEHOUSE_ALLOW_PRIVATE_WEBHOOKS=False
    )
    assert deltas == {"blocked_address": 1}
