"""Roles: named permission sets per organization (`admin` and `member` built in)."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import ORGANIZATION_PERMISSIONS, Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import Invitation, InvitationState, Member, Organization, Role
from gatehouse.resolvers.access import locked_for_change, require, visible_organization
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.organizations import UNSET, organization_for_change
from gatehouse.resolvers.validation import clean_name, clean_slug


def role_data(role: Role) -> dict[str, Any]:
    return {"id": role.id, "slug": role.slug, "name": role.name, "permissions": role.permissions}


def _clean_permissions(v: Validator, permissions: list[str] | None) -> list[str]:
    chosen = sorted(set(permissions or []))
    unknown = [p for p in chosen if p not in ORGANIZATION_PERMISSIONS]
    if unknown:
        v.add(
            ErrorCode.INVALID_PERMISSION,
            f"Unknown permissions: {', '.join(unknown[:5])}.",
            "permissions",
        )
    return chosen


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
    slug = clean_slug(v, slug, "slug")
    name = clean_name(v, name, "name", max_len=100)
    chosen = _clean_permissions(v, permissions)
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
        if name is not UNSET:
            role.name = clean_name(v, name, "name", max_len=100)
        if permissions is not UNSET:
            role.permissions = _clean_permissions(v, permissions)
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
