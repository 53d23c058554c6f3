"""Applying what a directory pushes: directory users and groups become members and roles.

Called by the SCIM routes inside the request's transaction, with the directory (the caller
the bearer token identified) as the authority. Only this directory's organization is ever
touched: a person's memberships elsewhere (by invitation, another directory) stay as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tortoise.expressions import Subquery

from gatehouse.auth.sessions import revoke_member_sessions
from gatehouse.events import record_event
from gatehouse.models import (
    DeprovisioningAction,
    Directory,
    DirectoryGroup,
    DirectoryGroupMember,
    DirectoryMode,
    DirectoryUser,
    Event,
    GroupRoleMapping,
    Member,
    MemberSource,
    MemberStatus,
    Organization,
    Role,
    User,
)
from gatehouse.resolvers.members import membership_data
from gatehouse.resolvers.recording.changes import note
from gatehouse.resolvers.users.linking import may_move, organization_owns, owned_elsewhere
from gatehouse.resolvers.users.profiles import change_email


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


async def _bulk_events(type: str, organization_id: str, rows: Iterable[dict[str, Any]]) -> None:
    """Many events of one kind in one INSERT (a group PATCH may add thousands of members)."""
    events = [Event(type=type, organization_id=organization_id, data=data) for data in rows]
    if events:
        await Event.bulk_create(events, batch_size=500)


async def _desired_roles(directory: Directory, diru_ids: list[str]) -> dict[str, str]:
    """Role id per directory user from the group mappings (highest priority wins).

    Users in no mapped group get the organization's default role. With no mappings at all
    the directory does not manage roles, and the result is empty.
    """
    mappings = await GroupRoleMapping.filter(directory_id=directory.id).order_by("-priority", "id")
    if not mappings or not diru_ids:
        return {}
    rank = {m.group_id: (i, m.role_id) for i, m in enumerate(mappings)}
    rows = await DirectoryGroupMember.filter(
        directory_user_id__in=diru_ids, group_id__in=list(rank)
    ).values_list("directory_user_id", "group_id")
    best: dict[str, tuple[int, str]] = {}
    for diru_id, group_id in rows:
        candidate = rank[str(group_id)]
        if str(diru_id) not in best or candidate < best[str(diru_id)]:
            best[str(diru_id)] = candidate
    default = await _default_role(directory.organization_id)
    return {d: best[d][1] if d in best else default.id for d in diru_ids}


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
    desired = await _desired_roles(directory, diru_ids)
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
    slugs = dict(await Role.filter(id__in=list(by_role)).values_list("id", "slug"))
    for role_id, changed in by_role.items():
        note(f"membership.role_changed {len(changed)} → {slugs[role_id]}")
        await Member.filter(id__in=[m.id for m in changed]).update(role_id=role_id)
        await _bulk_events(
            "organization_membership.updated",
            directory.organization_id,
            ({**membership_data(m, slugs[role_id]), "reason": "directory_group"} for m in changed),
        )


async def _find_user(directory: Directory, diru: DirectoryUser) -> tuple[User | None, bool]:
    """The person, and whether the user is new: by the identity already linked, then by an
    email the linking rule lets this directory use, else a new user. None when the address
    may not be linked here (users/linking.py): the directory user is then held."""
    user = await User.get_or_none(id=diru.user_id) if diru.user_id else None
    if user is not None:
        await _follow_email(directory, diru, user)
        return user, False
    assert diru.email is not None
    owned = await organization_owns(directory.organization_id, diru.email)
    user = await User.get_or_none(email=diru.email)
    if user is not None:
        return (user, False) if owned else (None, False)
    if not owned and await owned_elsewhere(directory.organization_id, diru.email):
        return None, False  # another organization's domain: not this directory's to create
    user = await User.create(
        email=diru.email, first_name=diru.given_name, last_name=diru.family_name
    )
    return user, True


async def _follow_email(directory: Directory, diru: DirectoryUser, user: User) -> None:
    """A new address from the IdP reaches the person when this organization owns both."""
    if (
        diru.email
        and diru.email != user.email
        and await may_move(directory.organization_id, user.email, diru.email)
    ):
        await change_email(
            user, diru.email, {"directory_id": directory.id, "directory_user_id": diru.id}
        )


async def _default_role(organization_id: str) -> Role:
    # One query: the role whose slug is the organization's default.
    slug = Subquery(Organization.filter(id=organization_id).values("default_role_slug"))
    return await Role.get(organization_id=organization_id, slug=slug)


async def _activate(directory: Directory, diru: DirectoryUser) -> Event | None:
    user, new_user = await _find_user(directory, diru)
    diru.awaiting_proof = user is None
    if user is None:
        diru.member_id = None
        return None
    member = None
    if not new_user:
        member = (
            await Member.filter(organization_id=directory.organization_id, user_id=user.id)
            .select_for_update()
            .first()
        )
    event = None
    if member is None:
        desired = await _desired_roles(directory, [diru.id])
        role = (
            await Role.get(id=desired[diru.id])
            if desired
            else await _default_role(directory.organization_id)
        )
        member = await Member.create(
            organization_id=directory.organization_id,
            user=user,
            role=role,
            status=MemberStatus.ACTIVE,
            source=MemberSource.DIRECTORY,
        )
        event = "organization_membership.created"
        note(f"membership.created {member.id}")
    elif member.status is not MemberStatus.ACTIVE:
        member.status = MemberStatus.ACTIVE
        await member.save(update_fields=["status", "updated_at"])
        role = await Role.get(id=member.role_id)
        event = "organization_membership.updated"
        note(f"membership.reactivated {member.id}")
    diru.user_id, diru.member_id = user.id, member.id
    if event is None:
        return None
    return Event(
        type=event,
        organization_id=directory.organization_id,
        data=membership_data(member, role.slug),
    )


async def _deactivate(directory: Directory, diru: DirectoryUser) -> Event | None:
    if not diru.member_id:
        return None
    member = (
        await Member.filter(id=diru.member_id, organization_id=directory.organization_id)
        .select_for_update()
        .first()
    )
    if member is None or member.status is MemberStatus.INACTIVE:
        return None
    # Revoked in the same transaction: a deprovisioned person is signed out at once.
    await revoke_member_sessions(member.id)
    member.status = MemberStatus.INACTIVE
    await member.save(update_fields=["status", "updated_at"])
    note(f"membership.deactivated {member.id}")
    role = await Role.get(id=member.role_id)
    return Event(
        type="organization_membership.updated",
        organization_id=directory.organization_id,
        data=membership_data(member, role.slug),
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
        membership_event = await _activate(directory, diru)
    elif not diru.active:
        membership_event = await _deactivate(directory, diru)
    if diru.awaiting_proof:
        note("held: awaiting proof of the address")
    await diru.save()
    note(f"user.{'created' if created else 'updated'} {diru.id}")
    mirror = Event(
        type="dsync.user.created" if created else "dsync.user.updated",
        organization_id=directory.organization_id,
        data=directory_user_data(diru),
    )
    # Both events in one INSERT, in the order they happened.
    await Event.bulk_create([e for e in (membership_event, mirror) if e is not None])


async def delete_user(directory: Directory, diru: DirectoryUser) -> None:
    """SCIM DELETE: per the directory's deprovisioning action, then the mirror row goes."""
    data = directory_user_data(diru)
    note(f"user.deleted {diru.id}")
    member = (
        await Member.filter(id=diru.member_id, organization_id=directory.organization_id)
        .select_for_update()
        .first()
        if diru.member_id and not await previewing(directory)
        else None
    )
    removable = (
        member is not None
        and directory.deprovisioning_action is DeprovisioningAction.DELETE
        and member.source is MemberSource.DIRECTORY
    )
    if member is not None and removable:
        role = await Role.get(id=member.role_id)
        member_data = membership_data(member, role.slug)
        await revoke_member_sessions(member.id)
        await member.delete()
        note(f"membership.deleted {member.id}")
        await record_event(
            "organization_membership.deleted", directory.organization_id, member_data
        )
    else:
        # DEACTIVATE, or a membership the directory did not create (an invitation, an
        # admin): it loses access here but is not erased.
        event = await _deactivate(directory, diru)
        if event is not None:
            await event.save()
    groups = await DirectoryGroupMember.filter(directory_user_id=diru.id).values_list(
        "group_id", flat=True
    )
    await _bulk_events(
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
) -> None:
    """Apply member additions and removals (ids already checked to be this directory's)."""
    displays = displays or {}
    current = set(
        await DirectoryGroupMember.filter(group_id=group.id).values_list(
            "directory_user_id", flat=True
        )
    )
    added = sorted(add - current - remove)
    removed = sorted((remove & current) - add)
    if added:
        await DirectoryGroupMember.bulk_create(
            [
                DirectoryGroupMember(
                    group_id=group.id, directory_user_id=u, display=displays.get(u)
                )
                for u in added
            ],
            batch_size=500,
        )
    if removed:
        await DirectoryGroupMember.filter(group_id=group.id, directory_user_id__in=removed).delete()
    if added or removed:
        note(f"group.members {group.id} +{len(added)} -{len(removed)}")
    base = {"directory_id": directory.id, "group": directory_group_data(group)}
    org_id = directory.organization_id
    await _bulk_events("dsync.group.user_added", org_id, ({**base, "user_id": u} for u in added))
    await _bulk_events(
        "dsync.group.user_removed", org_id, ({**base, "user_id": u} for u in removed)
    )
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
    await change_group_members(directory, group, set(), {str(u) for u in user_ids})
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
        event = await _activate(directory, diru)
        diru.awaiting_proof = False
        await diru.save(update_fields=["user_id", "member_id", "awaiting_proof", "updated_at"])
        if event is not None:
            await event.save()
    return user


