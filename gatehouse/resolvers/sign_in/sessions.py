"""Keeping a session going and ending it: refresh (and switch organization), sign out, revoke."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from gatehouse.auth import clock
from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal, PrincipalKind
from gatehouse.auth.sessions import Refresh, new_refresh_token, revoke, use_refresh_token
from gatehouse.events import record_event
from gatehouse.models import Member, MemberStatus, Organization, Role, Session, User
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.errors import DomainError, ErrorCode, not_found
from gatehouse.resolvers.sign_in.admission import check_admission
from gatehouse.resolvers.sign_in.authentication import (
    Authentication,
    access_token,
    session_data,
)
from gatehouse.resolvers.validation import check_id
from gatehouse.settings import Settings


def _refused() -> DomainError:
    return DomainError.of(
        ErrorCode.INVALID_REFRESH_TOKEN,
        "This refresh token is unknown, used or expired; sign in again.",
        "refreshToken",
    )


async def refresh_session(
    principal: Principal, refresh_token: str, organization_id: str | None, settings: Settings
) -> Authentication:
    """A new token pair; with `organizationId`, in another of the person's organizations."""
    require(principal, Permission.SESSIONS_MANAGE)
    result: Authentication | None = None
    async with in_transaction():
        use = await use_refresh_token(refresh_token)
        if use.outcome is Refresh.OK and use.session is not None:
            # A refusal here (a switch the target organization does not admit) rolls the
            # whole refresh back: the presented token stays valid.
            result = await _continue(use.session, organization_id, settings)
    # Otherwise nothing was refreshed; a reuse has revoked the session, and that committed.
    if result is None:
        raise _refused()
    return result


async def _continue(
    session: Session, organization_id: str | None, settings: Settings
) -> Authentication:
    # Sessions with refresh tokens record how they started (only legacy `sess_…` ones do not).
    method = session.authentication_method
    assert method is not None
    current = await Member.get(id=session.member_id)
    member = current
    if organization_id and organization_id != current.organization_id:
        target = await Member.filter(
            user_id=current.user_id, organization_id=organization_id, status=MemberStatus.ACTIVE
        ).first()
        if target is None:
            raise DomainError.of(
                ErrorCode.MEMBERSHIP_REQUIRED,
                "This person is not an active member of that organization.",
                "organizationId",
            )
        member = target
    if member.status is not MemberStatus.ACTIVE:
        raise _refused()
    organization = await Organization.get(id=member.organization_id)
    # The organization's rules apply to every extension of a session, not only its start.
    await check_admission(
        organization,
        member,
        session.authentication_method,
        session.connection_id,
        base_url=settings.base_url,
    )
    role = await Role.get(id=member.role_id)
    user = await User.get(id=member.user_id)
    if member.id != session.member_id:
        session.member_id = member.id
        await record_event(
            "session.switched",
            organization.id,
            {**session_data(session, user.id), "from_organization_id": current.organization_id},
        )
    session.last_refreshed_at = clock.now()
    await session.save(update_fields=["member_id", "last_refreshed_at", "updated_at"])
    token, expires_at = await access_token(settings, session, member, role)
    return Authentication(
        user=user,
        organization=organization,
        member=member,
        role=role,
        session=session,
        access_token=token,
        access_token_expires_at=expires_at,
        refresh_token=await new_refresh_token(session),
        method=method,
    )


async def sign_out(principal: Principal) -> Session:
    """End the caller's own session (an access token's, or a legacy `sess_…` token's)."""
    if principal.kind is not PrincipalKind.SESSION or principal.session_id is None:
        raise DomainError.of(
            ErrorCode.SESSION_REQUIRED,
            "Sign out with the person's own access token.",
            "authorization",
        )
    async with in_transaction():
        session = await Session.filter(id=principal.session_id).select_for_update().first()
        if session is None:
            raise not_found("Session")
        if session.revoked_at is None:
            await _revoke_with_event(session, "signed_out")
    return session


async def _revoke_with_event(session: Session, reason: str) -> None:
    await revoke(session, reason)
    member = await Member.get(id=session.member_id)
    await record_event(
        "session.revoked",
        member.organization_id,
        {**session_data(session, member.user_id), "reason": reason},
    )


@dataclass(frozen=True, slots=True)
class Revoked:
    count: int


async def revoke_sessions(
    principal: Principal, *, user_id: str | None, member_id: str | None
) -> Revoked:
    """Operators end a person's sessions everywhere (`userId`) or in one organization
    (`memberId`); an organization's admins, the sessions currently in their organization."""
    require(principal, Permission.MEMBERS_WRITE)
    if (user_id is None) == (member_id is None):
        raise DomainError.of(ErrorCode.REQUIRED, "Give exactly one of userId and memberId.")
    query = Session.filter(revoked_at=None, expires_at__gt=clock.now())
    if member_id is not None:
        check_id(member_id, "om", "memberId")
        member = await Member.get_or_none(id=member_id)
        if member is None or not visible_organization(principal, member.organization_id):
            raise not_found("Member", "memberId")
        query = query.filter(member_id=member.id)
    else:
        assert user_id is not None
        if principal.organization_id is not None:
            raise DomainError.of(
                ErrorCode.OPERATOR_ONLY,
                "Only the operator ends a person's sessions in every organization.",
                "userId",
            )
        check_id(user_id, "user", "userId")
        if not await User.exists(id=user_id):
            raise not_found("User", "userId")
        query = query.filter(member__user_id=user_id)
    async with in_transaction():
        sessions = await query.select_for_update()
        for session in sessions:
            await _revoke_with_event(session, "revoked")
    return Revoked(len(sessions))
