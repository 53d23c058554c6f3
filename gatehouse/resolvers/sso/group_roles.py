"""Roles from SSO groups: a connection's group → role mappings, applied at every sign-in.

The model and the rule are the directory's (`resolvers/directories`): one mapping per group,
the highest priority wins (ties: the older mapping), and with mappings in place a person in no
mapped group gets the organization's default role. A connection without mappings leaves roles
alone.

Precedence: a member whose role the directory manages (linked to a directory user of a
directory with group mappings) keeps that role. SCIM pushes changes as they happen and carries
the full group membership, while an assertion is a snapshot the IdP may trim (group filters,
the 150-group overage of Entra ID); when both speak, the directory is the better source.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import (
    Connection,
    ConnectionGroupRoleMapping,
    DirectoryUser,
    GroupRoleMapping,
    Member,
    Organization,
    Role,
)
from gatehouse.resolvers.access import require
from gatehouse.resolvers.directories.lifecycle import check_priority, put_mapping
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.members import membership_data
from gatehouse.resolvers.sso.connections import connection_for_change, get_connection

MAX_GROUP = 256


def mapping_data(mapping: ConnectionGroupRoleMapping, role_slug: str | None) -> dict[str, Any]:
    return {
        "connection_id": mapping.connection_id,
        "group": mapping.group,
        "role": role_slug,
        "priority": mapping.priority,
    }


async def list_group_role_mappings(
    principal: Principal, connection_id: str
) -> list[ConnectionGroupRoleMapping]:
    conn = await get_connection(principal, connection_id)
    if conn is None:
        return []
    return await _ranked(conn.id)


async def _ranked(connection_id: str) -> list[ConnectionGroupRoleMapping]:
    return await ConnectionGroupRoleMapping.filter(connection_id=connection_id).order_by(
        "-priority", "id"
    )


async def set_connection_group_role_mapping(
    principal: Principal,
    connection_id: str,
    group: str,
    role_slug: str | None,
    priority: int = 0,
) -> ConnectionGroupRoleMapping | None:
    """Map an IdP group to a role (or remove the mapping with `role_slug=None`). It applies
    from each member's next sign-in: SSO has no push."""
    require(principal, Permission.CONNECTIONS_WRITE)
    group = (group or "").strip()
    if not group or len(group) > MAX_GROUP:
        raise DomainError.of(
            ErrorCode.REQUIRED if not group else ErrorCode.TOO_LONG,
            f"Name the group as the IdP sends it (1-{MAX_GROUP} characters).",
            "group",
        )
    check_priority(priority)
    async with in_transaction():
        conn = await connection_for_change(principal, connection_id)
        mapping = await put_mapping(
            ConnectionGroupRoleMapping,
            {"connection_id": conn.id, "group": group},
            conn.organization_id,
            role_slug,
            priority,
        )
        await record_event(
            "connection.group_role_mapping.updated",
            conn.organization_id,
            {"connection_id": conn.id, "group": group, "role": role_slug, "priority": priority},
        )
    return mapping


async def _directory_manages(member: Member) -> bool:
    directory_ids = await DirectoryUser.filter(member_id=member.id).values_list(
        "directory_id", flat=True
    )
    return (
        bool(directory_ids)
        and await GroupRoleMapping.filter(directory_id__in=list(directory_ids)).exists()
    )


async def role_for_groups(conn: Connection, groups: list[str]) -> Role | None:
    """The role these groups map to on this connection: the highest-priority mapped group's,
    else the organization's default; None when the connection maps no groups."""
    mappings = await _ranked(conn.id)
    if not mappings:
        return None
    held = set(groups)
    best = next((m for m in mappings if m.group in held), None)
    if best is not None:
        return await Role.get(id=best.role_id)
    org = await Organization.get(id=conn.organization_id)
    return await Role.get_or_none(organization_id=org.id, slug=org.default_role_slug)


async def follow_idp_groups(conn: Connection, member: Member, groups: list[str]) -> None:
    """At sign-in, inside its transaction: the member's role follows the IdP's groups, unless
    the directory manages it."""
    role = await role_for_groups(conn, groups)
    if role is None or role.id == member.role_id or await _directory_manages(member):
        return
    member.role_id = role.id
    await Member.filter(id=member.id).update(role_id=role.id)
    await record_event(
        "organization_membership.updated",
        member.organization_id,
        {**membership_data(member, role.slug), "reason": "sso_group"},
    )
