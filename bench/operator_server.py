"""A bench's Gatehouse server: `gatehouse serve`, the command an operator runs, on a free port.

Benches once started uvicorn on a listening socket passed with `--fd`. uvicorn takes such a
socket for a Unix-domain one, so the event loop never set TCP_NODELAY on the connections it
accepted. On a kept-alive connection the response body, written after the headers, then waited
for the client's delayed ACK: about 40 ms on every request after a connection's first. The
benches measured that wait (bench_dsync's 140 creates/s at 8 clients, 55 ms per sequential
request with the server 3 ms busy), not the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    env: dict[str, str], log: Path, prefix: list[str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """(the process, its base URL). Its log (JSON lines, access log included, as an operator
    would run it) goes to `log`. `prefix` runs the command under another, e.g. a profiler:
    ["python", "-m", "pyinstrument", ...] in place of the interpreter."""
    port = free_port()
    argv = [*(prefix or [sys.executable]), "-m", "gatehouse.server.cli", "serve"]
    argv += ["--port", str(port), "--log-format", "json"]
    with log.open("w") as err:
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=log.parent
        )
    return proc, f"http://127.0.0.1:{port}"


async def wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Until /readyz answers 200; if the server exits or never gets there, stop it and raise
    with the end of its log (read before the caller's temporary directory goes)."""
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    stop(proc)
    tail = (await asyncio.to_thread(log.read_text))[-2000:]
    raise RuntimeError(f"{url} not ready; its log ends:\n{tail}")


def stop(proc: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> None:
    """Ask it to stop (SIGINT lets a profiler write its report); kill it if it does not."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
