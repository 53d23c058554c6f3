"""Sessions: one sign-in of one person, currently in one organization, and how they are proven.

A sign-in creates a `Session` and its first refresh token; every refresh uses the token up and
issues the next one. Presenting a used token again revokes the whole session (reuse detection,
RFC 9700 §4.14): a stolen token is worth nothing once either party has refreshed. Access tokens
(auth/tokens.py) are checked against the session here on every Gatehouse request, so a revoked
session or a deactivated member is refused at once; the operator's product, verifying tokens by
itself, sees it at the next refresh.

Sessions from before access tokens carry an opaque `sess_…` token; those keep working until
they expire (`authenticate_session`), and no new ones are issued.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise import Tortoise

from gatehouse.auth import clock
from gatehouse.auth.permissions import ORGANIZATION_PERMISSIONS
from gatehouse.auth.principal import Principal, PrincipalKind
from gatehouse.auth.secrets import generate_secret, hash_secret
from gatehouse.auth.tokens import InvalidToken, verify_access_token
from gatehouse.models import (
    AuthenticationMethod,
    Member,
    MemberStatus,
    RefreshToken,
    Role,
    Session,
)

SESSION_PREFIX = "sess"
REFRESH_PREFIX = "rt"


async def issue_session(
    member: Member,
    method: AuthenticationMethod,
    ttl_seconds: int,
    *,
    connection_id: str | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> tuple[Session, str]:
    """A new session for an active member and its first refresh token (shown once)."""
    session = await Session.create(
        member=member,
        authentication_method=method,
        connection_id=connection_id,
        ip_address=ip_address,
        user_agent=user_agent,
        expires_at=clock.now() + timedelta(seconds=ttl_seconds),
    )
    return session, await new_refresh_token(session)


async def new_refresh_token(session: Session) -> str:
    token = generate_secret(REFRESH_PREFIX)
    await RefreshToken.create(session=session, token_hash=hash_secret(token))
    return token


class Refresh(StrEnum):
    OK = "OK"
    UNKNOWN = "UNKNOWN"  # never issued, or its session is gone
    REUSED = "REUSED"  # used before: the session is now revoked
    ENDED = "ENDED"  # the session was revoked or has expired


@dataclass(frozen=True, slots=True)
class RefreshUse:
    outcome: Refresh
    session: Session | None = None


async def use_refresh_token(token: str) -> RefreshUse:
    """Use a refresh token up, inside the caller's transaction. The row is locked, so of two
    concurrent uses of one token the second waits, finds it used, and revokes the session: one
    success, never two live chains. A reuse is committed by the caller even though it fails."""
    row = await RefreshToken.filter(token_hash=hash_secret(token or "")).select_for_update().first()
    if row is None:
        return RefreshUse(Refresh.UNKNOWN)
    session = await Session.filter(id=row.session_id).select_for_update().first()
    if session is None:
        return RefreshUse(Refresh.UNKNOWN)
    if row.used_at is not None:
        if session.revoked_at is None:
            await revoke(session, "refresh_token_reused")
        return RefreshUse(Refresh.REUSED, session)
    if session.revoked_at is not None or session.expires_at <= clock.now():
        return RefreshUse(Refresh.ENDED, session)
    row.used_at = clock.now()
    await row.save(update_fields=["used_at"])
    return RefreshUse(Refresh.OK, session)


async def revoke(session: Session, reason: str) -> None:
    session.revoked_at = clock.now()
    session.revoked_reason = reason
    await session.save(update_fields=["revoked_at", "revoked_reason", "updated_at"])


async def revoke_member_sessions(member_id: str, reason: str = "deprovisioned") -> int:
    """End every session currently in this membership (deprovisioning, removal)."""
    return await Session.filter(member_id=member_id, revoked_at=None).update(
        revoked_at=clock.now(), revoked_reason=reason
    )


async def authenticate_session(token: str) -> Principal | None:
    """A `sess_…` token from before access tokens."""
    session = await Session.get_or_none(token_hash=hash_secret(token))
    if session is None or session.revoked_at is not None or session.expires_at <= clock.now():
        return None
    member = await Member.get_or_none(id=session.member_id)
    if member is None or member.status is not MemberStatus.ACTIVE:
        return None
    role = await Role.get(id=member.role_id)
    return _principal(member, role.permissions, session.id)


async def authenticate_access_token(
    token: str, *, issuer: str, ttl_seconds: int
) -> Principal | None:
    """The signature and claims without the database; then one read (the session with its
    member and role) so that revocation, deactivation and role changes count at once."""
    try:
        claims = await verify_access_token(token, issuer=issuer, ttl_seconds=ttl_seconds)
    except InvalidToken:
        return None
    row = await _session_row(claims.session_id, claims.member_id)
    if (
        row is None
        or row["revoked_at"] is not None
        or _as_datetime(row["expires_at"]) <= clock.now()
        or row["user_id"] != claims.user_id
        or MemberStatus(row["status"]) is not MemberStatus.ACTIVE
    ):
        return None
    role_permissions = frozenset(_permissions(row["permissions"]))
    return Principal(
        kind=PrincipalKind.SESSION,
        organization_id=str(row["organization_id"]),
        permissions=role_permissions & ORGANIZATION_PERMISSIONS,
        member_id=claims.member_id,
        user_id=claims.user_id,
        session_id=claims.session_id,
        role_permissions=role_permissions,
    )


# One statement on every request with an access token: the session with its member and role.
# Raw because Tortoise spends longer building this three-table join than the database takes
# to answer it. The ids come from a verified token, and are bound as parameters regardless.
_SESSION_ROW = """
SELECT s.revoked_at, s.expires_at, m.user_id, m.organization_id, m.status, r.permissions
FROM sessions s JOIN members m ON m.id = s.member_id JOIN roles r ON r.id = m.role_id
WHERE s.id = {0} AND s.member_id = {1}
"""


async def _session_row(session_id: str, member_id: str) -> dict[str, Any] | None:
    conn = Tortoise.get_connection("default")
    marks = ("$1", "$2") if conn.capabilities.dialect == "postgres" else ("?", "?")
    rows = await conn.execute_query_dict(_SESSION_ROW.format(*marks), [session_id, member_id])
    return rows[0] if rows else None


def _as_datetime(value: object) -> datetime:
    # SQLite hands a raw query's timestamps back as ISO text; PostgreSQL as datetimes.
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _permissions(value: object) -> list[str]:
    # A JSON column through a raw query: text on SQLite and for PostgreSQL's jsonb.
    if isinstance(value, str):
        value = json.loads(value)
    return [str(p) for p in value] if isinstance(value, list) else []


def _principal(member: Member, permissions: list[str], session_id: str) -> Principal:
    return Principal(
        kind=PrincipalKind.SESSION,
        organization_id=member.organization_id,
        permissions=frozenset(permissions) & ORGANIZATION_PERMISSIONS,
        member_id=member.id,
        user_id=member.user_id,
        session_id=session_id,
        role_permissions=frozenset(permissions),
    )
