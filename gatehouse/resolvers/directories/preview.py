"""PREVIEW: what a directory's pushes would do to members, computed from the mirror, held until
an admin applies it (or discards the mirror and lets the IdP push again).

The diff is computed when it is read, from the mirrored users and groups, the group→role
mappings and the organization's members as they are now: editing a mapping changes it at
once, and applying runs the same rules LIVE runs (sync.py), so what was shown is what happens.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.events.outbox import record_events
from gatehouse.models import (
    Directory,
    DirectoryGroup,
    DirectoryGroupMember,
    DirectoryMode,
    DirectoryUser,
    Event,
    GroupRoleMapping,
    Member,
    MemberStatus,
    Organization,
    Role,
    User,
)
from gatehouse.resolvers.access import locked_for_change, require
from gatehouse.resolvers.directories.lifecycle import directory_data, get_directory
from gatehouse.resolvers.directories.people import existing_member
from gatehouse.resolvers.directories.roles import recompute_roles
from gatehouse.resolvers.directories.sync import activate, deactivate
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.pagination import check_page_size, decode_cursor
from gatehouse.resolvers.users.linking import organization_owns


class ChangeKind(StrEnum):
    JOINER = "JOINER"  # becomes an active member (new, or reactivated)
    MOVER = "MOVER"  # an active member whose role changes
    LEAVER = "LEAVER"  # an active member the IdP deactivated


@dataclass(frozen=True, slots=True)
class PendingChange:
    kind: ChangeKind
    directory_user: DirectoryUser
    email: str
    role_id: str  # the role it gets (a leaver keeps theirs, inactive)
    previous_role_id: str | None  # the member's role now, when there is a member
    mapping: GroupRoleMapping | None  # the mapping that chose `role_id`; None: the default


@dataclass(frozen=True, slots=True)
class ChangeCounts:
    joiners: int
    movers: int
    leavers: int

    def as_data(self) -> dict[str, int]:
        return {"joiners": self.joiners, "movers": self.movers, "leavers": self.leavers}


@dataclass(frozen=True, slots=True)
class ChangePage:
    items: list[PendingChange]
    has_next_page: bool
    has_previous_page: bool
    counts: ChangeCounts


async def _winning_mappings(
    directory: Directory, diru_ids: list[str]
) -> tuple[bool, dict[str, GroupRoleMapping]]:
    """Whether the directory maps roles at all, and the mapping each user's role comes from
    (highest priority, then oldest: the order sync.py's `_desired_roles` uses)."""
    mappings = await GroupRoleMapping.filter(directory_id=directory.id).order_by("-priority", "id")
    if not mappings:
        return False, {}
    rank = {m.group_id: (i, m) for i, m in enumerate(mappings)}
    rows = await DirectoryGroupMember.filter(
        directory_user_id__in=diru_ids, group_id__in=list(rank)
    ).values_list("directory_user_id", "group_id")
    best: dict[str, tuple[int, GroupRoleMapping]] = {}
    for diru_id, group_id in rows:
        candidate = rank[str(group_id)]
        if str(diru_id) not in best or candidate[0] < best[str(diru_id)][0]:
            best[str(diru_id)] = candidate
    return True, {d: m for d, (_, m) in best.items()}


async def _people(
    directory: Directory, dirus: list[DirectoryUser]
) -> tuple[dict[str, User], dict[str, Member]]:
    """The user each directory user is (linked, or by an address the organization owns), and
    the organization's member per user id."""
    by_id = {u.id: u for u in await User.filter(id__in=[d.user_id for d in dirus if d.user_id])}
    emails = [d.email for d in dirus if d.email and not d.user_id]
    by_email = {u.email: u for u in await User.filter(email__in=emails)} if emails else {}
    people: dict[str, User] = {}
    for diru in dirus:
        user = by_id.get(diru.user_id or "")
        email = diru.email or ""
        # A held address is never linked; otherwise the linking rule decides.
        if (
            user is None
            and email in by_email
            and not diru.awaiting_proof
            and await organization_owns(directory.organization_id, email)
        ):
            user = by_email[email]
        if user is not None:
            people[diru.id] = user
    members = await Member.filter(
        organization_id=directory.organization_id, user_id__in=[u.id for u in people.values()]
    )
    return people, {m.user_id: m for m in members}


async def compute_changes(directory: Directory) -> list[PendingChange]:
    """Every joiner, mover and leaver the mirror would make, in directory-user order."""
    dirus = await DirectoryUser.filter(directory_id=directory.id).order_by("id")
    ids = [d.id for d in dirus]
    maps_roles, winning = await _winning_mappings(directory, ids)
    default = await Role.get(
        organization_id=directory.organization_id,
        slug=(await Organization.get(id=directory.organization_id)).default_role_slug,
    )
    people, members = await _people(directory, dirus)
    changes: list[PendingChange] = []
    for diru in dirus:
        user = people.get(diru.id)
        member = members.get(user.id) if user is not None else None
        mapping = winning.get(diru.id)
        desired = mapping.role_id if mapping else default.id
        if diru.active and diru.email and not diru.awaiting_proof:
            if member is None or member.status is not MemberStatus.ACTIVE:
                # A reactivated member keeps their role unless the directory maps roles.
                role = desired if maps_roles or member is None else member.role_id
                previous = member.role_id if member is not None else None
                changes.append(
                    PendingChange(ChangeKind.JOINER, diru, diru.email, role, previous, mapping)
                )
            elif maps_roles and member.role_id != desired:
                changes.append(
                    PendingChange(
                        ChangeKind.MOVER, diru, diru.email, desired, member.role_id, mapping
                    )
                )
        elif (
            not diru.active
            and user is not None
            and member is not None
            and member.status is MemberStatus.ACTIVE
        ):
            email, role = diru.email or user.email, member.role_id
            changes.append(PendingChange(ChangeKind.LEAVER, diru, email, role, role, None))
    return changes


def _counts(changes: list[PendingChange]) -> ChangeCounts:
    tally: dict[ChangeKind, int] = defaultdict(int)
    for change in changes:
        tally[change.kind] += 1
    return ChangeCounts(tally[ChangeKind.JOINER], tally[ChangeKind.MOVER], tally[ChangeKind.LEAVER])


async def pending_changes(
    principal: Principal,
    directory_id: str,
    first: int | None,
    after: str | None,
    kind: ChangeKind | None = None,
) -> ChangePage:
    """A page of the held changes (empty once LIVE), with the counts of all of them."""
    require(principal, Permission.DIRECTORIES_READ)
    size = check_page_size(first)
    cursor = decode_cursor(after) if after else None
    directory = await get_directory(principal, directory_id)
    if directory is None or directory.mode is not DirectoryMode.PREVIEW:
        return ChangePage(
            [],
            has_next_page=False,
            has_previous_page=cursor is not None,
            counts=ChangeCounts(0, 0, 0),
        )
    changes = await compute_changes(directory)
    listed = [
        c
        for c in changes
        if (kind is None or c.kind is kind) and (cursor is None or c.directory_user.id > cursor)
    ]
    return ChangePage(listed[:size], len(listed) > size, cursor is not None, _counts(changes))


async def _previewing_directory(principal: Principal, directory_id: str) -> Directory:
    directory = await locked_for_change(
        principal, Directory, directory_id, "dir", "Directory", "directoryId"
    )
    if directory.mode is not DirectoryMode.PREVIEW:
        raise DomainError.of(
            ErrorCode.DIRECTORY_NOT_IN_PREVIEW,
            "The directory is LIVE: its changes are applied as they arrive.",
            "directoryId",
        )
    return directory


async def apply_changes(principal: Principal, directory_id: str) -> tuple[Directory, ChangeCounts]:
    """Apply every held change in one transaction, with the usual events, and go LIVE."""
    require(principal, Permission.DIRECTORIES_WRITE)
    async with in_transaction():
        # The row lock waits for SCIM requests mirroring into this directory (sync.previewing).
        directory = await _previewing_directory(principal, directory_id)
        counts = _counts(await compute_changes(directory))
        directory.mode = DirectoryMode.LIVE
        await directory.save(update_fields=["mode", "updated_at"])
        await apply_mirrored(directory)
        await record_event(
            "dsync.changes_applied",
            directory.organization_id,
            {**directory_data(directory), **counts.as_data()},
        )
    return directory, counts


async def discard_changes(principal: Principal, directory_id: str) -> tuple[Directory, int]:
    """Drop the held changes: the mirror is emptied (users, groups and their mappings), nothing
    was applied, and the directory stays in PREVIEW for the IdP's next full push."""
    require(principal, Permission.DIRECTORIES_WRITE)
    async with in_transaction():
        directory = await _previewing_directory(principal, directory_id)
        # Counted first: a DELETE's row count includes the rows its cascades removed.
        users = await DirectoryUser.filter(directory_id=directory.id).count()
        groups = await DirectoryGroup.filter(directory_id=directory.id).count()
        await DirectoryUser.filter(directory_id=directory.id).delete()
        await DirectoryGroup.filter(directory_id=directory.id).delete()
        data: dict[str, Any] = {**directory_data(directory), "users": users, "groups": groups}
        await record_event("dsync.changes_discarded", directory.organization_id, data)
    return directory, users


async def apply_mirrored(directory: Directory) -> None:
    """PREVIEW → LIVE: every mirrored user is applied as if LIVE had received it, then roles
    follow groups. The caller holds the directory's row lock and switched its mode to LIVE."""
    dirus = await DirectoryUser.filter(directory_id=directory.id).order_by("id").select_for_update()
    events: list[Event] = []
    for diru in dirus:
        event = None
        if diru.active and diru.email:
            event = await activate(directory, diru)
        elif not diru.active:
            member = await existing_member(directory, diru)
            if member is not None:
                diru.user_id, diru.member_id = member.user_id, member.id
                event = await deactivate(directory, diru)
        await diru.save(update_fields=["user_id", "member_id", "awaiting_proof", "updated_at"])
        if event is not None:
            events.append(event)
    await record_events(events)
    await recompute_roles(directory, [d.id for d in dirus])
