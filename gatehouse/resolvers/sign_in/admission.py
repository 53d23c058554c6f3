"""Whether an organization lets a person in by a given method: checked wherever a session is
issued or extended (SSO, email code, invitation, refresh, switching organization: SECURITY 49).

The policy names the allowed methods (`SSO`, `EMAIL_CODE`; accepting an invitation counts as
`EMAIL_CODE`, since it proves the email). SSO counts only through one of the organization's own
connections: a sign-in at another organization's IdP proves nothing to this one. A break-glass
admin (`Member.may_bypass_sso`) may use an emailed code where the policy allows only SSO, so a
few named admins keep a way in when the IdP is down; every such bypass is an event.
"""

from __future__ import annotations

from urllib.parse import urlencode

from gatehouse.events import record_event
from gatehouse.models import (
    AuthenticationMethod,
    Connection,
    ConnectionState,
    Member,
    Organization,
    Role,
)
from gatehouse.resolvers.errors import DomainError, ErrorCode, FieldError
from gatehouse.resolvers.members import ADMIN_SLUG

SSO = AuthenticationMethod.SSO.value
EMAIL_CODE = AuthenticationMethod.EMAIL_CODE.value


class AuthMethodNotAllowed(DomainError):
    """AUTH_METHOD_NOT_ALLOWED, with where to send the person instead (the organization's SSO,
    when it allows SSO and has an active connection)."""

    def __init__(self, authorize_url: str | None) -> None:
        super().__init__(
            FieldError(
                ErrorCode.AUTH_METHOD_NOT_ALLOWED,
                "This organization does not allow signing in this way."
                + (" Sign in through its SSO (authorizeUrl)." if authorize_url else ""),
                ("organizationId",),
                authorize_url,
            )
        )
        self.authorize_url = authorize_url


async def sso_authorize_url(
    organization: Organization, base_url: str, redirect_uri: str | None = None
) -> str | None:
    """`/sso/authorize` for the organization when SSO is allowed and a connection is active."""
    if not organization.sso_allowed:
        return None
    if not await Connection.exists(organization_id=organization.id, state=ConnectionState.ACTIVE):
        return None
    url = f"{base_url.rstrip('/')}/sso/authorize?{urlencode({'organization': organization.id})}"
    return with_query(url, redirect_uri=redirect_uri)


def with_query(url: str, **params: str | None) -> str:
    """`url` with the given parameters added (the ones that are None left out)."""
    extra = {key: value for key, value in params.items() if value}
    if not extra:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(extra)}"


def _as_policy_method(method: AuthenticationMethod | None) -> str | None:
    if method is AuthenticationMethod.INVITATION:
        return EMAIL_CODE
    return method.value if method is not None else None


async def _may_bypass(member: Member) -> bool:
    if not member.may_bypass_sso:
        return False
    # Only while an admin: a demoted member loses the way around SSO with the role.
    role = await Role.get_or_none(id=member.role_id)
    return role is not None and role.slug == ADMIN_SLUG


async def check_admission(
    organization: Organization,
    member: Member,
    method: AuthenticationMethod | None,
    connection_id: str | None,
    *,
    base_url: str,
) -> None:
    """Raises AuthMethodNotAllowed; records `authentication.sso_bypassed` when a break-glass
    admin gets in by code. Call inside the transaction that issues the session."""
    wanted = _as_policy_method(method)
    if wanted == SSO and organization.sso_allowed:
        if connection_id is not None and await Connection.exists(
            id=connection_id, organization_id=organization.id
        ):
            return
    elif wanted == EMAIL_CODE:
        if organization.email_code_allowed:
            return
        if await _may_bypass(member):
            await record_event(
                "authentication.sso_bypassed",
                organization.id,
                {
                    "member_id": member.id,
                    "user_id": member.user_id,
                    "authentication_method": method.value if method else None,
                },
            )
            return
    raise AuthMethodNotAllowed(await sso_authorize_url(organization, base_url))
