"""One event fanned out to N websocket subscribers of one Gatehouse process.

The server is `gatehouse serve`, as an operator runs it (SQLite, in-process bus); this script
opens N graphql-transport-ws connections, each subscribed to `events`, then sends mutations and
measures, per delivered message, the time from the event's commit (`occurredAt`) to its
arrival. Usage: python bench/bench_events.py [N] (default 1000).

In the same run, a plain `websockets` server (another process, like Gatehouse's) broadcasts a
frame of the same shape and size to the same number of clients, so each subscriber's marginal
cost (time to the last of N subscribers, divided by N) compares with a raw broadcast.
BENCH_PROFILE=out.txt (or .html) runs the Gatehouse server under pyinstrument.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import websockets
from operator_server import serve, stop, wait_ready
from websockets.asyncio.server import broadcast
from websockets.asyncio.server import serve as serve_websockets

SUBSCRIPTION = 'subscription { events(types: ["organization.created"]) { id occurredAt } }'
MUTATION = """mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) {
  organization { id } } }"""
LATENCY_EVENTS = 20
BURST_EVENTS = 20


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def start_server(db: str, log: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    # One operator key opens every subscription: without the rate limit (each subscribe takes
    # a token from the key's bucket) and the per-socket cap is not in play (one per socket).
    env = dict(
        os.environ,
        DATABASE_URL=db,
        GATEHOUSE_RUN_WORKER="false",
        GATEHOUSE_RATE_LIMIT_ENABLED="false",
    )
    out = subprocess.run(
        [sys.executable, "-m", "gatehouse.server.cli", "api-keys", "create", "--name", "bench"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = out.stdout.strip().splitlines()[-1]
    proc, url = serve(env, log, profiler())
    return proc, url.removeprefix("http://"), token


def profiler() -> list[str] | None:
    out = os.environ.get("BENCH_PROFILE")
    if not out:
        return None
    renderer = "html" if out.endswith(".html") else "text"
    return [sys.executable, "-m", "pyinstrument", "-r", renderer, "-o", out]


class Subscriber:
    """One graphql-transport-ws client; it only stamps and keeps each frame (parsed after the
    run), so the client side costs as little as it can per message."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, str]] = []
        self.ready = asyncio.Event()
        self.ws: Any = None

    @property
    def count(self) -> int:
        return len(self.frames)

    async def run(self, url: str, token: str) -> None:
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], max_queue=None
        ) as ws:
            self.ws = ws
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            await ws.send(json.dumps(init))
            await ws.recv()
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
            )
            self.ready.set()
            frames = self.frames
            with contextlib.suppress(websockets.ConnectionClosed):
                async for raw in ws:
                    now = time.time()
                    if '"type":"next"' in raw:
                        frames.append((now, str(raw)))

    def latencies(self) -> list[tuple[str, float]]:
        """(occurredAt, seconds from it to arrival) per frame."""
        out = []
        for now, raw in self.frames:
            occurred = json.loads(raw)["payload"]["data"]["events"]["occurredAt"]
            out.append((occurred, now - datetime.fromisoformat(occurred).timestamp()))
        return out


async def connect_all(url: str, token: str, n: int) -> tuple[list[Subscriber], list[Any]]:
    subs = [Subscriber() for _ in range(n)]
    tasks = []
    for i in range(0, n, 50):  # connect in waves so the accept queue keeps up
        batch = subs[i : i + 50]
        tasks += [asyncio.create_task(s.run(url, token)) for s in batch]
        await asyncio.gather(*(s.ready.wait() for s in batch))
    return subs, tasks


async def all_have(subs: list[Subscriber], count: int, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while min(s.count for s in subs) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {min(s.count for s in subs)} of {count} arrived")
        await asyncio.sleep(0.002)


def start_raw_server() -> tuple[subprocess.Popen[bytes], str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, __file__, "--raw-server", str(sock.fileno())], pass_fds=[sock.fileno()]
    )
    sock.close()
    return proc, f"127.0.0.1:{port}"


async def raw_server(fd: int) -> None:
    """A plain `websockets` server: answers connection_init, and on each template from
    /control broadcasts it, stamped with the time now, to every subscriber."""
    clients: set[Any] = set()

    async def handler(ws: Any) -> None:
        if ws.request.path == "/control":
            async for template in ws:
                stamp = datetime.now(UTC).isoformat()
                broadcast(clients, template.replace("OCCURRED_AT", stamp))
            return
        await ws.recv()
        await ws.send('{"type":"connection_ack"}')
        await ws.recv()
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    sock = socket.socket(fileno=fd)
    async with serve_websockets(handler, sock=sock) as server:
        await server.serve_forever()


