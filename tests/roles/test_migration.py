"""Migration 0014 (product roles) on a database with data: the built-in roles of existing organizations become
their copies of the environment roles, an organization that chose its own default role keeps
it, and a new environment role then reaches those organizations too.

The migrations run in their own process (tests/foundation/test_policy_migration.py says why)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.foundation.test_policy_migration import PRELUDE, _fresh_database

SCRIPT = PRELUDE + r"""

NOW = datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC)
FOLLOWS, CHOSE = "org_01JF0110WS000000000000000", "org_01JCH0SE00000000000000000"



async def main(url):
    config = tortoise_config(url)
    await migrate(config=config, target="models.0013_one_person_one_record")
    conn = Tortoise.get_connection("default")
    for n, (org_id, default) in enumerate(((FOLLOWS, "member"), (CHOSE, "admin"))):
        await insert(conn, "organizations", {
            "id": org_id, "name": org_id, "name_search": org_id.lower(), "metadata": "{}",
            "jit_provisioning": False, "restrict_invitations_to_verified_domains": False,
            "sso_allowed": True, "email_code_allowed": True, "default_role_slug": default,
            "created_at": NOW, "updated_at": NOW})
        for m, (slug, system) in enumerate((("admin", True), ("member", True), ("auditor", False))):
            await insert(conn, "roles", {
                "id": f"role_01JR0LE{n}{m}00000000000000000"[:31], "organization_id": org_id,
                "slug": slug, "name": slug, "permissions": '["members:read"]', "system": system,
                "created_at": NOW, "updated_at": NOW})
    await Tortoise.close_connections()
    await migrate(config=config)
    conn = Tortoise.get_connection("default")
    roles = await conn.execute_query_dict(
        "SELECT organization_id, slug, environment_role, overridden FROM roles"
    )
    orgs = await conn.execute_query_dict("SELECT id, default_role_inherited FROM organizations")
    await Tortoise.close_connections()

    # then the app on the migrated database
    from gatehouse.server.db import close_db, init_db
    await init_db(url)
    conn = Tortoise.get_connection("default")
    from gatehouse.auth.principal import operator_principal
    from gatehouse.resolvers import environment_roles
    op = operator_principal()
    listed = [r.slug for r in await environment_roles.list_environment_roles(op)]
    await environment_roles.create_environment_role(op, "editor", "Editor", ["members:read"])
    await environment_roles.set_default_environment_role(op, "editor")
    editors = await conn.execute_query_dict("SELECT organization_id FROM roles WHERE slug = 'editor'")
    defaults = await conn.execute_query_dict("SELECT id, default_role_slug FROM organizations")
    await close_db()
    print(json.dumps({
        "roles": sorted([r["organization_id"], r["slug"], bool(r["environment_role"]), bool(r["overridden"])] for r in roles),
        "inherited": {r["id"]: bool(r["default_role_inherited"]) for r in orgs},
        "environment_roles": listed,
        "editors": sorted(r["organization_id"] for r in editors),
        "defaults": {r["id"]: r["default_role_slug"] for r in defaults},
    }))


asyncio.run(main(sys.argv[1]))
"""

FOLLOWS, CHOSE = "org_01JF0110WS000000000000000", "org_01JCH0SE00000000000000000"


async def test_existing_organizations_get_environment_roles():
    url, pg = await _fresh_database()
    try:
        ran = subprocess.run(
            [sys.executable, "-c", SCRIPT, url],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert ran.returncode == 0, ran.stderr
        found = json.loads(ran.stdout.strip().splitlines()[-1])
    finally:
        if pg is not None:
            admin, name = pg
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    # the built-in roles are the environment's copies; a custom role stays the organization's
    assert found["roles"] == sorted(
        [org, slug, slug != "auditor", False]
        for org in (FOLLOWS, CHOSE)
        for slug in ("admin", "member", "auditor")
    )
    assert found["inherited"] == {FOLLOWS: True, CHOSE: False}
    assert found["environment_roles"] == ["admin", "member"]
    # a new environment role reaches organizations from before; the default follows only
    # where the organization did not choose
    assert found["editors"] == sorted([FOLLOWS, CHOSE])
    assert found["defaults"] == {FOLLOWS: "editor", CHOSE: "admin"}
