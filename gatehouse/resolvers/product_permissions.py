"""Product permissions: the operator's own (`videos:create`), defined once for the environment.

Gatehouse's API permissions (`members:read`, …) are a reserved namespace beside them: a role
may hold both, a product permission may not take a built-in name.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import ALL_PERMISSIONS, ORGANIZATION_PERMISSIONS, Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import ProductPermission
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator, not_found
from gatehouse.resolvers.validation import check_id, clean_name, clean_slug

# `resource:action`, as products name them (WorkOS, Auth0); up to three colon-separated parts.
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*(:[a-z0-9*][a-z0-9_.*-]*){0,2}$")
MAX_SLUG = 64
MAX_DESCRIPTION = 500


def permission_data(permission: ProductPermission) -> dict[str, Any]:
    return {
        "id": permission.id,
        "slug": permission.slug,
        "name": permission.name,
        "description": permission.description,
    }


def _clean_slug(v: Validator, value: str) -> str:
    slug = (value or "").strip().lower()
    if len(slug) > MAX_SLUG or not _SLUG.match(slug):
        v.add(
            ErrorCode.INVALID_SLUG,
            f"Slug must be up to {MAX_SLUG} lowercase characters like `videos:create`.",
            "slug",
        )
    elif slug in ALL_PERMISSIONS:
        v.add(
            ErrorCode.PERMISSION_RESERVED,
            "This name is one of Gatehouse's own permissions.",
            "slug",
        )
    return slug


def _clean_description(v: Validator, value: str | None) -> str:
    description = (value or "").strip()
    if len(description) > MAX_DESCRIPTION:
        v.add(
            ErrorCode.TOO_LONG,
            f"Description must be at most {MAX_DESCRIPTION} characters.",
            "description",
        )
    return description


async def list_permissions(principal: Principal) -> list[ProductPermission]:
    # The catalog is the environment's, not a tenant's: organizations read it to build roles.
    require(principal, Permission.ROLES_READ)
    return await ProductPermission.all().order_by("slug")


async def clean_role_permissions(
    v: Validator, permissions: list[str] | None, *, admin: bool = False
) -> list[str]:
    """A role's permissions: Gatehouse's organization permissions and defined product ones.
    `admin` always holds every Gatehouse permission, so no change can lock an organization
    out of its own settings; only its product permissions vary."""
    chosen = {p.strip() for p in permissions or []}
    built_in = chosen & ORGANIZATION_PERMISSIONS
    rest = sorted(chosen - built_in)
    found = await ProductPermission.filter(slug__in=rest).values_list("slug", flat=True)
    known = {str(slug) for slug in found} if rest else set()
    unknown = [p for p in rest if p not in known]
    if unknown:
        v.add(
            ErrorCode.INVALID_PERMISSION,
            f"Unknown permissions: {', '.join(unknown[:5])}.",
            "permissions",
        )
    if admin:
        built_in |= ORGANIZATION_PERMISSIONS
    return sorted(built_in | known)


async def clean_new_role(
    v: Validator, slug: str, name: str, permissions: list[str]
) -> tuple[str, str, list[str]]:
    """A new role's slug, name and permissions (custom and environment roles alike)."""
    return (
        clean_slug(v, slug, "slug"),
        clean_name(v, name, "name", max_len=100),
        await clean_role_permissions(v, permissions),
    )


async def create_permission(
    principal: Principal, slug: str, name: str, description: str | None = None
) -> ProductPermission:
    require(principal, Permission.ENVIRONMENT_MANAGE)
    v = Validator()
    slug = _clean_slug(v, slug)
    name = clean_name(v, name, "name", max_len=100)
    description = _clean_description(v, description)
    async with in_transaction():
        if await ProductPermission.filter(slug=slug).exists():
            v.add(ErrorCode.PERMISSION_SLUG_TAKEN, "A permission with this slug exists.", "slug")
        v.check()
        permission = await ProductPermission.create(slug=slug, name=name, description=description)
        await record_event("permission.created", None, permission_data(permission))
    return permission


async def _for_change(permission_id: str) -> ProductPermission:
    check_id(permission_id, "perm", "permission", "permissionId")
    permission = await ProductPermission.filter(id=permission_id).select_for_update().first()
    if permission is None:
        raise not_found("Permission", "permissionId")
    return permission


async def update_permission(
    principal: Principal,
    permission_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
) -> ProductPermission:
    """Name and description (None: unchanged); the slug is what roles and tokens carry, so it
    stays."""
    require(principal, Permission.ENVIRONMENT_MANAGE)
    v = Validator()
    async with in_transaction():
        permission = await _for_change(permission_id)
        if name is not None:
            permission.name = clean_name(v, name, "name", max_len=100)
        if description is not None:
            permission.description = _clean_description(v, description)
        v.check()
        await permission.save()
        await record_event("permission.updated", None, permission_data(permission))
    return permission


async def delete_permission(principal: Principal, permission_id: str) -> str:
    require(principal, Permission.ENVIRONMENT_MANAGE)
    async with in_transaction():
        permission = await _for_change(permission_id)
        holders = await roles_holding(permission.slug)
        if holders:
            raise DomainError.of(
                ErrorCode.PERMISSION_IN_USE,
                f"Roles hold this permission ({', '.join(holders[:5])}); "
                "take it out of them first.",
                "permissionId",
            )
        data = permission_data(permission)
        await permission.delete()
        await record_event("permission.deleted", None, data)
    return permission_id


# A JSON list holding one string, in SQL (a full scan of every organization's roles in Python
# would not scale): jsonb containment on PostgreSQL, json_each on SQLite.
_HOLDERS = {
    "postgres": (
        "SELECT slug FROM environment_roles WHERE permissions @> $1::jsonb "
        "UNION SELECT slug FROM roles WHERE permissions @> $1::jsonb LIMIT 6"
    ),
    "sqlite": (
        "SELECT slug FROM environment_roles, json_each(environment_roles.permissions) "
        "WHERE json_each.value = ? UNION SELECT slug FROM roles, json_each(roles.permissions) "
        "WHERE json_each.value = ? LIMIT 6"
    ),
}


async def roles_holding(slug: str) -> list[str]:
    """Slugs of environment and organization roles that hold this permission (a few)."""
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(_HOLDERS["postgres"], [json.dumps([slug])])
    else:
        rows = await conn.execute_query_dict(_HOLDERS["sqlite"], [slug, slug])
    return sorted({str(r["slug"]) for r in rows})
