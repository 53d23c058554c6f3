"""/Users (RFC 7644 §3.3-3.6): the directory's people, mirrored and applied to members."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gatehouse.models import DirectoryUser, reads
from gatehouse.resolvers.directories import sync as directory_sync
from gatehouse.scim.errors import not_found, scim_response
from gatehouse.scim.filters import USERS, parse_filter, sort_order
from gatehouse.scim.http import (
    ScimRequest,
    ensure_unique,
    list_response,
    locked_resource,
    page_params,
    project,
    with_search_body,
)
from gatehouse.scim.patch import Patcher, parse_operations
from gatehouse.scim.profiles import Profile, profile_for
from gatehouse.scim.resources import (
    ENTERPRISE_SCHEMA,
    USER_SCHEMA,
    clean_user,
    etag,
    render_user,
    store_user_fields,
)


def _profile(scim: ScimRequest) -> Profile:
    return profile_for(scim.directory.type)


def _respond(scim: ScimRequest, diru: DirectoryUser, status: int = 200) -> Response:
    body = project(render_user(diru, scim.base_url), scim, USER_SCHEMA)
    headers = {"ETag": etag(diru.version)}
    if status == 201:
        headers["Location"] = body["meta"]["location"]
    return scim_response(body, status, headers)


async def create_user(scim: ScimRequest) -> Response:
    resource = clean_user(await scim.json(), profile=_profile(scim))
    # Uniqueness of userName is the database's unique index: a clash raises IntegrityError,
    # answered 409 uniqueness (no check-then-insert race).
    diru = DirectoryUser(directory_id=scim.directory.id)
    store_user_fields(diru, resource, _profile(scim))
    await directory_sync.apply_user(scim.directory, diru, created=True)
    return _respond(scim, diru, 201)


async def get_user(scim: ScimRequest) -> Response:
    diru = await reads.first(DirectoryUser, id=scim.path_id, directory_id=scim.directory.id)
    if diru is None:
        raise not_found("User")
    return _respond(scim, diru)


async def list_users(scim: ScimRequest) -> Response:
    query = DirectoryUser.filter(directory_id=scim.directory.id)
    if text := scim.param("filter"):
        query = query.filter(parse_filter(text, USERS))
    start, count = page_params(scim)
    total = await query.count()
    order = sort_order(scim.param("sortBy"), scim.param("sortOrder"), USERS)
    rows = await query.order_by(*order).offset(start - 1).limit(count) if count else []
    resources = [project(render_user(r, scim.base_url), scim, USER_SCHEMA) for r in rows]
    return scim_response(list_response(resources, total, start))


async def search_users(scim: ScimRequest) -> Response:
    return await list_users(await with_search_body(scim))


async def _save(scim: ScimRequest, diru: DirectoryUser, resource: dict[str, Any]) -> Response:
    await ensure_unique(scim, DirectoryUser, "userName", resource["userName"], diru)
    store_user_fields(diru, resource, _profile(scim))
    diru.version += 1
    await directory_sync.apply_user(scim.directory, diru, created=False)
    return _respond(scim, diru)


async def replace_user(scim: ScimRequest) -> Response:
    body = await scim.json()
    diru = await locked_resource(scim, DirectoryUser, "User")
    return await _save(scim, diru, clean_user(body, profile=_profile(scim)))


async def patch_user(scim: ScimRequest) -> Response:
    profile = _profile(scim)
    operations = parse_operations(await scim.json(), profile)
    diru = await locked_resource(scim, DirectoryUser, "User")
    current = {**diru.resource, "active": diru.active}
    patched = Patcher(current, USER_SCHEMA, (ENTERPRISE_SCHEMA,), profile).apply(operations)
    return await _save(scim, diru, clean_patched(current, patched, profile))


def clean_patched(
    current: dict[str, Any], patched: dict[str, Any], profile: Profile
) -> dict[str, Any]:
    """The patched user, cleaned. Only the attributes the PATCH changed (and userName, which
    every user must have) are validated: the stored ones were cleaned when stored, and
    validating a whole user again was the largest part of a PATCH's CPU (issue 22)."""
    changed = {
        k: v
        for k, v in patched.items()
        if k not in current or current[k] != v or k.lower() == "username"
    }
    cleaned = clean_user(changed, patch=True, profile=profile)
    # In the patched user's order; what validation renamed (a key's case) or dropped stays so.
    kept = {k: current[k] for k in patched if k not in changed}
    return {**kept, **cleaned}


async def delete_user(scim: ScimRequest) -> Response:
    diru = await locked_resource(scim, DirectoryUser, "User")
    await directory_sync.delete_user(scim.directory, diru)
    return Response(status_code=204)
