"""A user PATCH validates only the attributes it changes (scim/users.py `clean_patched`): the
result must be what validating the whole patched user gives, refusals included, for every
profile's users and PATCH shapes (the transcripts' and harder ones)."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.scim import users
from gatehouse.scim.errors import ScimError
from gatehouse.scim.patch import Patcher, parse_operations
from gatehouse.scim.profiles import profile_for
from gatehouse.scim.resources import ENTERPRISE_SCHEMA, USER_SCHEMA, clean_user
from tests.dsync.replay import TRANSCRIPTS, directory_type

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


# Beyond the transcripts: sub-attributes, filters, removals, extensions, case, bad values.
SHAPES = [
    _patch({"op": "replace", "path": "active", "value": False}),
    _patch({"op": "replace", "value": {"active": True}}),
    _patch({"op": "replace", "path": "name.givenName", "value": "Given"}),
    _patch({"op": "replace", "value": {"name.givenName": "G", "name.familyName": "F"}}),
    _patch({"op": "replace", "path": 'emails[type eq "work"].value', "value": "w@x.example"}),
    _patch({"op": "add", "path": "emails", "value": [{"value": "h@x.example", "type": "home"}]}),
    _patch({"op": "remove", "path": "displayName"}),
    _patch({"op": "remove", "path": "name.givenName"}),
    _patch({"op": "replace", "path": "DISPLAYNAME", "value": "Shouted"}),
    _patch({"op": "replace", "path": "nickName", "value": "Nick"}),
    _patch({"op": "replace", "path": "userName", "value": "renamed@x.example"}),
    _patch({"op": "replace", "path": "userName", "value": "   "}),
    _patch({"op": "remove", "path": "userName"}),
    _patch({"op": "replace", "path": f"{ENTERPRISE_SCHEMA}:department", "value": "Sales"}),
    _patch({"op": "replace", "path": f"{ENTERPRISE_SCHEMA}:manager", "value": "mgr-1"}),
    _patch({"op": "replace", "path": "title", "value": 42}),
    _patch({"op": "replace", "path": "emails", "value": "not a list"}),
    _patch({"op": "add", "path": "noSuchAttribute", "value": "x"}),
    _patch({"op": "add", "path": "urn:example:custom:1.0:User:badge", "value": "7"}),
    _patch(
        {"op": "replace", "path": "displayName", "value": "Both"},
        {"op": "replace", "path": "active", "value": "False"},
    ),
]


def _outcome(clean: Any) -> Any:
    try:
        return ("ok", clean())
    except ScimError as e:
        return ("refused", e.status, e.scim_type, e.detail)


def _cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases = []
    for name, transcript in TRANSCRIPTS.items():
        steps = transcript["steps"]
        created = [s["body"] for s in steps if s["method"] == "POST" and s["path"] == "/Users"]
        patches = [s["body"] for s in steps if s["method"] == "PATCH" and "/Users" in s["path"]]
        cases += [(name, body, patch) for body in created for patch in [*patches, *SHAPES]]
    return cases


@pytest.mark.parametrize(("profile_name", "created", "patch"), _cases())
def test_a_patch_cleans_as_validating_the_whole_user_would(
    profile_name: str, created: dict[str, Any], patch: dict[str, Any]
) -> None:
    profile = profile_for(directory_type(profile_name))
    stored = clean_user(created, profile=profile)  # as the create stored it
    current = {**{k: v for k, v in stored.items() if k != "schemas"}, "active": True}
    try:
        operations = parse_operations(patch, profile)
        patched = Patcher(current, USER_SCHEMA, (ENTERPRISE_SCHEMA,), profile).apply(operations)
    except ScimError:
        return  # refused before validation: both paths alike
    whole = _outcome(lambda: clean_user(patched, patch=True, profile=profile))
    partial = _outcome(lambda: users.clean_patched(current, patched, profile))
    assert partial == whole


def test_only_the_changed_attributes_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[set[str]] = []
    real = users.clean_user

    def spy(body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        seen.append(set(body))
        return real(body, **kwargs)

    monkeypatch.setattr(users, "clean_user", spy)
    profile = profile_for(directory_type("ENTRA"))
    current = {
        "userName": "a@x.example",
        "name": {"givenName": "A", "familyName": "B"},
        "emails": [{"value": "a@x.example", "type": "work", "primary": True}],
        "displayName": "A B",
        "active": True,
    }
    patched = {**current, "name": {"givenName": "C", "familyName": "B"}}
    users.clean_patched(current, patched, profile)
    assert seen == [{"userName", "name"}]
