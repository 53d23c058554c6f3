"""Applying what a directory pushes: directory users and groups become members and roles.

Called by the SCIM routes inside the request's transaction, with the directory (the caller
the bearer token identified) as the authority. Only this directory's organization is ever
touched: a person's memberships elsewhere (by invitation, another directory) stay as they are.
"""

from __future__ import annotations

from typing import Any

from gatehouse.auth.sessions import revoke_member_sessions
from gatehouse.events.outbox import record_event, record_events
from gatehouse.models import (
    DeprovisioningAction,
    Directory,
    DirectoryGroup,
    DirectoryGroupMember,
    DirectoryUser,
    Event,
    Member,
    MemberSource,
    MemberStatus,
    Role,
    User,
    batch,
    reads,
)
from gatehouse.models.audit_trail import hold_member
from gatehouse.resolvers.directories.people import find_user, follow_email, would_hold
from gatehouse.resolvers.directories.roles import (
    bulk_events,
    default_role,
    desired_roles,
    previewing,
    recompute_roles,
)
from gatehouse.resolvers.members import membership_data
from gatehouse.resolvers.recording.changes import note


def directory_user_data(diru: DirectoryUser) -> dict[str, Any]:
    return {
        "id": diru.id,
        "directory_id": diru.directory_id,
        "user_name": diru.user_name,
        "external_id": diru.external_id,
        "email": diru.email,
        "first_name": diru.given_name,
        "last_name": diru.family_name,
        "state": "active" if diru.active else "inactive",
        "user_id": diru.user_id,
        "member_id": diru.member_id,
        "awaiting_proof": diru.awaiting_proof,
    }


def directory_group_data(group: DirectoryGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "directory_id": group.directory_id,
        "name": group.display_name,
        "external_id": group.external_id,
    }


async def activate(
    directory: Directory, diru: DirectoryUser, *, in_groups: bool = True
) -> Event | None:
    """`in_groups=False`: a directory user not stored yet, so in no group."""
    # A linked person who is a member (every PATCH after the first sign of them): the member,
    # locked, with its person and role in one read.
    member = (
        await reads.first_joined(
            Member,
            ("user", "role"),
            lock=True,
            organization_id=directory.organization_id,
            user_id=diru.user_id,
        )
        if diru.user_id
        else None
    )
    role: Role | None = None
    if member is not None:
        user, role = member.user, member.role
        await follow_email(directory, diru, user)
    else:
        found, new_user = await find_user(directory, diru)
        if found is None:
            diru.awaiting_proof, diru.member_id = True, None
            return None
        user = found
        if not new_user:
            member = await reads.first(
                Member, lock=True, organization_id=directory.organization_id, user_id=user.id
            )
    diru.awaiting_proof = False
    event = None
    role_slug = None
    if member is None:
        desired = await desired_roles(directory, [diru.id]) if in_groups else {}
        if desired:
            role_id = desired[diru.id]
            role_slug = (await Role.get(id=role_id)).slug
        else:
            role_id, role_slug = await default_role(directory.organization_id)
        member = Member(
            organization_id=directory.organization_id,
            user_id=user.id,  # not `user=`: Tortoise refuses a user that is only queued
            role_id=role_id,
            status=MemberStatus.ACTIVE,
            source=MemberSource.DIRECTORY,
        )
        await batch.create(member)
        hold_member(member.id, role_id, fresh=True)  # its period needs no read of the row
        event = "organization_membership.created"
        note(f"membership.created {member.id}")
    elif member.status is not MemberStatus.ACTIVE:
        member.status = MemberStatus.ACTIVE
        await member.save(update_fields=["status", "updated_at"])
        hold_member(member.id, member.role_id)
        role_slug = role.slug if role is not None else (await Role.get(id=member.role_id)).slug
        event = "organization_membership.updated"
        note(f"membership.reactivated {member.id}")
    diru.user_id, diru.member_id = user.id, member.id
    if event is None:
        return None
    return Event(
        type=event,
        organization_id=directory.organization_id,
        data=membership_data(member, role_slug),
    )


async def _locked_member(directory: Directory, member_id: str) -> Member | None:
    """The member row locked for this transaction, with its role in the same read (only the
    member's row is locked: roles are shared by every member holding them)."""
    return await reads.first_joined(
        Member, ("role",), lock=True, id=member_id, organization_id=directory.organization_id
    )


async def deactivate(
    directory: Directory, diru: DirectoryUser, member: Member | None = None
) -> Event | None:
    """`member`: the directory user's member, when the caller already holds it locked."""
    if not diru.member_id:
        return None
    member = member or await _locked_member(directory, diru.member_id)
    if member is None or member.status is MemberStatus.INACTIVE:
        return None
    # Revoked in the same transaction: a deprovisioned person is signed out at once.
    await revoke_member_sessions(member.id)
    member.status = MemberStatus.INACTIVE
    await member.save(update_fields=["status", "updated_at"])
    hold_member(member.id, member.role_id)
    note(f"membership.deactivated {member.id}")
    return Event(
        type="organization_membership.updated",
        organization_id=directory.organization_id,
        data=membership_data(member, member.role.slug),
    )


