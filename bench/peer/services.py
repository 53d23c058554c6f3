"""The two services bench_peer_polis.py measures, each a real server process on its own fresh
PostgreSQL database: Gatehouse (`gatehouse serve`) and Ory Polis (SAML Jackson behind
server.js). Each gets one SCIM directory (Entra ID type) and one SAML connection that trusts
the same IdP metadata, so both accept the same requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from shapes import IDP_ENTITY, SSO_DOMAIN

from gatehouse.auth.principal import operator_principal
from gatehouse.models import DirectoryType
from gatehouse.resolvers import organizations
from gatehouse.resolvers.directories import lifecycle as directories
from gatehouse.resolvers.sso import connections
from gatehouse.server.db import close_db, init_db, migrate
from tests.sso.helpers import verified_domain
from tests.sso.saml_idp import KeyPair

PEER = Path(__file__).resolve().parent
ROOT = PEER.parents[1]
REDIRECT = "https://app.bench/callback"
POLIS_AUDIENCE = "https://polis.bench"


@dataclass
class Service:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    database: str
    log: Path
    scim: str  # the directory's SCIM base URL
    scim_token: str
    acs: str  # where the IdP posts; also the Destination and Recipient it signs
    audience: str
    _pg_seen: dict[int, float] = field(default_factory=dict)

    def cpu(self) -> float:
        """User + system seconds of the server's whole process tree (threads and children)."""
        return sum(_cpu(pid) for pid in _tree(self.proc.pid))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # utime, stime, and cutime, cstime: children this one has already waited for.
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
                parents[int(entry.name)] = int(stat[1])
    pids, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        pids += frontier
    return pids


async def pg_cpu(admin: asyncpg.Connection, database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `database` now."""
    rows = await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    return {r["pid"]: _cpu(r["pid"]) for r in rows}


def pg_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def metadata_xml(keys: KeyPair) -> str:
    """The IdP's metadata: both services are configured from these same bytes."""
    sso = "https://idp.bench/sso"
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP_ENTITY}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{keys.cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f'Location="{sso}"/><md:SingleSignOnService '
        f'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{sso}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_ready() -> tuple[str | None, str]:
    """(None, versions) when node_modules holds the pinned Jackson (installed on first use),
    else (why the peer cannot run, "")."""
    if not (shutil.which("node") and shutil.which("npm")):
        return "node and npm are needed for the Polis peer (Node.js >= 20); not on PATH", ""
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    node_version = node.stdout.strip()
    if int(node_version.lstrip("v").split(".")[0] or 0) < 20:  # Jackson's MongoDB driver: 20+
        return f"the Polis peer needs Node.js >= 20, found {node_version}", ""
    pinned = json.loads((PEER / "package.json").read_text())["dependencies"]
    installed = PEER / "node_modules" / "@boxyhq" / "saml-jackson" / "package.json"
    version = json.loads(installed.read_text())["version"] if installed.exists() else None
    if version != pinned["@boxyhq/saml-jackson"]:
        print(f"npm install in {PEER} (first run: 1-3 minutes)", flush=True)
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return f"npm install failed in {PEER}:\n{done.stderr[-2000:]}", ""
    return None, f"node {node_version}, @boxyhq/saml-jackson {pinned['@boxyhq/saml-jackson']}"


def _spawn(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as err:
        return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd)


async def _wait(
    http: httpx.AsyncClient, url: str, proc: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            if (await http.get(url)).status_code == 200:
                return
        await asyncio.sleep(0.2)
    proc.kill()
    proc.wait()
    tail = (await asyncio.to_thread(log.read_text))[-2000:]
    raise RuntimeError(f"{url} not ready; its log ends:\n{tail}")


async def _provision_gatehouse(url: str, keys: KeyPair, secret_key: str) -> tuple[str, str, str]:
    """The organization (JIT sign-in for acme.com), its Entra directory and SAML connection:
    (directory ID, SCIM token, connection ID)."""
    await migrate(url)
    await init_db(url)
    try:
        op = operator_principal()
        org = await organizations.create_organization(op, organizations.NewOrganization("Bench"))
        org.jit_provisioning = True
        await org.save()
        await verified_domain(org, SSO_DOMAIN)
        directory, token = await directories.create_directory(
            op, org.id, "Entra", type=DirectoryType.ENTRA
        )
        conn = await connections.create_saml_connection(
            op,
            org.id,
            "Bench IdP",
            metadata_xml=metadata_xml(keys),
            allow_idp_initiated=True,
            secret_key=secret_key,
        )
        await connections.activate_connection(op, conn.id)
    finally:
        await close_db()
    return directory.id, token, conn.id


async def start_gatehouse(
    http: httpx.AsyncClient, pg: str, database: str, keys: KeyPair, workdir: Path
) -> Service:
    url, secret_key, port = f"{pg}/{database}", secrets.token_urlsafe(32), free_port()
    base = f"http://127.0.0.1:{port}"
    directory_id, token, conn_id = await _provision_gatehouse(url, keys, secret_key)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "REDIS_URL", "GATEHOUSE_"))
    }
    env |= {
        # The server runs the checkout this bench is in, whatever the venv was installed from.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        "DATABASE_URL": url,
        "GATEHOUSE_ENV": "production",
        "GATEHOUSE_SECRET_KEY": secret_key,
        "GATEHOUSE_BASE_URL": base,
        "GATEHOUSE_REDIRECT_URIS": REDIRECT,
        # The limiter stays on (its cost is part of the figure) with room for the whole run.
        "GATEHOUSE_RATE_LIMIT_PER_SECOND": "100000",
        "GATEHOUSE_RATE_LIMIT_BURST": "100000",
        "GATEHOUSE_DB_POOL_MAX_SIZE": "10",
    }
    log = workdir / "gatehouse.log"
    argv = [sys.executable, "-m", "gatehouse.server.cli", "serve", "--port", str(port)]
    proc = _spawn(argv, env, log, workdir)
    conn = f"{base}/sso/saml/{conn_id}"
    service = Service(
        "gatehouse",
        base,
        proc,
        database,
        log,
        f"{base}/scim/v2/{directory_id}",
        token,
        acs=f"{conn}/acs",
        audience=conn,
    )
    await _wait(http, f"{base}/readyz", proc, log)
    return service


