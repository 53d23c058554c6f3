"""Environment roles: defined once by the operator, present in every organization.

Each organization holds a copy of each environment role (a `Role` row with
`environment_role`), so members, invitations, mappings and the per-request session check keep
pointing at one row of their own organization. A change to an environment role is one
statement over every copy that is not `overridden`, and one event: the next access token
(and the next request) of every member sees it.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import (
    ADMIN_ROLE_PERMISSIONS,
    MEMBER_ROLE_PERMISSIONS,
    Permission,
)
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import (
    EnvironmentRole,
    Invitation,
    InvitationState,
    Member,
    Organization,
    Role,
)
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.product_permissions import clean_new_role, clean_role_permissions
from gatehouse.resolvers.validation import clean_name

ADMIN = "admin"
MEMBER = "member"
# The two every environment starts with; they cannot be deleted.
BUILT_IN: dict[str, tuple[str, tuple[str, ...]]] = {
    ADMIN: ("Admin", ADMIN_ROLE_PERMISSIONS),
    MEMBER: ("Member", MEMBER_ROLE_PERMISSIONS),
}


def environment_role_data(role: EnvironmentRole) -> dict[str, Any]:
    return {
        "id": role.id,
        "slug": role.slug,
        "name": role.name,
        "permissions": role.permissions,
        "is_default": role.is_default,
    }


async def environment_roles() -> list[EnvironmentRole]:
    """Every environment role, oldest first; `admin` and `member` are made on first use
    (a fresh database, or one that predates environment roles)."""
    roles = await EnvironmentRole.all().order_by("id")
    missing = BUILT_IN.keys() - {r.slug for r in roles}
    if not missing:
        return roles
    await EnvironmentRole.bulk_create(
        [
            EnvironmentRole(
                slug=slug,
                name=BUILT_IN[slug][0],
                permissions=list(BUILT_IN[slug][1]),
                is_default=slug == MEMBER and not any(r.is_default for r in roles),
            )
            for slug in sorted(missing)
        ],
        ignore_conflicts=True,  # a concurrent first use made them
    )
    return await EnvironmentRole.all().order_by("id")


async def _lock_catalog() -> list[EnvironmentRole]:
    """Serializes changes to the set of environment roles with organizations being created:
    each waits for the other, then reads again, so no organization misses a new role."""
    await EnvironmentRole.all().select_for_update()
    return await environment_roles()


async def copy_to_organization(org: Organization) -> None:
    """A new organization's roles: a copy of every environment role; its default role is the
    environment's. Call inside the transaction that creates the organization."""
    roles = await _lock_catalog()
    await Role.bulk_create(
        [
            Role(
                organization=org,
                slug=r.slug,
                name=r.name,
                permissions=list(r.permissions),
                system=r.slug in BUILT_IN,
                environment_role=True,
            )
            for r in roles
        ]
    )
    default = next((r.slug for r in roles if r.is_default), MEMBER)
    if org.default_role_slug != default:
        org.default_role_slug = default
        await org.save(update_fields=["default_role_slug", "updated_at"])


async def list_environment_roles(principal: Principal) -> list[EnvironmentRole]:
    # Readable by organizations too: they see which roles they may override.
    require(principal, Permission.ROLES_READ)
    return await environment_roles()


async def _role_for_change(slug: str) -> EnvironmentRole:
    await _lock_catalog()
    role = (
        await EnvironmentRole.filter(slug=(slug or "").strip().lower()).select_for_update().first()
    )
    if role is None:
        raise DomainError.of(
            ErrorCode.ROLE_NOT_FOUND, "No environment role with this slug.", "roleSlug"
        )
    return role


