"""Dashboard sessions: opaque tokens stored hashed, checked against the member on every use.

Opaque, database-backed tokens (rather than self-contained JWTs) make revocation immediate:
deactivating a member revokes their sessions within the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatehouse.auth.permissions import ORGANIZATION_PERMISSIONS
from gatehouse.auth.principal import Principal, PrincipalKind
from gatehouse.auth.secrets import generate_secret, hash_secret
from gatehouse.models import Member, MemberStatus, Role, Session

SESSION_PREFIX = "sess"


async def issue_session(member: Member, ttl_seconds: int) -> tuple[Session, str]:
    """Create a session for an active member; returns the row and the token (shown once)."""
    token = generate_secret(SESSION_PREFIX)
    session = await Session.create(
        member=member,
        token_hash=hash_secret(token),
        expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds),
    )
    return session, token


async def revoke_member_sessions(member_id: str) -> int:
    return await Session.filter(member_id=member_id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )


async def authenticate_session(token: str) -> Principal | None:
    session = await Session.get_or_none(token_hash=hash_secret(token))
    now = datetime.now(UTC)
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        return None
    member = await Member.get_or_none(id=session.member_id)
    if member is None or member.status is not MemberStatus.ACTIVE:
        return None
    role = await Role.get(id=member.role_id)
    return Principal(
        kind=PrincipalKind.SESSION,
        organization_id=member.organization_id,
        permissions=frozenset(role.permissions) & ORGANIZATION_PERMISSIONS,
        member_id=member.id,
        user_id=member.user_id,
        session_id=session.id,
    )