async def start_polis(
    http: httpx.AsyncClient, pg: str, database: str, keys: KeyPair, workdir: Path
) -> Service:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "PORT": str(port),
        "POLIS_DB_URL": f"{pg}/{database}",
        "POLIS_EXTERNAL_URL": base,
        "POLIS_SAML_AUDIENCE": POLIS_AUDIENCE,
        "NODE_ENV": "production",
        "DO_NOT_TRACK": "1",
    }
    log = workdir / "polis.log"
    proc = _spawn(["node", str(PEER / "server.js")], dict(env), log, PEER)
    await _wait(http, f"{base}/healthz", proc, log)
    try:
        directory = await _provision_polis(http, base, keys)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    # Entra ID's "tenant URL" for an azure-scim-v2 directory ends "/?aadOptscim062020", a flag
    # for Entra alone; resources are under the path before it.
    scim = f"{base}{directory['path'].partition('?')[0].rstrip('/')}"
    return Service(
        "polis",
        base,
        proc,
        database,
        log,
        scim,
        directory["secret"],
        acs=f"{base}/api/oauth/saml",
        audience=POLIS_AUDIENCE,
    )


async def _provision_polis(http: httpx.AsyncClient, base: str, keys: KeyPair) -> dict[str, str]:
    """An Entra (azure-scim-v2) directory and a SAML connection, through server.js's /bench
    routes (Jackson's own controllers)."""
    tenant = {"tenant": "bench.example", "product": "gatehouse-bench"}
    r = await http.post(
        f"{base}/bench/directory",
        json=tenant
        | {
            "name": "Entra",
            "type": "azure-scim-v2",
            # Stored with each event for a batch no cron sends during the bench.
            "webhook_url": "https://webhook.invalid/dsync",
            "webhook_secret": "bench",
        },
    )
    r.raise_for_status()
    directory = r.json()
    r = await http.post(
        f"{base}/bench/connection",
        json=tenant
        | {
            "rawMetadata": metadata_xml(keys),
            "defaultRedirectUrl": REDIRECT,
            "redirectUrl": json.dumps([REDIRECT]),
        },
    )
    r.raise_for_status()
    return directory
