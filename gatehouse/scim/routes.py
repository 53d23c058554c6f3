"""The SCIM routes, mounted by server/app.py under /scim/v2/{directory_id}."""

from __future__ import annotations

from typing import NoReturn

from starlette.routing import Route

from gatehouse.scim import discovery, groups, users
from gatehouse.scim.errors import ScimError, not_found
from gatehouse.scim.http import Handler, ScimRequest, endpoint

BASE = "/scim/v2/{directory_id}"


async def _unknown(scim: ScimRequest) -> NoReturn:
    raise not_found("Endpoint")


async def _not_allowed(scim: ScimRequest) -> NoReturn:
    raise ScimError(405, f"{scim.request.method} is not allowed here.")


async def _root_search(scim: ScimRequest) -> NoReturn:
    # RFC 7644 §3.4.3 makes searching every resource type at once optional; §3.12: 501.
    raise ScimError(501, "Search /Users/.search or /Groups/.search instead.")


def _discovery(path: str, get: Handler) -> list[Route]:
    return [
        Route(f"{BASE}{path}", endpoint(get), methods=["GET"]),
        Route(
            f"{BASE}{path}",
            endpoint(_not_allowed),
            methods=["POST", "PUT", "PATCH", "DELETE"],
        ),
    ]


def _pair(path: str, get: Handler, post: Handler) -> list[Route]:
    return [
        Route(f"{BASE}{path}", endpoint(get), methods=["GET"]),
        Route(f"{BASE}{path}", endpoint(post, write=True), methods=["POST"]),
        Route(
            f"{BASE}{path}",
            endpoint(_not_allowed),
            methods=["PUT", "PATCH", "DELETE"],
        ),
    ]


def _item(path: str, get: Handler, put: Handler, patch: Handler, delete: Handler) -> list[Route]:
    item = f"{BASE}{path}/{{resource_id}}"
    return [
        Route(item, endpoint(get), methods=["GET"]),
        Route(item, endpoint(put, write=True), methods=["PUT"]),
        Route(item, endpoint(patch, write=True), methods=["PATCH"]),
        Route(item, endpoint(delete, write=True), methods=["DELETE"]),
        Route(item, endpoint(_not_allowed), methods=["POST"]),
    ]


routes: list[Route] = [
    # POST /.search (RFC 7644 §3.4.3) before the item routes, so it is not read as an id.
    Route(f"{BASE}/.search", endpoint(_root_search), methods=["POST"]),
    Route(f"{BASE}/Users/.search", endpoint(users.search_users), methods=["POST"]),
    Route(f"{BASE}/Groups/.search", endpoint(groups.search_groups), methods=["POST"]),
    *_pair("/Users", users.list_users, users.create_user),
    *_item("/Users", users.get_user, users.replace_user, users.patch_user, users.delete_user),
    *_pair("/Groups", groups.list_groups, groups.create_group),
    *_item(
        "/Groups", groups.get_group, groups.replace_group, groups.patch_group, groups.delete_group
    ),
    *_discovery("/ServiceProviderConfig", discovery.get_service_provider_config),
    *_discovery("/ResourceTypes", discovery.list_resource_types),
    *_discovery("/ResourceTypes/{resource_id}", discovery.get_resource_type),
    *_discovery("/Schemas", discovery.list_schemas),
    *_discovery("/Schemas/{resource_id:path}", discovery.get_schema),
    # Anything else under a directory: a SCIM 404 (after auth), never Starlette's plain one.
    Route(
        f"{BASE}/{{rest:path}}",
        endpoint(_unknown),
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    ),
]
