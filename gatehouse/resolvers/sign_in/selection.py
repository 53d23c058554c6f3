"""Which organization a proven person signs into: the one named, their only one, or, for a
person in several who named none, their choice (ORGANIZATION_SELECTION_REQUIRED with a
short-lived pending token, then `authenticateWithOrganizationSelection`).

Memberships waiting for approval (enrollment.py) are never signed into: naming one, or having
nothing else, answers MEMBERSHIP_PENDING_APPROVAL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise.transactions import in_transaction

from gatehouse.auth import clock
from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.auth.secrets import generate_secret, hash_secret
from gatehouse.models import (
    AuthenticationMethod,
    Member,
    MemberStatus,
    Organization,
    PendingAuthentication,
    User,
)
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import DomainError, ErrorCode, FieldError
from gatehouse.resolvers.sign_in.authentication import (
    NO_CLIENT,
    Authentication,
    Client,
    authenticate_member,
)
from gatehouse.resolvers.sign_in.enrollment import pending_approval
from gatehouse.settings import Settings

PENDING_PREFIX = "pauth"
PENDING_TTL = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Selection:
    """The person must choose: the token to finish with, and their organizations."""

    token: str
    organizations: list[Organization]


class OrganizationSelectionRequired(DomainError):
    """A userError that carries what the person chooses from, and the token to finish with.
    Raised after the transaction that stored the pending token has committed (`finish`)."""

    def __init__(self, token: str, organizations: list[Organization]) -> None:
        super().__init__(
            FieldError(
                ErrorCode.ORGANIZATION_SELECTION_REQUIRED,
                "This person belongs to several organizations: choose one with "
                "authenticateWithOrganizationSelection.",
                ("organizationId",),
            )
        )
        self.pending_authentication_token = token
        self.organizations = organizations


@dataclass(frozen=True, slots=True)
class PendingApproval:
    """The person's only way into the organization is a request not yet approved. Returned, not
    raised, so a request made in the same transaction commits before the refusal (`finish`)."""


PENDING_APPROVAL = PendingApproval()
Outcome = Authentication | Selection | PendingApproval


@dataclass(frozen=True, slots=True)
class Proof:
    """What a way in established about the person, before an organization is chosen."""

    user: User
    method: AuthenticationMethod
    connection_id: str | None = None
    client: Client = NO_CLIENT


async def active_organizations(user_id: str) -> list[Organization]:
    org_ids = await Member.filter(user_id=user_id, status=MemberStatus.ACTIVE).values_list(
        "organization_id", flat=True
    )
    return list(await Organization.filter(id__in=list(org_ids)).order_by("name", "id"))


def _no_membership() -> DomainError:
    return DomainError.of(
        ErrorCode.MEMBERSHIP_REQUIRED,
        "This person is not an active member of the organization.",
        "organizationId",
    )


def finish(result: Outcome) -> Authentication:
    """After the transaction: the authentication, or the selection or pending request as its
    userError."""
    if isinstance(result, Selection):
        raise OrganizationSelectionRequired(result.token, result.organizations)
    if isinstance(result, PendingApproval):
        raise pending_approval()
    return result


async def authenticate_proof(
    proof: Proof, organization_id: str | None, settings: Settings
) -> Outcome:
    """Inside the transaction that established the proof; a Selection commits with it."""
    if organization_id:
        member = await Member.filter(user_id=proof.user.id, organization_id=organization_id).first()
        if member is not None and member.status is MemberStatus.PENDING:
            return PENDING_APPROVAL
        if member is None or member.status is not MemberStatus.ACTIVE:
            raise _no_membership()
        return await authenticate_member(
            member, proof.method, settings, connection_id=proof.connection_id, client=proof.client
        )
    organizations = await active_organizations(proof.user.id)
    if not organizations:
        if await Member.exists(user_id=proof.user.id, status=MemberStatus.PENDING):
            return PENDING_APPROVAL
        raise _no_membership()
    if len(organizations) == 1:
        return await authenticate_proof(proof, organizations[0].id, settings)
    token = generate_secret(PENDING_PREFIX)
    await PendingAuthentication.create(
        token_hash=hash_secret(token),
        user=proof.user,
        authentication_method=proof.method,
        connection_id=proof.connection_id,
        ip_address=proof.client.ip_address,
        user_agent=proof.client.user_agent,
        expires_at=clock.now() + PENDING_TTL,
    )
    return Selection(token, organizations)


async def authenticate_with_organization_selection(
    principal: Principal, token: str, organization_id: str, settings: Settings
) -> Authentication:
    require(principal, Permission.SESSIONS_MANAGE)
    refused = DomainError.of(
        ErrorCode.INVALID_TOKEN,
        "This sign-in is unknown, used or expired; sign in again.",
        "pendingAuthenticationToken",
    )
    async with in_transaction():
        pending = (
            await PendingAuthentication.filter(token_hash=hash_secret(token or ""))
            .select_for_update()
            .first()
        )
        if pending is None or pending.used_at is not None or pending.expires_at <= clock.now():
            raise refused
        pending.used_at = clock.now()
        await pending.save(update_fields=["used_at"])
        proof = Proof(
            user=await User.get(id=pending.user_id),
            method=pending.authentication_method,
            connection_id=pending.connection_id,
            client=Client(pending.ip_address, pending.user_agent),
        )
        # A refusal below rolls the use back: the person may choose again.
        result = await authenticate_proof(proof, organization_id or "-", settings)
    return finish(result)
