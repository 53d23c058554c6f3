"""Whether an organization lets a person in by a given method: checked wherever a session is
issued or extended (SSO, email code, invitation, refresh, switching organization).

An organization that requires SSO admits only sessions that came through one of its own
connections: an email code, or an SSO sign-in at another organization's IdP, does not carry
into it.
"""

from __future__ import annotations

from gatehouse.models import AuthenticationMethod, Connection, Organization
from gatehouse.resolvers.errors import DomainError, ErrorCode


async def check_admission(
    organization: Organization, method: AuthenticationMethod | None, connection_id: str | None
) -> None:
    if not organization.require_sso or method is AuthenticationMethod.INVITATION:
        return
    if (
        method is AuthenticationMethod.SSO
        and connection_id is not None
        and await Connection.exists(id=connection_id, organization_id=organization.id)
    ):
        return
    raise DomainError.of(
        ErrorCode.AUTH_METHOD_NOT_ALLOWED,
        "This organization requires signing in through its SSO connection.",
        "organizationId",
    )
