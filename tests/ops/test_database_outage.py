"""SECURITY 42: PostgreSQL stopped under a running `gatehouse serve` → /readyz and requests
answer 503 fast (no hang, no 500); PostgreSQL back → ready again, same process, no restart.

Runs against a private cluster started and stopped by the test (never the shared server)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.ops.procs import Server, private_postgres, private_postgres_unavailable

# A hang would be a failure: every call gives up well before this.
CLIENT_TIMEOUT = httpx.Timeout(15.0)


def _poll(url: str, status: int, deadline_s: float = 60) -> httpx.Response:
    deadline = time.monotonic() + deadline_s
    while True:
        response = httpx.get(url, timeout=CLIENT_TIMEOUT)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def _viewer(server: Server, secret: str) -> httpx.Response:
    return httpx.post(
        server.url + "/graphql",
        json={"query": "query Viewer { viewer { kind } }"},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=CLIENT_TIMEOUT,
    )


def test_outage_gives_503_then_recovers_without_restart(tmp_path):
    reason = private_postgres_unavailable()
    if reason:
        pytest.skip(f"private PostgreSQL cluster unavailable: {reason}")
    with private_postgres() as pg:
        # Given a server on the private cluster, ready, with its operator key
        server = Server(pg.url, tmp_path, "--log-level", "warning")
        try:
            server.wait_ready("/readyz")
            secret = re.search(r"secret: (sk_\S+)", server.out_path.read_text()).group(1)
            assert _viewer(server, secret).json() == {"data": {"viewer": {"kind": "OPERATOR"}}}

            # When PostgreSQL stops
            pg.stop()

            # Then readiness turns 503 with the reason, and API calls get a clear 503
            unready = _poll(server.url + "/readyz", 503)
            assert unready.status_code == 503
            assert unready.json() == {
                "status": "unavailable",
                "checks": {"database": "unreachable"},
            }
            assert unready.headers["retry-after"]
            during = _viewer(server, secret)
            assert during.status_code == 503
            assert during.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
            assert "Traceback" not in during.text
            assert httpx.get(server.url + "/healthz", timeout=CLIENT_TIMEOUT).status_code == 200

            # When PostgreSQL comes back, then the same process serves again
            pg.start()
            ready = _poll(server.url + "/readyz", 200)
            assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}
            after = _viewer(server, secret)
            assert after.status_code == 200
            assert after.json() == {"data": {"viewer": {"kind": "OPERATOR"}}}
            assert server.proc.poll() is None
        finally:
            server.stop()
        # Outage requests were answered, not crashed (asyncpg's own pool warnings may appear).
        logs = server.logs()
        assert "Exception in ASGI application" not in logs
        assert "unhandled error" not in logs
        assert "database unavailable" in logs
