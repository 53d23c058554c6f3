"""Acceptance: the README is true. Its code blocks run, in order, against a live server
(tests/ops/readme_runner.py), and its permissions table is the one the code prints."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatehouse.auth import permission_docs
from tests.ops import readme_runner as runner
from tests.ops.procs import Process, free_port

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[runner.Session]:
    """A fresh `gatehouse serve` on its own SQLite file, as `make run` starts one."""
    cwd = tmp_path_factory.mktemp("readme")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite://{cwd / 'gatehouse.db'}"
    env = {
        "GATEHOUSE_SECRET_KEY": os.environ["GATEHOUSE_SECRET_KEY"],
        "GATEHOUSE_BASE_URL": url,
        "GATEHOUSE_RATE_LIMIT_ENABLED": "false",
        "GATEHOUSE_REDIRECT_URIS": "https://app.example.com/callback,http://127.0.0.1:3000/callback",
        "GATEHOUSE_SSO_ALLOW_PRIVATE_URLS": "true",  # the "first IdP" guide's provider
        # The webhook example's receiver is a local port (nothing listens: deliveries fail,
        # which no example reads).
        "GATEHOUSE_ALLOW_PRIVATE_WEBHOOKS": "true",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    server = Process(["serve", "--port", str(port)], database_url, cwd, "readme-serve", env)
    idp_port = free_port()
    idp = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.oidc_provider", "--port", str(idp_port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
    )
    try:
        key = _operator_key(server)
        _wait_ready(server, url)
        yield runner.Session(
            url,
            key,
            runner.shell_env(database_url, env),
            cwd,
            stand_ins={
                "https://app.example.com/webhooks/gatehouse": f"http://127.0.0.1:{free_port()}/hook",
                "http://127.0.0.1:9000": f"http://127.0.0.1:{idp_port}",
            },
        )
    finally:
        server.stop()
        idp.terminate()
        idp.wait(10)


def _operator_key(server: Process) -> str:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in server.output().splitlines():
            if line.strip().startswith("secret: "):
                return line.split("secret: ", 1)[1].strip()
        if server.proc.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError("no operator key printed:\n" + server.output() + server.logs())


def _wait_ready(server: Process, url: str) -> None:
    import time

    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server not ready:\n" + server.logs())


async def test_every_readme_code_block_runs_against_a_live_server(live: runner.Session):
    blocks = [b for b in runner.blocks(README.read_text()) if runner.runnable(b)]
    assert len(blocks) >= 10, "the README lost its examples"
    for block in blocks:
        try:
            await runner.run_block(live, block)
        except Exception as e:
            transcript = "\n\n".join(live.log[-5:])
            raise AssertionError(f"{e}\n\n--- last calls:\n{transcript}") from e


async def test_the_runner_fails_a_wrong_example(live: runner.Session):
    # A field the schema does not have, as `resolveSignIn { domain }` once was in prose.
    wrong = runner.Block(1, "graphql", '{ resolveSignIn(email: "a@b.co") { domainName } }\n')
    with pytest.raises(AssertionError, match="errors in the answer"):
        await runner.run_block(live, wrong)
    unmarked = runner.Block(1, "ts", "const x = 1;\n")
    with pytest.raises(AssertionError, match="no runner"):
        runner.runnable(unmarked)


def test_marks_are_read_from_the_line_before_the_block():
    text = "intro\n\n<!-- readme: skip (needs Docker) -->\n```sh\ndocker ps\n```\n\n  ```graphql\n  { viewer { kind } }\n  ```\n"
    skip, query = runner.blocks(text)
    assert (skip.mark, skip.lang, skip.text) == ("skip", "sh", "docker ps\n")
    assert (query.mark, query.lang, query.text) == (None, "graphql", "{ viewer { kind } }\n")


def test_readme_permissions_table_is_generated_from_the_code():
    readme = README.read_text()
    assert permission_docs.block() in readme, "README's permissions table is stale: run `make docs`"
    for permission in permission_docs.Permission:
        assert f"| `{permission.value}` |" in readme
        assert permission.value in permission_docs.DESCRIPTIONS, f"describe {permission.value}"


async def test_the_runner_fails_a_refused_http_call(live: runner.Session):
    refused = runner.Block(
        1,
        "sh",
        "curl -s http://127.0.0.1:8000/sso/token -H 'Authorization: Bearer sk_…' -d code=x\n",
    )
    with pytest.raises(AssertionError, match="errors"):
        await runner.run_block(live, refused)


def test_placeholders_take_the_latest_id_of_their_kind():
    session = runner.Session("http://127.0.0.1:1", "sk_test", {}, Path())
    first, second = "org_" + "0" * 26, "org_" + "1" * 26
    session.remember(f'{{"id": "{first}"}} {{"id": "{second}"}}')
    block = runner.Block(1, "graphql", "")
    assert session.substitute(block, '"org_…" "org_01…" sk_…') == f'"{second}" "{second}" sk_test'
    with pytest.raises(AssertionError, match="add an example"):
        session.substitute(block, '"user_…"')