async def main(n: int) -> None:
    raise_fd_limit(8 * n + 256)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log"
        proc, base, token = start_server(f"sqlite://{Path(tmp) / 'bench.db'}", log)
        raw_proc, raw_base = start_raw_server()
        try:
            await wait_ready(proc, f"http://{base}", log)
            await bench(base, raw_base, token, n)
        finally:
            # SIGINT: uvicorn re-raises the signal it stopped on, and only SIGINT lets
            # pyinstrument (BENCH_PROFILE) write its report on the way out.
            stop(proc, signal.SIGINT)
            stop(raw_proc)


def spread(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000
    return f"p50 {p50:.1f} ms   p99 {p99:.1f} ms   max {ordered[-1] * 1000:.1f} ms"


def per_subscriber(subs: list[Subscriber], n: int) -> float:
    """Median over events of (time to the last subscriber) / N, in microseconds."""
    last: dict[str, float] = {}
    for s in subs:
        for occurred, latency in s.latencies():
            last[occurred] = max(last.get(occurred, 0.0), latency)
    return statistics.median(last.values()) / n * 1e6


async def bench(base: str, raw_base: str, token: str, n: int) -> None:
    started = time.monotonic()
    subs, tasks = await connect_all(f"ws://{base}/graphql", token, n)
    raws, raw_tasks = await connect_all(f"ws://{raw_base}/", token, n)
    print(
        f"subscribers connected: {n} to Gatehouse, {n} to websockets, in "
        f"{time.monotonic() - started:.1f} s"
    )
    await asyncio.sleep(0.5)  # let the last subscribe messages reach the servers
    # Arrival is stamped here, in the client. A full collection of its 2,000 connections
    # paused it up to 65 ms, and every frame arriving meanwhile was stamped late, whichever
    # server sent it. What the measured part allocates (the frames) fits in memory.
    gc.collect()
    gc.disable()
    async with (
        httpx.AsyncClient(
            base_url=f"http://{base}", timeout=60, headers={"authorization": f"Bearer {token}"}
        ) as client,
        websockets.connect(f"ws://{raw_base}/control") as control,
    ):

        async def mutate(name: str) -> None:
            r = await client.post(
                "/graphql", json={"query": MUTATION, "variables": {"i": {"name": name}}}
            )
            r.raise_for_status()

        # latency: one event at a time, each fanned out to every subscriber; in turn with a
        # raw broadcast of a frame of the same bytes but the stamp
        for i in range(LATENCY_EVENTS):
            await mutate(f"Latency {i}")
            await all_have(subs, i + 1)
            frame = json.loads(subs[0].frames[-1][1])
            frame["payload"]["data"]["events"]["occurredAt"] = "OCCURRED_AT"
            await control.send(json.dumps(frame, separators=(",", ":")))
            await all_have(raws, i + 1)
        latencies = [x for s in subs for _, x in s.latencies()]
        raw_latencies = [x for s in raws for _, x in s.latencies()]
        gatehouse_cost, raw_cost = per_subscriber(subs, n), per_subscriber(raws, n)
        # throughput: a burst of events, sent back to back
        t0 = time.monotonic()
        await asyncio.gather(*(mutate(f"Burst {i}") for i in range(BURST_EVENTS)))
        await all_have(subs, LATENCY_EVENTS + BURST_EVENTS)
        elapsed = time.monotonic() - t0
    gc.enable()
    for s in [*subs, *raws]:
        await s.ws.close()
    await asyncio.gather(*tasks, *raw_tasks, return_exceptions=True)

    print(f"fan-out latency (commit -> subscriber), {LATENCY_EVENTS} events x {n} subscribers:")
    print(f"  {spread(latencies)}")
    print(f"raw websockets broadcast of the same frame to {n} clients:")
    print(f"  {spread(raw_latencies)}")
    print(
        f"marginal cost per subscriber: Gatehouse {gatehouse_cost:.1f} us, websockets "
        f"broadcast {raw_cost:.1f} us, ratio {gatehouse_cost / raw_cost:.2f}x (target <= 5x)"
    )
    print(
        f"burst of {BURST_EVENTS} events: {BURST_EVENTS / elapsed:.1f} events/s sustained, "
        f"{BURST_EVENTS * n / elapsed:,.0f} deliveries/s"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--raw-server"]:
        asyncio.run(raw_server(int(sys.argv[2])))
    else:
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
