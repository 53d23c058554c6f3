"""Real processes for the Operations tests: `gatehouse serve`, `gatehouse worker` and a
private PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

GATEHOUSE = [sys.executable, "-m", "gatehouse.server.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A `gatehouse …` command in its own interpreter, its stderr (the logs) in a file."""

    def __init__(
        self,
        command: list[str],
        database_url: str,
        cwd: Path,
        name: str,
        env: dict[str, str] | None = None,
    ):
        self.log_path = cwd / f"{name}.log"
        self.out_path = cwd / f"{name}.out"
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_URL", "REDIS_URL", "GATEHOUSE_"))
        }
        base.update(env or {})
        base["DATABASE_URL"] = database_url
        self._log = self.log_path.open("w")
        self._out = self.out_path.open("w")
        self.proc = subprocess.Popen(
            [*GATEHOUSE, *command], env=base, stdout=self._out, stderr=self._log, cwd=cwd
        )

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        self._out.close()
        return self.proc.returncode

    def logs(self) -> str:
        return self.log_path.read_text()

    def output(self) -> str:
        return self.out_path.read_text()


class Server(Process):
    """`gatehouse serve` on a free port."""

    def __init__(
        self, database_url: str, cwd: Path, *extra: str, env: dict[str, str] | None = None
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        command = ["serve", "--port", str(self.port), *extra]
        super().__init__(command, database_url, cwd, f"serve-{self.port}", env)

    def wait_ready(self, path: str = "/healthz", deadline_s: float = 60) -> None:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited:\n" + self.logs())
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError("server not ready:\n" + self.logs())


class Worker(Process):
    """`gatehouse worker`: webhook and log stream delivery, no HTTP."""

    def __init__(self, database_url: str, cwd: Path, name: str, env: dict[str, str] | None = None):
        super().__init__(["worker"], database_url, cwd, name, env)

    def wait_running(self, deadline_s: float = 60) -> None:
        deadline = time.monotonic() + deadline_s
        while "Delivery worker running." not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("worker did not start:\n" + self.logs())
            time.sleep(0.05)


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, owned by the `postgres` OS user
    (initdb refuses root); the machine's shared server on 5432 is never touched."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gatehouse-pg-"))
        self.data = self.dir / "data"
        shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, command: str) -> None:
        subprocess.run(
            ["su", "postgres", "-c", command], check=True, capture_output=True, timeout=120
        )

    def init(self) -> None:
        self._pg(f"initdb -D {self.data} -U postgres -A trust --no-sync >/dev/null")

    def start(self) -> None:
        self._pg(
            f"pg_ctl -D {self.data} -l {self.dir}/pg.log -w -t 60 "
            f"-o '-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off' start"
        )

    def stop(self) -> None:
        self._pg(f"pg_ctl -D {self.data} -m fast -w -t 60 stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def private_postgres_unavailable() -> str | None:
    """Why a private cluster cannot run here, or None."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        return "initdb/pg_ctl not on PATH"
    if os.geteuid() != 0:
        return "needs root to run initdb as the postgres user"
    try:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        return "no postgres OS user"
    return None


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.destroy()
