"""Validating SCIM resources with scim2-models, and rendering stored ones back (RFC 7643)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from scim2_models import Context, EnterpriseUser, Group, User

from gatehouse.models import DirectoryGroup, DirectoryUser
from gatehouse.scim.errors import invalid_path, invalid_value, mutability
from gatehouse.scim.profiles import GENERIC, Profile, Quirk

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
UserModel = User[EnterpriseUser]
SERVER_OWNED = {"id", "meta", "schemas"}
MAX_ATTRIBUTE_CHARS = 320
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _split_custom(body: dict[str, Any], known: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Core attributes for validation, and custom extension blocks (`urn:…` keys) kept as sent."""
    core: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for key, value in body.items():
        lowered = key.lower()
        if lowered in SERVER_OWNED:
            continue
        if lowered.startswith("urn:") and lowered not in known:
            if not isinstance(value, dict):
                raise invalid_value(f"Extension {key} must be an object.")
            custom[key] = value
        else:
            core[key] = value
    return core, custom


def _validate(model: Any, core: dict[str, Any], *, patch: bool) -> dict[str, Any]:
    try:
        parsed = model.model_validate(core)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if patch and first["type"] == "extra_forbidden":
            # A PATCH path to an attribute the schema does not have (RFC 7644 §3.5.2).
            raise invalid_path(f"No attribute {where} in the schema.") from None
        raise invalid_value(f"{where}: {first['msg']}") from None
    # The response context drops what is never returned (passwords) and the server's fields.
    dumped: dict[str, Any] = parsed.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    for key in SERVER_OWNED:
        dumped.pop(key, None)
    return dumped


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_ATTRIBUTE_CHARS:
        raise invalid_value(f"{what} must be a string of at most {MAX_ATTRIBUTE_CHARS} chars.")
    return value


def _lowered(value: str, what: str) -> str:
    # Lowercasing can lengthen text ("İ" becomes two characters): the copy must fit too.
    lowered = value.lower()
    if len(lowered) > MAX_ATTRIBUTE_CHARS:
        raise invalid_value(f"{what} must be at most {MAX_ATTRIBUTE_CHARS} chars lowercased.")
    return lowered


def _without_groups(body: dict[str, Any], profile: Profile, *, patch: bool) -> dict[str, Any]:
    """`groups` is read-only on a User (RFC 7643 §4.1.2): it comes from /Groups. Okta sends it
    back with the whole user; other profiles are told it is read-only."""
    key = next((k for k in body if k.lower() == "groups"), None)
    if key is None:
        return body
    if not patch and not profile.allows(Quirk.PUT_WHOLE_USER):
        raise mutability(
            f"groups is read-only (set members through /Groups); the {profile.name} profile "
            "does not accept it."
        )
    return {k: v for k, v in body.items() if k != key}


def _manager_as_object(core: dict[str, Any], profile: Profile) -> dict[str, Any]:
    key = next((k for k in core if k.lower() == ENTERPRISE_SCHEMA.lower()), None)
    block = core.get(key) if key is not None else None
    if key is None or not isinstance(block, dict):
        return core
    name = next((k for k in block if k.lower() == "manager"), None)
    if name is None or not isinstance(block[name], str):
        return core
    if not profile.allows(Quirk.STRING_MANAGER):
        raise invalid_value(profile.refusal('A string for manager (send {"value": "<id>"})'))
    manager = block[name].strip()
    fixed = {k: v for k, v in block.items() if k != name}
    if manager:
        fixed[name] = {"value": manager}
    return {**core, key: fixed}


def clean_user(
    body: dict[str, Any], *, patch: bool = False, profile: Profile = GENERIC
) -> dict[str, Any]:
    body = _without_groups(body, profile, patch=patch)
    core, custom = _split_custom(body, {ENTERPRISE_SCHEMA.lower()})
    core = _manager_as_object(core, profile)
    resource = _validate(UserModel, core, patch=patch)
    user_name = _text(resource.get("userName"), "userName")
    if not user_name or not user_name.strip():
        raise invalid_value("userName is required.")
    return {**resource, **custom}


