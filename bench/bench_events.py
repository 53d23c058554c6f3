"""One event fanned out to N websocket subscribers of one Gatehouse process.

The server is a real `uvicorn` process (SQLite, in-process bus); this script opens N
graphql-transport-ws connections, each subscribed to `events`, then sends mutations and
measures, per delivered message, the time from the event's commit (`occurredAt`) to its
arrival. Usage: python bench/bench_events.py [N] (default 1000).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import websockets

SUBSCRIPTION = 'subscription { events(types: ["organization.created"]) { id occurredAt } }'
MUTATION = """mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) {
  organization { id } } }"""
LATENCY_EVENTS = 20
BURST_EVENTS = 20


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def start_server(db: str) -> tuple[subprocess.Popen[bytes], str, str]:
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
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "gatehouse.server.app:create_app",
            "--fd",
            str(sock.fileno()),
            "--log-level",
            "warning",
            "--ws-max-queue",
            "64",
        ],
        env=env,
        pass_fds=[sock.fileno()],
    )
    sock.close()
    return proc, f"127.0.0.1:{port}", token


async def wait_up(base: str) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as c:
        while time.monotonic() < deadline:
            try:
                if (await c.get(f"http://{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


class Subscriber:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.count = 0
        self.ready = asyncio.Event()

    async def run(self, base: str, token: str, stop: asyncio.Event) -> None:
        async with websockets.connect(
            f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"], max_queue=None
        ) as ws:
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                )
            )
            await ws.recv()
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
            )
            self.ready.set()
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 1)
                except TimeoutError:
                    continue
                now = time.time()
                msg = json.loads(raw)
                if msg.get("type") != "next":
                    continue
                occurred = datetime.fromisoformat(msg["payload"]["data"]["events"]["occurredAt"])
                self.latencies.append(now - occurred.timestamp())
                self.count += 1


async def main(n: int) -> None:
    raise_fd_limit(4 * n + 256)
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, token = start_server(f"sqlite://{Path(tmp) / 'bench.db'}")
        try:
            await wait_up(base)
            await bench(base, token, n)
        finally:
            proc.terminate()
            proc.wait(15)


async def bench(base: str, token: str, n: int) -> None:
    stop = asyncio.Event()
    subs = [Subscriber() for _ in range(n)]
    started = time.monotonic()
    tasks = []
    for i in range(0, n, 50):  # connect in waves so the accept queue keeps up
        batch = subs[i : i + 50]
        tasks += [asyncio.create_task(s.run(base, token, stop)) for s in batch]
        await asyncio.gather(*(s.ready.wait() for s in batch))
    print(f"subscribers connected: {n} in {time.monotonic() - started:.1f} s")
    await asyncio.sleep(0.5)  # let the last subscribe messages reach the server

    async with httpx.AsyncClient(
        base_url=f"http://{base}", timeout=60, headers={"authorization": f"Bearer {token}"}
    ) as client:

        async def mutate(name: str) -> None:
            r = await client.post(
                "/graphql", json={"query": MUTATION, "variables": {"i": {"name": name}}}
            )
            r.raise_for_status()

        async def all_have(count: int, limit_s: float = 60) -> None:
            deadline = time.monotonic() + limit_s
            while min(s.count for s in subs) < count:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {min(s.count for s in subs)} of {count} arrived")
                await asyncio.sleep(0.005)

        # latency: one event at a time, each fanned out to every subscriber
        for i in range(LATENCY_EVENTS):
            await mutate(f"Latency {i}")
            await all_have(i + 1)
        latencies = sorted(x for s in subs for x in s.latencies)
        # throughput: a burst of events, sent back to back
        t0 = time.monotonic()
        await asyncio.gather(*(mutate(f"Burst {i}") for i in range(BURST_EVENTS)))
        await all_have(LATENCY_EVENTS + BURST_EVENTS)
        elapsed = time.monotonic() - t0
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)

    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"fan-out latency (commit -> subscriber), {LATENCY_EVENTS} events x {n} subscribers:")
    print(f"  p50 {p50:.1f} ms   p99 {p99:.1f} ms   max {latencies[-1] * 1000:.1f} ms")
    print(
        f"burst of {BURST_EVENTS} events: {BURST_EVENTS / elapsed:.1f} events/s sustained, "
        f"{BURST_EVENTS * n / elapsed:,.0f} deliveries/s"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
