"""SQL statements per SCIM request: each operation's count is pinned, so a change that adds a
statement to the hot path (an N+1, a re-read of a row the request holds) fails here first.

Counted from the request's first statement (the bearer token's directory) to its last, on
the app over httpx. On PostgreSQL each request's new rows go out in one statement
(models/batch.py), the recorder's row and its trim with them; on SQLite, where a statement
costs no round trip, one per table. Users and groups come from an
Entra ID directory, in the shapes Entra sends (tests/dsync/transcripts/entra.json). When a
count goes down, lower its ceiling here.
"""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import Tortoise

from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    DeprovisioningAction,
    DirectoryType,
    DirectoryUser,
    MembershipPeriod,
)
from gatehouse.resolvers.directories import lifecycle
from tests.dsync.conftest import GROUP_SCHEMA, USER_SCHEMA, MakeDirectory, Scim

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# The most statements each operation may send, (SQLite, PostgreSQL); see the module docstring.
CEILING = {
    "user create": (12, 5),
    "user patch name and email": (9, 5),
    "user patch pathless": (9, 5),
    "user deactivate": (13, 8),
    "user reactivate": (13, 8),
    "user delete": (13, 10),
    "group create": (8, 4),
    "group add one member": (11, 6),
    "group add one member, mapped to a role": (19, 14),
    "group add 200 members": (11, 6),
    "group remove one member": (10, 6),
}


def _ceiling(name: str) -> int:
    sqlite, postgres = CEILING[name]
    dialect = Tortoise.get_connection("default").capabilities.dialect
    return postgres if dialect == "postgres" else sqlite


def _entra_user(n: int) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": f"0a21f0f2-{n:04d}",
        "userName": f"user{n}@contoso.com",
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": f"user{n}@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"User {n}", "familyName": str(n), "givenName": "User"},
        "roles": [],
    }


async def _statements(
    count_queries: Any, scim: Scim, method: str, path: str, body: Any, status: int
) -> list[str]:
    with count_queries() as counter:
        response = await scim.call(method, path, body)
    assert response.status_code == status, response.text
    return counter.statements


def _replace(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}


def _members(op: str, ids: list[str]) -> dict[str, Any]:
    return _replace({"op": op, "path": "members", "value": [{"value": i} for i in ids]})


async def _measure(count_queries: Any, scim: Scim) -> dict[str, list[str]]:
    """Every operation once, in the order an IdP would send them."""

    async def run(name: str, method: str, path: str, body: Any, status: int) -> None:
        seen[name] = await _statements(count_queries, scim, method, path, body, status)

    seen: dict[str, list[str]] = {}
    # Warm-up: the directory's first write stamps its activity; later ones within the
    # resolution do not. An IdP pushes many requests in a row, so the warm path is counted.
    first = await scim.call("POST", "/Users", _entra_user(0))
    assert first.status_code == 201, first.text
    # The 200 members of the bulk add, mirrored rows only (200 SCIM creates would meet the
    # directory's rate limit).
    others = [DirectoryUser(directory_id=scim.directory_id) for _ in range(200)]
    for i, row in enumerate(others):
        row.user_name = row.user_name_lower = f"bulk{i}@contoso.com"
        row.resource = {"userName": row.user_name}
    await DirectoryUser.bulk_create(others)

    await run("user create", "POST", "/Users", _entra_user(1), 201)
    user = (await scim.call("GET", '/Users?filter=userName eq "user1@contoso.com"')).json()
    user_id = user["Resources"][0]["id"]
    user_patches = {
        "user patch name and email": [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "u1@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "One"},
        ],
        "user patch pathless": [
            {"op": "Replace", "value": {"displayName": "User One", "name.givenName": "U"}}
        ],
        "user deactivate": [{"op": "Replace", "path": "active", "value": "False"}],
        "user reactivate": [{"op": "Replace", "path": "active", "value": "True"}],
    }
    for name, operations in user_patches.items():
        await run(name, "PATCH", f"/Users/{user_id}", _replace(*operations), 200)
    group_body = {"schemas": [GROUP_SCHEMA], "displayName": "Sales", "externalId": "8aa1"}
    await run("group create", "POST", "/Groups", group_body, 201)
    group_id = (await scim.call("GET", '/Groups?filter=displayName eq "Sales"')).json()[
        "Resources"
    ][0]["id"]
    group_patches = {
        "group add one member": _members("Add", [user_id]),
        "group add 200 members": _members("Add", [r.id for r in others]),
        "group remove one member": _members("Remove", [user_id]),
    }
    for name, body in group_patches.items():
        await run(name, "PATCH", f"/Groups/{group_id}", body, 204)
    mapped = await scim.create_group("Admins")
    await lifecycle.set_group_role_mapping(
        operator_principal(), scim.directory_id, mapped["id"], "admin"
    )
    await run(
        "group add one member, mapped to a role",
        "PATCH",
        f"/Groups/{mapped['id']}",
        _members("Add", [user_id]),
        204,
    )
    await run("user delete", "DELETE", f"/Users/{user_id}", None, 204)
    return seen


@pytest.fixture
async def entra(make_directory: MakeDirectory) -> Scim:
    return await make_directory(type=DirectoryType.ENTRA, action=DeprovisioningAction.DELETE)


async def test_each_scim_operation_sends_at_most_its_statements(
    entra: Scim, count_queries: Any
) -> None:
    seen = await _measure(count_queries, entra)
    over = {
        name: (len(statements), _ceiling(name), statements)
        for name, statements in seen.items()
        if len(statements) > _ceiling(name)
    }
    assert not over, "\n\n".join(
        f"{name}: {n} statements (ceiling {ceiling}):\n  " + "\n  ".join(s[:160] for s in sent)
        for name, (n, ceiling, sent) in over.items()
    )


async def test_two_hundred_members_cost_what_one_does(entra: Scim, count_queries: Any) -> None:
    seen = await _measure(count_queries, entra)
    assert len(seen["group add 200 members"]) == len(seen["group add one member"])


async def test_the_counted_requests_kept_history_exact(entra: Scim, count_queries: Any) -> None:
    """What the cheaper path must still write: one period per access change of the member
    that was created, deactivated, reactivated, given a role and deleted."""
    await _measure(count_queries, entra)
    periods = await MembershipPeriod.filter(user_id__not="").order_by("valid_from", "id")
    user1 = [p for p in periods if p.member_id == periods[-1].member_id]
    assert [(p.status, p.role_slug, p.valid_to is None) for p in user1] == [
        ("ACTIVE", "member", False),
        ("INACTIVE", "member", False),
        ("ACTIVE", "member", False),
        ("ACTIVE", "admin", False),
    ]