def clean_group(body: dict[str, Any], *, patch: bool = False) -> dict[str, Any]:
    core, custom = _split_custom(body, set())
    resource = _validate(Group, core, patch=patch)
    name = _text(resource.get("displayName"), "displayName")
    if not name or not name.strip():
        raise invalid_value("displayName is required.")
    return {**resource, **custom}


def primary_email(resource: dict[str, Any]) -> str | None:
    emails = [e for e in resource.get("emails") or [] if isinstance(e.get("value"), str)]
    chosen = next((e for e in emails if e.get("primary")), None)
    chosen = chosen or next((e for e in emails if e.get("type") == "work"), None)
    chosen = chosen or (emails[0] if emails else None)
    return chosen["value"].strip().lower()[:320] if chosen else None


def _short(value: str | None) -> str | None:
    return value.strip()[:200] or None if value else None


def _email(resource: dict[str, Any], user_name: str, profile: Profile) -> str | None:
    email = primary_email(resource)
    if email is None and profile.allows(Quirk.USERNAME_AS_EMAIL) and EMAIL_SHAPE.match(user_name):
        # Entra ID's userName is the UPN, an address; it sends no emails when mail is empty.
        return user_name.lower()[:320]
    return email


def store_user_fields(
    diru: DirectoryUser, resource: dict[str, Any], profile: Profile = GENERIC
) -> None:
    """Copy the indexed columns out of the resource (what filters and members need)."""
    name = resource.get("name") or {}
    diru.resource = {k: v for k, v in resource.items() if k != "schemas"}
    diru.user_name = resource["userName"].strip()
    diru.user_name_lower = _lowered(diru.user_name, "userName")
    diru.external_id = _text(resource.get("externalId"), "externalId")
    diru.email = _email(resource, diru.user_name, profile)
    diru.given_name = _short(_text(name.get("givenName"), "name.givenName"))
    diru.family_name = _short(_text(name.get("familyName"), "name.familyName"))
    diru.display_name = _text(resource.get("displayName"), "displayName")
    active = resource.get("active")
    diru.active = True if active is None else bool(active)


def store_group_fields(group: DirectoryGroup, resource: dict[str, Any]) -> None:
    group.resource = {k: v for k, v in resource.items() if k not in {"schemas", "members"}}
    group.display_name = resource["displayName"].strip()
    group.display_name_lower = _lowered(group.display_name, "displayName")
    group.external_id = _text(resource.get("externalId"), "externalId")


def _meta(kind: str, created: datetime, modified: datetime, version: int, location: str) -> dict:
    return {
        "resourceType": kind,
        "created": created.isoformat(),
        "lastModified": modified.isoformat(),
        "version": etag(version),
        "location": location,
    }


def etag(version: int) -> str:
    return f'W/"{version}"'


def render_user(diru: DirectoryUser, base: str) -> dict[str, Any]:
    resource = dict(diru.resource)
    schemas = [USER_SCHEMA] + [k for k in resource if k.lower().startswith("urn:")]
    if "active" in resource:
        resource["active"] = diru.active
    location = f"{base}/Users/{diru.id}"
    meta = _meta("User", diru.created_at, diru.updated_at, diru.version, location)
    return {"schemas": schemas, "id": diru.id, **resource, "meta": meta}


def render_group(group: DirectoryGroup, members: list[dict[str, Any]], base: str) -> dict:
    resource = dict(group.resource)
    schemas = [GROUP_SCHEMA] + [k for k in resource if k.lower().startswith("urn:")]
    location = f"{base}/Groups/{group.id}"
    meta = _meta("Group", group.created_at, group.updated_at, group.version, location)
    return {"schemas": schemas, "id": group.id, **resource, "members": members, "meta": meta}
