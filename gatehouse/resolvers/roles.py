"""Roles: named permission sets per organization. Its copies of the environment roles
(`admin`, `member` and the operator's) may be overridden; its custom roles are its own."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import (
    EnvironmentRole,
    Invitation,
    InvitationState,
    Member,
    MemberStatus,
    Organization,
    Role,
)
from gatehouse.resolvers.access import locked_for_change, require, visible_organization
from gatehouse.resolvers.environment_roles import ADMIN
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.organizations import UNSET, organization_for_change
from gatehouse.resolvers.product_permissions import clean_new_role, clean_role_permissions
from gatehouse.resolvers.validation import clean_name


def role_data(role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "slug": role.slug,
        "name": role.name,
        "permissions": role.permissions,
        "environment_role": role.environment_role,
        "overridden": role.overridden,
    }


def _refuse_environment_copy(role: Role) -> None:
    if role.environment_role:
        raise DomainError.of(
            ErrorCode.ENVIRONMENT_ROLE,
            "This is an environment role: the operator changes it for every organization; "
            "overrideEnvironmentRole changes its permissions here.",
            "roleId",
        )


async def get_role(principal: Principal, role_id: str) -> Role | None:
    require(principal, Permission.ROLES_READ)
    role = await Role.get_or_none(id=role_id)
    if role is None or not visible_organization(principal, role.organization_id):
        return None
    return role


async def _role_for_change(principal: Principal, role_id: str) -> Role:
    return await locked_for_change(principal, Role, role_id, "role", "Role", "roleId")


async def create_role(
    principal: Principal,
    organization_id: str,
    slug: str,
    name: str,
    permissions: list[str],
) -> Role:
    require(principal, Permission.ROLES_WRITE)
    v = Validator()
    slug, name, chosen = await clean_new_role(v, slug, name, permissions)
    async with in_transaction():
        org: Organization = await organization_for_change(principal, organization_id)
        if await Role.filter(organization_id=org.id, slug=slug).exists():
            v.add(ErrorCode.ROLE_SLUG_TAKEN, "A role with this slug exists.", "slug")
        v.check()
        role = await Role.create(organization=org, slug=slug, name=name, permissions=chosen)
        await record_event("role.created", org.id, role_data(role))
    return role


async def update_role(
    principal: Principal,
    role_id: str,
    *,
    name: Any = UNSET,
    permissions: Any = UNSET,
) -> Role:
    require(principal, Permission.ROLES_WRITE)
    v = Validator()
    async with in_transaction():
        role = await _role_for_change(principal, role_id)
        if role.system and permissions is not UNSET:
            raise DomainError.of(
                ErrorCode.SYSTEM_ROLE, "Built-in roles keep their permissions.", "permissions"
            )
        _refuse_environment_copy(role)
        if name is not UNSET:
            role.name = clean_name(v, name, "name", max_len=100)
        if permissions is not UNSET:
            role.permissions = await clean_role_permissions(v, permissions)
        v.check()
        await role.save()
        await record_event("role.updated", role.organization_id, role_data(role))
    return role


async def delete_role(principal: Principal, role_id: str) -> str:
    require(principal, Permission.ROLES_WRITE)
    async with in_transaction():
        role = await _role_for_change(principal, role_id)
        if role.system:
            raise DomainError.of(
                ErrorCode.SYSTEM_ROLE, "Built-in roles cannot be deleted.", "roleId"
            )
        _refuse_environment_copy(role)
        if await Member.filter(role_id=role.id).exists():
            raise DomainError.of(
                ErrorCode.ROLE_IN_USE, "Move its members to another role first.", "roleId"
            )
        if await Invitation.filter(role_id=role.id, state=InvitationState.PENDING).exists():
            raise DomainError.of(
                ErrorCode.ROLE_IN_USE,
                "Pending invitations use this role; revoke them first.",
                "roleId",
            )
        org = await Organization.get(id=role.organization_id)
        if org.default_role_slug == role.slug:
            raise DomainError.of(
                ErrorCode.ROLE_IN_USE, "This role is the organization's default role.", "roleId"
            )
        data = role_data(role)
        await role.delete()
        await record_event("role.deleted", role.organization_id, data)
    return role_id


async def _environment_copy(organization_id: str, role_slug: str) -> Role:
    role = (
        await Role.filter(organization_id=organization_id, slug=(role_slug or "").strip().lower())
        .select_for_update()
        .first()
    )
    if role is None:
        raise DomainError.of(ErrorCode.ROLE_NOT_FOUND, "No role with this slug.", "roleSlug")
    if not role.environment_role:
        raise DomainError.of(
            ErrorCode.ENVIRONMENT_ROLE,
            "This is the organization's own role: change it with updateRole.",
            "roleSlug",
        )
    return role


async def override_environment_role(
    principal: Principal, organization_id: str, role_slug: str, permissions: list[str]
) -> Role:
    """This organization's permissions for an environment role; later changes to the
    environment role leave them alone until `reset_environment_role`."""
    require(principal, Permission.ROLES_WRITE)
    v = Validator()
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        role = await _environment_copy(org.id, role_slug)
        role.permissions = await clean_role_permissions(v, permissions, admin=role.slug == ADMIN)
        v.check()
        role.overridden = True
        await role.save()
        await record_event("role.updated", org.id, role_data(role))
    return role


async def reset_environment_role(
    principal: Principal, organization_id: str, role_slug: str
) -> Role:
    """Back to the environment's permissions, following its changes again."""
    require(principal, Permission.ROLES_WRITE)
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        role = await _environment_copy(org.id, role_slug)
        source = await EnvironmentRole.get(slug=role.slug)
        role.permissions, role.overridden = list(source.permissions), False
        await role.save()
        await record_event("role.updated", org.id, role_data(role))
    return role


async def check_permission(principal: Principal, member_id: str, permission: str) -> bool:
    """Whether this member, ACTIVE, holds the permission through their role; false for a
    member the caller cannot see (existence is not told apart)."""
    require(principal, Permission.MEMBERS_READ)
    member = await Member.get_or_none(id=member_id)
    if (
        member is None
        or not visible_organization(principal, member.organization_id)
        or member.status is not MemberStatus.ACTIVE
    ):
        return False
    role = await Role.get(id=member.role_id)
    return permission.strip() in role.permissions


def viewer_permissions(principal: Principal) -> list[str]:
    """What the caller holds: a session's role includes its product permissions, which never
    reach Gatehouse's own checks (those see only the Gatehouse permissions). The role was read
    with the session on this request (auth/sessions.py), so this reads nothing."""
    return sorted(principal.permissions | principal.role_permissions)
