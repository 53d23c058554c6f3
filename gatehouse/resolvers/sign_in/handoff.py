"""One-time codes that hand a sign-in over to the operator's app: the browser brings one back
to the app's redirect URI, and the app's backend trades it at POST /sso/token for the
authentication (single use, five minutes, bound to an organization: SECURITY 21).

SSO sign-ins, the hosted invitation page and the hosted sign-in code page all end with one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth import clock
from gatehouse.auth.principal import Principal
from gatehouse.auth.secrets import generate_secret, hash_secret
from gatehouse.models import AuthenticationMethod, Member, SsoCode, User
from gatehouse.resolvers.sign_in.authentication import Authentication, authenticate_member
from gatehouse.resolvers.sign_in.selection import Outcome, Proof, authenticate_proof, finish
from gatehouse.settings import Settings

CODE_PREFIX = "ssoc"
CODE_TTL = timedelta(minutes=5)  # SECURITY 21: at most 10 minutes


class CodeRefused(Exception):
    """Unknown, used, expired or foreign code (the caller gets one answer for all)."""


async def issue_handoff_code(
    method: AuthenticationMethod,
    *,
    member: Member | None = None,
    user: User | None = None,
    connection_id: str | None = None,
    profile: dict[str, Any] | None = None,
) -> str:
    """A code for a member (SSO, invitation), or for a person still to choose (code page)."""
    code = generate_secret(CODE_PREFIX)
    await SsoCode.create(
        code_hash=hash_secret(code),
        authentication_method=method,
        connection_id=connection_id,
        member=member,
        user=user,
        profile=profile or {},
        expires_at=clock.now() + CODE_TTL,
    )
    return code


async def exchange_handoff_code(
    principal: Principal, code: str, settings: Settings
) -> tuple[Authentication, dict[str, Any]]:
    """The authentication and what the IdP said (SSO only). An organization's API key may only
    take codes for its own organization; a code for a person still to choose, only the
    operator's key. Raises CodeRefused, or OrganizationSelectionRequired."""
    result: Outcome
    async with in_transaction():
        row = await SsoCode.filter(code_hash=hash_secret(code)).select_for_update().first()
        if row is None or row.used_at is not None or row.expires_at <= clock.now():
            raise CodeRefused
        organization_id = row.profile.get("organization_id")
        member = await Member.get_or_none(id=row.member_id) if row.member_id else None
        if member is not None:
            organization_id = member.organization_id
        if organization_id is None and principal.organization_id is not None:
            raise CodeRefused
        if organization_id is not None and not principal.can_access_organization(organization_id):
            raise CodeRefused
        updated = await SsoCode.filter(id=row.id, used_at=None).update(used_at=clock.now())
        if updated != 1:
            raise CodeRefused
        if row.member_id is not None:
            if member is None:
                raise CodeRefused
            result = await authenticate_member(
                member, row.authentication_method, settings, connection_id=row.connection_id
            )
        else:
            user = await User.get_or_none(id=row.user_id) if row.user_id else None
            if user is None:
                raise CodeRefused
            proof = Proof(user, row.authentication_method, row.connection_id)
            result = await authenticate_proof(proof, None, settings)
    return finish(result), row.profile
