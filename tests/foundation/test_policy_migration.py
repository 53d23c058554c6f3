"""Migrations 0011 and 0012 on a database with data: requireSso becomes "SSO only",
joinByVerifiedDomain becomes AUTOMATIC enrollment on the organization's verified domains, and
rows from before the new columns (an SSO code, a `sess_` session) keep working.

The migrations run in their own process: Tortoise's connections are process-wide, and this
test's database is not the one the rest of the run shares."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg

# What every migration script needs: the imports, and inserting rows as a past schema had them.
PRELUDE = r"""
import asyncio, datetime, json, sys
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from gatehouse.server.db import tortoise_config


async def insert(conn, table, row):
    pg = conn.capabilities.dialect == "postgres"
    marks = [f"${i + 1}" for i in range(len(row))] if pg else ["?"] * len(row)
    values = [v if pg or not isinstance(v, datetime.datetime) else v.isoformat(" ") for v in row.values()]
    await conn.execute_query(
        f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(marks)})", values
    )
"""

SCRIPT = PRELUDE + r"""

NOW = datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC)
ORGS = [("org_01JSSOONLY0000000000000000", True, False),
        ("org_01JJOINER00000000000000000", False, True),
        ("org_01JPLAIN000000000000000000", False, False)]
DOMAINS = [("dom_01JVERIFIED00000000000000", ORGS[1][0], "joiner.example", "VERIFIED"),
           ("dom_01JPENDING000000000000000", ORGS[1][0], "pending.example", "PENDING"),
           ("dom_01JOTHER00000000000000000", ORGS[2][0], "plain.example", "VERIFIED")]



async def main(url):
    config = tortoise_config(url)
    await migrate(config=config, target="models.0010_invitation_previous_token")
    conn = Tortoise.get_connection("default")
    for org_id, require_sso, join in ORGS:
        await insert(conn, "organizations", {
            "id": org_id, "name": org_id, "name_search": org_id.lower(), "metadata": "{}",
            "jit_provisioning": False, "join_by_verified_domain": join,
            "restrict_invitations_to_verified_domains": False, "require_sso": require_sso,
            "default_role_slug": "member", "created_at": NOW, "updated_at": NOW})
    for dom_id, org_id, domain, state in DOMAINS:
        await insert(conn, "domains", {
            "id": dom_id, "organization_id": org_id, "domain": domain,
            "verified_domain": domain if state == "VERIFIED" else None, "state": state,
            "strategy": "MANUAL", "token": "t", "attempts": 0,
            "created_at": NOW, "updated_at": NOW})
    await insert(conn, "users", {
        "id": "user_01JUSER0000000000000000000", "email": "old@joiner.example",
        "email_verified": True, "created_at": NOW, "updated_at": NOW})
    await insert(conn, "roles", {
        "id": "role_01JROLE0000000000000000000", "organization_id": ORGS[1][0], "slug": "member",
        "name": "Member", "permissions": "[]", "system": True, "created_at": NOW,
        "updated_at": NOW})
    await insert(conn, "members", {
        "id": "om_01JMEMBER00000000000000000", "organization_id": ORGS[1][0],
        "user_id": "user_01JUSER0000000000000000000", "role_id": "role_01JROLE0000000000000000000",
        "status": "ACTIVE", "source": "MANUAL", "created_at": NOW, "updated_at": NOW})
    await insert(conn, "connections", {
        "id": "conn_01JCONN0000000000000000000", "organization_id": ORGS[1][0], "name": "IdP",
        "type": "SAML", "state": "ACTIVE", "saml_idp_certificates": "[]",
        "saml_attribute_mapping": "{}", "saml_allow_idp_initiated": False,
        "saml_allow_sha1": False, "oidc_scopes": "[]", "oidc_discovery": "{}",
        "created_at": NOW, "updated_at": NOW})
    await insert(conn, "sso_codes", {
        "id": "ssoc_01JCODE0000000000000000000", "code_hash": "h" * 64,
        "connection_id": "conn_01JCONN0000000000000000000",
        "member_id": "om_01JMEMBER00000000000000000", "profile": "{}",
        "expires_at": NOW, "created_at": NOW})
    await insert(conn, "sessions", {
        "id": "sess_01JSESSION00000000000000", "member_id": "om_01JMEMBER00000000000000000",
        "token_hash": "s" * 64, "expires_at": NOW, "created_at": NOW, "updated_at": NOW})
    await Tortoise.close_connections()
    await migrate(config=config)
    conn = Tortoise.get_connection("default")
    orgs = await conn.execute_query_dict(
        "SELECT id, sso_allowed, email_code_allowed FROM organizations"
    )
    domains = await conn.execute_query_dict("SELECT domain, enrollment FROM domains")
    codes = await conn.execute_query_dict("SELECT authentication_method FROM sso_codes")
    members = await conn.execute_query_dict("SELECT may_bypass_sso FROM members")
    connections = await conn.execute_query_dict("SELECT jit_provisioning FROM connections")
    await Tortoise.close_connections()
    print(json.dumps({
        "policies": {
            r["id"]: [m for m, on in (("SSO", r["sso_allowed"]), ("EMAIL_CODE", r["email_code_allowed"])) if on]
            for r in orgs
        },
        "enrollment": {r["domain"]: r["enrollment"] for r in domains},
        "code_methods": [r["authentication_method"] for r in codes],
        "bypass": [bool(r["may_bypass_sso"]) for r in members],
        "jit": [bool(r["jit_provisioning"]) for r in connections],
    }))


asyncio.run(main(sys.argv[1]))
"""


async def _fresh_database() -> tuple[str, tuple[asyncpg.Connection, str] | None]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite://{Path(tempfile.mkdtemp()) / 'migration.db'}", None
    name = f"gatehouse_migration_{secrets.token_hex(4)}"
    server = base.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    admin = await asyncpg.connect(f"{server}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + f"/{name}", (admin, name)


async def test_policies_survive_the_migration():
    url, pg = await _fresh_database()
    try:
        # given a database at 0010 with old policies and rows, then the rest run
        ran = subprocess.run(
            [sys.executable, "-c", SCRIPT, url], capture_output=True, text=True, check=False
        )
        assert ran.returncode == 0, ran.stderr
        found = json.loads(ran.stdout.strip().splitlines()[-1])
    finally:
        if pg is not None:
            admin, name = pg
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    # then SSO-only stays SSO-only, the others admit both, and only the joiner's verified
    # domain enrolls automatically
    assert found["policies"] == {
        "org_01JSSOONLY0000000000000000": ["SSO"],
        "org_01JJOINER00000000000000000": ["SSO", "EMAIL_CODE"],
        "org_01JPLAIN000000000000000000": ["SSO", "EMAIL_CODE"],
    }
    assert found["enrollment"] == {
        "joiner.example": "AUTOMATIC",
        "pending.example": "NONE",
        "plain.example": "NONE",
    }
    # and the rows from before the new columns got their defaults
    assert found["code_methods"] == ["SSO"]
    assert found["bypass"] == [False]
    assert found["jit"] == [True]
