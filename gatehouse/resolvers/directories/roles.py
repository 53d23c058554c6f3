"""Roles that follow groups: a directory's group → role mappings decide its members' roles.

Split from sync.py (which applies users and groups): the rule for which role a directory
user gets, and the recomputation after group memberships change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tortoise import Tortoise

from gatehouse.events.outbox import record_events
from gatehouse.models import (
    Directory,
    DirectoryGroupMember,
    DirectoryMode,
    DirectoryUser,
    Event,
    GroupRoleMapping,
    Member,
    Role,
    batch,
)
from gatehouse.models.audit_trail import hold_member
from gatehouse.resolvers.members import membership_data
from gatehouse.resolvers.recording.changes import note

# The organization's default role in one statement, without the ORM's subquery building
# (a fifth of a user create's ORM time in the profile).
DEFAULT_ROLE = (
    'SELECT r."id", r."slug" FROM "roles" r JOIN "organizations" o '
    'ON o."id" = r."organization_id" AND o."default_role_slug" = r."slug" WHERE o."id" = {}'
)


async def bulk_events(type: str, organization_id: str, rows: Iterable[dict[str, Any]]) -> None:
    """Many events of one kind (a group PATCH may add thousands of members)."""
    await record_events(Event(type=type, organization_id=organization_id, data=d) for d in rows)


async def default_role(organization_id: str) -> tuple[str, str]:
    """(id, slug) of the organization's default role."""
    conn = Tortoise.get_connection("default")  # the request's transaction, when in one
    mark = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(DEFAULT_ROLE.format(mark), [organization_id])
    return str(rows[0]["id"]), str(rows[0]["slug"])


async def desired_roles(directory: Directory, diru_ids: list[str]) -> dict[str, str]:
    """Role id per directory user from the group mappings (highest priority wins).

    Users in no mapped group get the organization's default role. With no mappings at all
    the directory does not manage roles, and the result is empty.
    """
    mappings = await GroupRoleMapping.filter(directory_id=directory.id).order_by("-priority", "id")
    if not mappings or not diru_ids:
        return {}
    await batch.flush()  # group members this request queued (models/batch.py) count
    rank = {m.group_id: (i, m.role_id) for i, m in enumerate(mappings)}
    rows = await DirectoryGroupMember.filter(
        directory_user_id__in=diru_ids, group_id__in=list(rank)
    ).values_list("directory_user_id", "group_id")
    best: dict[str, tuple[int, str]] = {}
    for diru_id, group_id in rows:
        candidate = rank[str(group_id)]
        if str(diru_id) not in best or candidate < best[str(diru_id)]:
            best[str(diru_id)] = candidate
    default_id = ""
    if len(best) < len(diru_ids):
        default_id, _ = await default_role(directory.organization_id)
    return {d: best[d][1] if d in best else default_id for d in diru_ids}


async def previewing(directory: Directory) -> bool:
    """Whether membership changes are held (PREVIEW). Read again under the directory's row
    lock: a push that mirrors while applyDirectoryChanges switches to LIVE either commits
    first (and is part of what gets applied) or waits and then sees LIVE."""
    if directory.mode is DirectoryMode.LIVE:
        return False
    fresh = await Directory.filter(id=directory.id).select_for_update().first()
    if fresh is not None:
        directory.mode = fresh.mode
    return directory.mode is DirectoryMode.PREVIEW


async def recompute_roles(directory: Directory, diru_ids: list[str]) -> None:
    if await previewing(directory):
        return  # the diff (directories/preview.py) computes roles when it is read
    desired = await desired_roles(directory, diru_ids)
    if not desired:
        return
    links = await DirectoryUser.filter(
        id__in=list(desired), member_id__not_isnull=True
    ).values_list("id", "member_id")
    member_ids = {str(m): str(d) for d, m in links}
    # Locked in id order, so two requests recomputing overlapping members cannot deadlock.
    members = (
        await Member.filter(id__in=list(member_ids), organization_id=directory.organization_id)
        .order_by("id")
        .select_for_update()
    )
    by_role: dict[str, list[Member]] = defaultdict(list)
    for member in members:
        role_id = desired[member_ids[member.id]]
        if member.role_id != role_id:
            member.role_id = role_id
            by_role[role_id].append(member)
    if not by_role:
        return
    slugs = dict(await Role.filter(id__in=list(by_role)).values_list("id", "slug"))
    for role_id, changed in by_role.items():
        note(f"membership.role_changed {len(changed)} → {slugs[role_id]}")
        await Member.filter(id__in=[m.id for m in changed]).update(role_id=role_id)
        for member in changed:
            hold_member(member.id, role_id)  # locked above, its role now this one
        await bulk_events(
            "organization_membership.updated",
            directory.organization_id,
            ({**membership_data(m, slugs[role_id]), "reason": "directory_group"} for m in changed),
        )
