"""A group PATCH that only adds or removes listed members reads only the members it names
(scim/groups.py `_named_members`), and answers and changes exactly what reading every member
did. Each case PATCHes two groups of the same members: one the short way, one with every
member read, and compares the answers, the members after and the events."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.models import DirectoryGroupMember, DirectoryType, Event
from gatehouse.scim import groups
from tests.dsync.conftest import MakeDirectory, Scim


def _add(*members: Any) -> dict[str, Any]:
    return {"op": "add", "path": "members", "value": list(members)}


def _remove(*members: Any) -> dict[str, Any]:
    return {"op": "remove", "path": "members", "value": list(members)}


# u0..u2 are the group's members, u3 is not; a callable names a user by its index.
CASES: dict[str, list[Any]] = {
    "add one": [_add({"value": 3})],
    "add a member again, in other case": [_add({"value": (0, str.swapcase)})],
    "add a member again, with a display": [_add({"value": 0, "display": "Zero"})],
    "add one twice in one operation": [_add({"value": 3}, {"value": (3, str.swapcase)})],
    "add, with a display": [_add({"value": 3, "display": "Three"})],
    "remove one": [_remove({"value": 1})],
    "remove in other case": [_remove({"value": (1, str.swapcase)})],
    "remove one not a member": [_remove({"value": 3})],
    "add then remove the same": [_add({"value": 3}), _remove({"value": 3})],
    "remove then add the same": [_remove({"value": 1}), _add({"value": 1})],
    "add several, remove several": [_add({"value": 3}), _remove({"value": 0}, {"value": 2})],
    "add an unknown id": [_add({"value": "diru_00000000000000000000000000"})],
}


def _resolve(operations: list[Any], ids: list[str]) -> list[dict[str, Any]]:
    def value(v: Any) -> Any:
        if isinstance(v, int):
            return ids[v]
        if isinstance(v, tuple):
            return v[1](ids[v[0]])
        return v

    return [
        {**o, "value": [{**m, "value": value(m["value"])} for m in o["value"]]} for o in operations
    ]


async def _members(group_id: str) -> list[tuple[str, str | None]]:
    rows = await DirectoryGroupMember.filter(group_id=group_id).values_list(
        "directory_user_id", "display"
    )
    return sorted((str(u), d) for u, d in rows)


async def _events(organization_id: str, group_id: str) -> list[tuple[str, str]]:
    found = await Event.filter(organization_id=organization_id, type__startswith="dsync.group.")
    return [
        (e.type, e.data.get("user_id", ""))
        for e in sorted(found, key=lambda e: e.id)
        if e.data.get("group", e.data)["id"] == group_id
    ]


@pytest.fixture
async def entra(make_directory: MakeDirectory) -> Scim:
    return await make_directory(type=DirectoryType.ENTRA)


@pytest.mark.parametrize("case", CASES)
async def test_the_short_way_answers_and_changes_what_the_full_read_did(
    entra: Scim, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    ids = [(await entra.create_user(f"u{i}@contoso.com"))["id"] for i in range(4)]
    short = await entra.create_group("Short", ids[:3])
    full = await entra.create_group("Full", ids[:3])
    operations = _resolve(CASES[case], ids)

    read: list[dict[str, str | None]] = []
    current_members = groups._current_members

    async def spying(group: Any, named: set[str] | None = None) -> dict[str, str | None]:
        found = await current_members(group, named)
        read.append(found)
        return found

    monkeypatch.setattr(groups, "_current_members", spying)
    got = await entra.patch(f"/Groups/{short['id']}", *operations)
    # The short way read at most what it names, never the members it does not.
    named = {m["value"].lower() for o in operations for m in o["value"]}
    assert [set(map(str.lower, r)) <= named for r in read] == [True]
    monkeypatch.setattr(groups, "_named_members", lambda _operations: None)
    wanted = await entra.patch(f"/Groups/{full['id']}", *operations)
    assert len(read[1]) == 3  # every member, the full way

    assert got.status_code == wanted.status_code, got.text
    assert got.text == wanted.text.replace(full["id"], short["id"])
    assert await _members(short["id"]) == await _members(full["id"])
    assert await _events(entra.organization_id, short["id"]) == await _events(
        entra.organization_id, full["id"]
    )


async def test_a_patch_of_anything_else_reads_every_member(entra: Scim) -> None:
    replace = {"op": "replace", "path": "members", "value": [{"value": "x"}]}
    rename = {"op": "replace", "path": "displayName", "value": "Renamed"}
    pathless = {"op": "add", "value": {"members": [{"value": "x"}]}}
    filtered = {"op": "remove", "path": 'members[value eq "x"]'}
    parsed = groups.parse_operations
    for operations in ([replace], [_add({"value": "x"}), rename], [pathless], [filtered]):
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        }
        assert groups._named_members(parsed(body)) is None, operations
    assert groups._named_members(parsed({**body, "Operations": [_add({"value": "x"})]})) == {"x"}