async def would_hold(directory: Directory, diru: DirectoryUser) -> bool:
    """What `_find_user` would decide, without creating anyone: whether the linking rule holds
    this directory user until the person proves the address."""
    if diru.user_id or diru.email is None:
        return False
    if await organization_owns(directory.organization_id, diru.email):
        return False
    if await User.filter(email=diru.email).exists():
        return True
    return await owned_elsewhere(directory.organization_id, diru.email)


async def existing_member(directory: Directory, diru: DirectoryUser) -> Member | None:
    """The organization's member this directory user is, by the linked identity or by an
    address the organization owns (the linking rule), without creating anyone."""
    user = await User.get_or_none(id=diru.user_id) if diru.user_id else None
    if (
        user is None
        and diru.email
        and await organization_owns(directory.organization_id, diru.email)
    ):
        user = await User.get_or_none(email=diru.email)
    if user is None:
        return None
    return await Member.get_or_none(organization_id=directory.organization_id, user_id=user.id)


async def apply_mirrored(directory: Directory) -> None:
    """PREVIEW → LIVE: every mirrored user is applied as if LIVE had received it, then roles
    follow groups. The caller holds the directory's row lock and switched its mode to LIVE."""
    dirus = await DirectoryUser.filter(directory_id=directory.id).order_by("id").select_for_update()
    events: list[Event] = []
    for diru in dirus:
        event = None
        if diru.active and diru.email:
            event = await _activate(directory, diru)
        elif not diru.active:
            member = await existing_member(directory, diru)
            if member is not None:
                diru.user_id, diru.member_id = member.user_id, member.id
                event = await _deactivate(directory, diru)
        await diru.save(update_fields=["user_id", "member_id", "awaiting_proof", "updated_at"])
        if event is not None:
            events.append(event)
    if events:
        await Event.bulk_create(events, batch_size=500)
    await recompute_roles(directory, [d.id for d in dirus])
