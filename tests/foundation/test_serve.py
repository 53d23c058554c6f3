"""`gatehouse serve` (what `make run` runs) on an empty SQLite file: prints an operator key once,
serves GraphQL, and the printed key answers `viewer`. Also the `api-keys` CLI."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

GATEHOUSE = [sys.executable, "-m", "gatehouse.server.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env["DATABASE_URL"] = f"sqlite://{tmp_path / 'run.db'}"
    return env


def _start(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*GATEHOUSE, "serve", "--port", str(port), "--log-level", "warning"],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )


def _read_until(proc: subprocess.Popen[str], pattern: str, deadline: float) -> list[str]:
    lines = []
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if re.search(pattern, line):
            return lines
    raise AssertionError("server output ended before " + pattern + ":\n" + "".join(lines))


def _wait_ready(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(url.replace("/graphql", "/healthz"), timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not become ready")


def test_serve_prints_key_once_and_answers_viewer(tmp_path):
    port = _free_port()
    proc = _start(tmp_path, port)
    try:
        lines = _read_until(proc, r"GraphQL API: http://", time.monotonic() + 60)
        output = "".join(lines)
        secret = re.search(r"secret: (sk_\S+)", output).group(1)
        url = f"http://127.0.0.1:{port}/graphql"
        assert url in output
        _wait_ready(url, time.monotonic() + 30)
        response = httpx.post(
            url,
            json={"query": "{ viewer { kind } }"},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert response.json() == {"data": {"viewer": {"kind": "OPERATOR"}}}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # Second start on the same database: no new key is printed.
    proc = _start(tmp_path, port)
    try:
        lines = _read_until(proc, r"GraphQL API: http://", time.monotonic() + 60)
        assert "secret:" not in "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_api_keys_cli_create_list_revoke(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*GATEHOUSE, *args],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )

    created = run("api-keys", "create", "--name", "ci")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"sk_[A-Za-z0-9_-]{43}", secret)
    key_id = re.search(r"(key_\w{26})", created.stdout).group(1)
    listed = run("api-keys", "list")
    assert key_id in listed.stdout
    assert secret not in listed.stdout
    assert run("api-keys", "revoke", key_id).returncode == 0
    assert "revoked" in run("api-keys", "list").stdout
    bad = run("api-keys", "create", "--name", "x", "--organization", "org_nope")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
