"""Merging two users who are one person (the operator's answer to `user.email_conflict`).

Everything the source holds moves to the target in one transaction: memberships (with their
sessions), linked SSO identities, directory links, invitations it accepted and sign-ins in
flight. Where both belong to the same organization the target's membership stays and the
source's goes (its sessions revoked). The source user is deleted; a pending email the target
was waiting for (the source's address) becomes the target's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.auth.sessions import revoke_member_sessions
from gatehouse.events import record_event
from gatehouse.models import (
    DirectoryUser,
    Invitation,
    LinkedIdentity,
    Member,
    PendingAuthentication,
    Role,
    SsoCode,
    User,
)
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.members import membership_data
from gatehouse.resolvers.users.lifecycle import user_for_change
from gatehouse.resolvers.users.profiles import user_data


@dataclass(slots=True)
class Merge:
    target: User
    moved_member_ids: list[str] = field(default_factory=list)
    dropped_member_ids: list[str] = field(default_factory=list)


async def _move_memberships(source: User, target: User, merge: Merge) -> None:
    rows = await Member.filter(user_id=target.id).values_list("organization_id", flat=True)
    held = {str(org_id) for org_id in rows}
    for member in await Member.filter(user_id=source.id).order_by("id").select_for_update():
        role = await Role.get(id=member.role_id)
        if member.organization_id in held:
            kept = await Member.get(organization_id=member.organization_id, user_id=target.id)
            await DirectoryUser.filter(member_id=member.id).update(member_id=kept.id)
            await revoke_member_sessions(member.id)
            data = membership_data(member, role.slug)
            await member.delete()
            await record_event("organization_membership.deleted", member.organization_id, data)
            merge.dropped_member_ids.append(member.id)
            continue
        member.user_id = target.id
        await member.save(update_fields=["user_id", "updated_at"])
        await record_event(
            "organization_membership.updated",
            member.organization_id,
            {**membership_data(member, role.slug), "reason": "users_merged"},
        )
        merge.moved_member_ids.append(member.id)


async def merge_users(principal: Principal, source_user_id: str, target_user_id: str) -> Merge:
    require(principal, Permission.USERS_MANAGE)
    if source_user_id == target_user_id:
        raise DomainError.of(
            ErrorCode.SAME_USER, "Choose two different users to merge.", "targetUserId"
        )
    async with in_transaction():
        # Locked in id order, so two merges of the same pair cannot deadlock.
        ordered = sorted([(source_user_id, "sourceUserId"), (target_user_id, "targetUserId")])
        locked = {uid: await user_for_change(uid, name) for uid, name in ordered}
        source, target = locked[source_user_id], locked[target_user_id]
        merge = Merge(target)
        await _move_memberships(source, target, merge)
        await LinkedIdentity.filter(user_id=source.id).update(user_id=target.id)
        await DirectoryUser.filter(user_id=source.id).update(user_id=target.id)
        await Invitation.filter(accepted_by_id=source.id).update(accepted_by_id=target.id)
        await PendingAuthentication.filter(user_id=source.id).update(user_id=target.id)
        await SsoCode.filter(user_id=source.id).update(user_id=target.id)
        address, external_id = source.email, source.external_id
        for key in ("first_name", "last_name"):
            if not getattr(target, key):
                setattr(target, key, getattr(source, key))
        await source.delete()
        if target.pending_email == address:
            target.email, target.email_verified, target.pending_email = address, True, None
        if target.external_id is None:
            target.external_id = external_id
        await target.save()
        await record_event(
            "user.merged",
            None,
            {
                "source_user_id": source_user_id,
                "target_user_id": target.id,
                "moved_member_ids": merge.moved_member_ids,
                "dropped_member_ids": merge.dropped_member_ids,
            },
        )
        await record_event("user.updated", None, user_data(target))
    return merge
