"""The one answer every way in ends with: the person, the organization, the member, a
short-lived access token and a rotating refresh token (`Authentication`).

SSO, an emailed code and an accepted invitation each prove who the person is; from there they
all call `authenticate_member`, which checks the organization admits the method, starts the
session and signs its first access token, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatehouse.auth.sessions import issue_session
from gatehouse.auth.tokens import issue_access_token
from gatehouse.events import record_event
from gatehouse.models import (
    AuthenticationMethod,
    Member,
    MemberStatus,
    Organization,
    Role,
    Session,
    User,
)
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.members import membership_data
from gatehouse.resolvers.sign_in.admission import check_admission
from gatehouse.resolvers.users.profiles import user_data
from gatehouse.settings import Settings


@dataclass(frozen=True, slots=True)
class Client:
    """The person's own client, as the operator's backend reports it (recorded, not trusted)."""

    ip_address: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, ip_address: str | None, user_agent: str | None) -> Client:
        ip = (ip_address or "").strip()[:64] or None
        return cls(ip, (user_agent or "").strip()[:512] or None)


NO_CLIENT = Client()


@dataclass(frozen=True, slots=True)
class Authentication:
    user: User
    organization: Organization
    member: Member
    role: Role
    session: Session
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    method: AuthenticationMethod

    def as_json(self) -> dict[str, Any]:
        """The answer of POST /sso/token (snake_case, like the rest of that endpoint)."""
        return {
            "user": user_data(self.user),
            "organization": {"id": self.organization.id, "name": self.organization.name},
            "member": membership_data(self.member, self.role.slug),
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "access_token_expires_at": self.access_token_expires_at.isoformat(),
            "authentication_method": self.method.value,
            # Deprecated, kept one release: before access tokens this held a `sess_…` token.
            "session": {
                "token": self.access_token,
                "expires_at": self.access_token_expires_at.isoformat(),
            },
        }


def session_data(session: Session, user_id: str) -> dict[str, Any]:
    return {
        "session_id": session.id,
        "user_id": user_id,
        "member_id": session.member_id,
        "authentication_method": session.authentication_method,
        "connection_id": session.connection_id,
    }


async def access_token(
    settings: Settings, session: Session, member: Member, role: Role
) -> tuple[str, datetime]:
    return await issue_access_token(
        issuer=settings.issuer,
        secret_key=settings.secret_key,
        ttl_seconds=settings.access_token_ttl_seconds,
        user_id=member.user_id,
        session_id=session.id,
        organization_id=member.organization_id,
        member_id=member.id,
        role=role.slug,
        permissions=list(role.permissions),
    )


async def authenticate_member(
    member: Member,
    method: AuthenticationMethod,
    settings: Settings,
    *,
    connection_id: str | None = None,
    client: Client = NO_CLIENT,
) -> Authentication:
    """Start a session for an ACTIVE member; call inside the transaction that proved them."""
    if member.status is not MemberStatus.ACTIVE:
        raise DomainError.of(
            ErrorCode.MEMBERSHIP_REQUIRED, "This membership is not active.", "organizationId"
        )
    organization = await Organization.get(id=member.organization_id)
    await check_admission(organization, member, method, connection_id, base_url=settings.base_url)
    user = await User.get(id=member.user_id)
    role = await Role.get(id=member.role_id)
    session, refresh = await issue_session(
        member,
        method,
        settings.session_ttl_seconds,
        connection_id=connection_id,
        ip_address=client.ip_address,
        user_agent=client.user_agent,
    )
    token, expires_at = await access_token(settings, session, member, role)
    await record_event("session.created", organization.id, session_data(session, user.id))
    return Authentication(
        user=user,
        organization=organization,
        member=member,
        role=role,
        session=session,
        access_token=token,
        access_token_expires_at=expires_at,
        refresh_token=refresh,
        method=method,
    )