async def create_environment_role(
    principal: Principal, slug: str, name: str, permissions: list[str]
) -> EnvironmentRole:
    require(principal, Permission.ENVIRONMENT_MANAGE)
    v = Validator()
    slug, name, chosen = await clean_new_role(v, slug, name, permissions)
    async with in_transaction():
        existing = await _lock_catalog()
        if any(r.slug == slug for r in existing):
            v.add(ErrorCode.ROLE_SLUG_TAKEN, "An environment role with this slug exists.", "slug")
        else:
            clashes = await Role.filter(slug=slug).count()
            if clashes:
                v.add(
                    ErrorCode.ROLE_SLUG_TAKEN,
                    f"{clashes} organization(s) have a custom role with this slug.",
                    "slug",
                )
        v.check()
        role = await EnvironmentRole.create(slug=slug, name=name, permissions=chosen)
        org_ids = await Organization.all().values_list("id", flat=True)
        await Role.bulk_create(
            [
                Role(
                    organization_id=str(org_id),
                    slug=slug,
                    name=name,
                    permissions=chosen,
                    environment_role=True,
                )
                for org_id in org_ids
            ],
            batch_size=500,
        )
        await record_event(
            "environment_role.created",
            None,
            {**environment_role_data(role), "organizations": len(org_ids)},
        )
    return role


async def update_environment_role(
    principal: Principal,
    slug: str,
    *,
    name: str | None = None,
    permissions: list[str] | None = None,
) -> EnvironmentRole:
    """Rename it everywhere, or change its permissions in every organization that has not
    overridden them (None: unchanged)."""
    require(principal, Permission.ENVIRONMENT_MANAGE)
    v = Validator()
    async with in_transaction():
        role = await _role_for_change(slug)
        copies = Role.filter(environment_role=True, slug=role.slug)
        changed = 0
        if name is not None:
            role.name = clean_name(v, name, "name", max_len=100)
        if permissions is not None:
            role.permissions = await clean_role_permissions(
                v, permissions, admin=role.slug == ADMIN
            )
        v.check()
        await role.save()
        if name is not None:
            await copies.update(name=role.name)
        if permissions is not None:
            changed = await copies.filter(overridden=False).update(permissions=role.permissions)
        await record_event(
            "environment_role.updated",
            None,
            {**environment_role_data(role), "organizations_changed": changed},
        )
    return role


async def set_default_environment_role(principal: Principal, slug: str) -> EnvironmentRole:
    """The role newcomers get in every organization that did not choose its own default."""
    require(principal, Permission.ENVIRONMENT_MANAGE)
    async with in_transaction():
        role = await _role_for_change(slug)
        await EnvironmentRole.exclude(id=role.id).update(is_default=False)
        role.is_default = True
        await role.save()
        changed = await Organization.filter(default_role_inherited=True).update(
            default_role_slug=role.slug
        )
        await record_event(
            "environment_role.updated",
            None,
            {**environment_role_data(role), "organizations_changed": changed},
        )
    return role


async def delete_environment_role(principal: Principal, slug: str) -> str:
    require(principal, Permission.ENVIRONMENT_MANAGE)
    async with in_transaction():
        role = await _role_for_change(slug)
        if role.slug in BUILT_IN:
            raise DomainError.of(
                ErrorCode.SYSTEM_ROLE, "Built-in roles cannot be deleted.", "roleSlug"
            )
        if role.is_default:
            raise DomainError.of(
                ErrorCode.ROLE_IN_USE, "This is the environment's default role.", "roleSlug"
            )
        copy_ids = await Role.filter(environment_role=True, slug=role.slug).values_list(
            "id", flat=True
        )
        in_use = (
            await Member.filter(role_id__in=copy_ids).exists()
            or await Invitation.filter(role_id__in=copy_ids, state=InvitationState.PENDING).exists()
            or await Organization.filter(default_role_slug=role.slug).exists()
        )
        if in_use:
            raise DomainError.of(
                ErrorCode.ROLE_IN_USE,
                "Members, pending invitations or an organization's default use this role.",
                "roleSlug",
            )
        data = environment_role_data(role)
        await Role.filter(id__in=copy_ids).delete()
        await role.delete()
        await record_event("environment_role.deleted", None, data)
    return role.slug