async def apply_user(directory: Directory, diru: DirectoryUser, *, created: bool) -> None:
    """Save a SCIM-created or -updated user, apply it to the membership, record both events."""
    membership_event = None
    if await previewing(directory):
        # Mirrored, linking rule included (a held user shows as held), but no member yet.
        if diru.active and diru.email:
            diru.awaiting_proof = await would_hold(directory, diru)
        note("membership held (preview)")
    elif diru.active and diru.email:
        membership_event = await activate(directory, diru, in_groups=not created)
    elif not diru.active:
        membership_event = await deactivate(directory, diru)
    if diru.awaiting_proof:
        note("held: awaiting proof of the address")
    # Written with the request's other rows (models/batch.py), after the user and member it
    # may name.
    await (batch.create(diru) if created else batch.save(diru))
    note(f"user.{'created' if created else 'updated'} {diru.id}")
    mirror = Event(
        type="dsync.user.created" if created else "dsync.user.updated",
        organization_id=directory.organization_id,
        data=directory_user_data(diru),
    )
    # Both events, in the order they happened.
    await record_events(e for e in (membership_event, mirror) if e is not None)


async def delete_user(directory: Directory, diru: DirectoryUser) -> None:
    """SCIM DELETE: per the directory's deprovisioning action, then the mirror row goes."""
    data = directory_user_data(diru)
    note(f"user.deleted {diru.id}")
    member = (
        await _locked_member(directory, diru.member_id)
        if diru.member_id and not await previewing(directory)
        else None
    )
    removable = (
        member is not None
        and directory.deprovisioning_action is DeprovisioningAction.DELETE
        and member.source is MemberSource.DIRECTORY
    )
    if member is not None and removable:
        member_data = membership_data(member, member.role.slug)
        await revoke_member_sessions(member.id)
        hold_member(member.id, member.role_id)  # locked above
        await member.delete()
        note(f"membership.deleted {member.id}")
        await record_event(
            "organization_membership.deleted", directory.organization_id, member_data
        )
    else:
        # DEACTIVATE, or a membership the directory did not create (an invitation, an
        # admin): it loses access here but is not erased.
        event = await deactivate(directory, diru, member)
        if event is not None:
            await record_events([event])
    groups = await DirectoryGroupMember.filter(directory_user_id=diru.id).values_list(
        "group_id", flat=True
    )
    await bulk_events(
        "dsync.group.user_removed",
        directory.organization_id,
        ({"directory_id": directory.id, "group_id": g, "user": data} for g in groups),
    )
    await diru.delete()
    await record_event("dsync.user.deleted", directory.organization_id, data)


async def change_group_members(
    directory: Directory,
    group: DirectoryGroup,
    add: set[str],
    remove: set[str],
    displays: dict[str, str | None] | None = None,
    current: set[str] | None = None,
) -> None:
    """Apply member additions and removals (ids already checked to be this directory's).
    `current`: the group's members, when the caller read them under the group's lock."""
    displays = displays or {}
    if current is None:
        current = {
            str(u)
            for u in await DirectoryGroupMember.filter(group_id=group.id).values_list(
                "directory_user_id", flat=True
            )
        }
    added = sorted(add - current - remove)
    removed = sorted((remove & current) - add)
    for u in added:
        await batch.create(
            DirectoryGroupMember(group_id=group.id, directory_user_id=u, display=displays.get(u))
        )
    if removed:
        await DirectoryGroupMember.filter(group_id=group.id, directory_user_id__in=removed).delete()
    if added or removed:
        note(f"group.members {group.id} +{len(added)} -{len(removed)}")
    base = {"directory_id": directory.id, "group": directory_group_data(group)}
    org_id = directory.organization_id
    await bulk_events("dsync.group.user_added", org_id, ({**base, "user_id": u} for u in added))
    await bulk_events("dsync.group.user_removed", org_id, ({**base, "user_id": u} for u in removed))
    await recompute_roles(directory, added + removed)


async def group_created(directory: Directory, group: DirectoryGroup) -> None:
    note(f"group.created {group.id}")
    await record_event(
        "dsync.group.created", directory.organization_id, directory_group_data(group)
    )


async def group_updated(directory: Directory, group: DirectoryGroup) -> None:
    note(f"group.updated {group.id}")
    await record_event(
        "dsync.group.updated", directory.organization_id, directory_group_data(group)
    )


async def delete_group(directory: Directory, group: DirectoryGroup) -> None:
    user_ids = await DirectoryGroupMember.filter(group_id=group.id).values_list(
        "directory_user_id", flat=True
    )
    members = {str(u) for u in user_ids}
    await change_group_members(directory, group, set(), members, current=members)
    data = directory_group_data(group)
    note(f"group.deleted {group.id}")
    await group.delete()
    # Its mapping went with it (cascade): members fall back to their other groups' roles.
    await recompute_roles(directory, [str(u) for u in user_ids])
    await record_event("dsync.group.deleted", directory.organization_id, data)


async def claim_held(user: User | None, email: str | None = None) -> User | None:
    """The person proved their address (an emailed code, an invitation, their organization's
    SSO): every directory that holds a user at it gets its member now. With no user yet for
    the address (`email`), one is made when a directory holds it. Returns the user."""
    address = user.email if user is not None else email
    held = (
        await DirectoryUser.filter(email=address, awaiting_proof=True, active=True)
        .order_by("id")
        .select_for_update()
    )
    if not held:
        return user
    if user is None:
        user = await User.create(email=address, email_verified=True)
    for diru in held:
        directory = await Directory.get(id=diru.directory_id)
        diru.user_id = user.id
        if await previewing(directory):
            # Proven now: a joiner in the directory's diff, a member once it is applied.
            diru.awaiting_proof = False
            await diru.save(update_fields=["user_id", "awaiting_proof", "updated_at"])
            continue
        event = await activate(directory, diru)
        diru.awaiting_proof = False
        await diru.save(update_fields=["user_id", "member_id", "awaiting_proof", "updated_at"])
        if event is not None:
            await record_events([event])
    return user
