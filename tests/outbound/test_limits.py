"""What a customer's server can do to the client that serves every tenant: set cookies (never
kept), answer with a huge body, or drip bytes slowly (both cut off)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from gatehouse import outbound
from gatehouse.events import record_event
from gatehouse.events.bus import LocalBus
from gatehouse.events.sequencer import sequence_pending
from gatehouse.events.worker import DeliveryWorker
from gatehouse.models import Delivery
from gatehouse.settings import Settings
from tests.events.conftest import Receiver, endpoint_to, event_settings, start_server, stop_server


async def test_cookies_a_receiver_sets_are_never_sent_anywhere(db):
    # given a receiver that sets a cookie on every answer
    receiver = Receiver(headers={"Set-Cookie": "session=tenant-a; Path=/"})
    await receiver.start()
    try:
        await endpoint_to(receiver.url, ["test.cookie"])
        worker = DeliveryWorker(event_settings(db), LocalBus())
        try:
            # when the worker's one client delivers two events to it
            for i in range(2):
                await record_event("test.cookie", None, {"i": i})
                await sequence_pending()
                assert await worker.run_once()
        finally:
            await worker.client.aclose()
    finally:
        await receiver.stop()

    # then neither request carried a cookie, and the client kept none
    assert len(receiver.received) == 2
    assert [h.get("cookie") for h, _ in receiver.received] == [None, None]
    assert len(worker.client.cookies) == 0


class Misbehaving:
    """A customer-hosted document server on 127.0.0.1."""

    @staticmethod
    async def huge(_: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            for _ in range(outbound.MAX_BYTES // 1000 + 10):
                yield b"x" * 1000

        return StreamingResponse(body(), media_type="application/xml")

    @staticmethod
    async def drip(_: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            for _ in range(200):
                yield b"x"
                await asyncio.sleep(0.05)  # each read is fast: only a total deadline stops it

        return StreamingResponse(body(), media_type="application/xml")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/huge", self.huge),
                Route("/drip", self.drip, methods=["GET", "POST"]),
            ]
        )


@pytest.fixture
async def misbehaving() -> AsyncIterator[str]:
    server = await start_server(Misbehaving().app(), Settings())
    yield server.http_url
    await stop_server(server)


async def test_a_huge_document_is_cut_off(misbehaving):
    with pytest.raises(outbound.OutboundError, match="too large"):
        await outbound.request("GET", f"{misbehaving}/huge", allow_private=True)


async def test_a_slow_drip_is_cut_off_by_the_total_deadline(misbehaving, monkeypatch):
    monkeypatch.setattr(outbound, "TOTAL_SECONDS", 0.5)
    with pytest.raises(outbound.OutboundError, match="timed out"):
        await outbound.request("GET", f"{misbehaving}/drip", allow_private=True)


@pytest.fixture
async def dripping_headers() -> AsyncIterator[str]:
    """A raw HTTP server that sends its status line one byte every 50 ms."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    server.close()


async def _deliver_once(db, url: str) -> Delivery:
    await endpoint_to(url, ["test.drip"])
    await record_event("test.drip", None, {})
    await sequence_pending()
    worker = DeliveryWorker(event_settings(db, GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS=1), LocalBus())
    try:
        assert await worker.run_once()
    finally:
        await worker.client.aclose()
    [delivery] = await Delivery.all()
    return delivery


async def test_a_receivers_body_is_never_read(db, misbehaving):
    # its 200 counts at once, although the body would take ten seconds to arrive
    delivery = await _deliver_once(db, f"{misbehaving}/drip")
    assert (delivery.succeeded, delivery.response_status) == (True, 200)


async def test_an_answer_dripped_byte_by_byte_is_cut_off_at_the_delivery_timeout(
    db, dripping_headers
):
    # each byte arrives well within any per-read timeout; the whole answer takes ~2 s
    delivery = await _deliver_once(db, dripping_headers)
    assert (delivery.succeeded, delivery.error) == (False, "timed out")
