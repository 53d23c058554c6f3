"""`gatehouse portal-link --organization ORG_ID --intent sso` prints a working setup link."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GATEHOUSE = [sys.executable, "-m", "gatehouse.server.cli"]
MAKE_ORG = """
import asyncio
from gatehouse.auth.principal import operator_principal
from gatehouse.resolvers import organizations
from gatehouse.server.db import close_db, init_db, migrate
from gatehouse.settings import get_settings

async def main():
    url = get_settings().database_url
    await migrate(url)
    await init_db(url)
    org = await organizations.create_organization(
        operator_principal(), organizations.NewOrganization("CLI Co")
    )
    print(org.id)
    await close_db()

asyncio.run(main())
"""


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env["DATABASE_URL"] = f"sqlite://{tmp_path / 'cli.db'}"
    env["GATEHOUSE_BASE_URL"] = "https://gatehouse.example"
    return subprocess.run(
        [*args], env=env, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path
    )


def test_portal_link_cli(tmp_path):
    made = _run(tmp_path, sys.executable, "-c", MAKE_ORG)
    assert made.returncode == 0, made.stderr
    org_id = made.stdout.strip().splitlines()[-1]
    done = _run(tmp_path, *GATEHOUSE, "portal-link", "--organization", org_id, "--intent", "sso")
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip().splitlines()[-1]
    assert url.startswith("https://gatehouse.example/portal/start?token=pl_")
    bad = _run(tmp_path, *GATEHOUSE, "portal-link", "--organization", "org_nope", "--intent", "sso")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
