"""Enrollment by verified domain (Clerk's modes), and the join requests it can make.

A verified domain's `enrollment` says what happens to a person who proves an email of it (by
emailed code or the organization's own SSO) and is not yet a member: NONE, nothing; AUTOMATIC,
an ACTIVE membership with source DOMAIN and the default role; REQUEST, a PENDING one that the
organization's admins approve or deny. A pending person never gets a session into that
organization: their sign-in answers MEMBERSHIP_PENDING_APPROVAL.

Two first sign-ins of the same new person (say an emailed code and SSO at once) must not make
two users or two memberships: `lock_domain` takes the domain's row `FOR UPDATE` before anyone
looks the person up, so the second waits and then finds what the first created.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import (
    Domain,
    DomainEnrollment,
    Member,
    MemberSource,
    MemberStatus,
    Organization,
    Role,
    User,
)
from gatehouse.resolvers.access import require
from gatehouse.resolvers.domains.lifecycle import verified_domain_for_email
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.members import member_for_change, membership_data


async def lock_domain(email: str) -> Domain | None:
    """The verified domain covering `email`, its row locked until the transaction ends."""
    domain = await verified_domain_for_email(email)
    if domain is None:
        return None
    return await Domain.filter(id=domain.id).select_for_update().first()


def pending_approval() -> DomainError:
    return DomainError.of(
        ErrorCode.MEMBERSHIP_PENDING_APPROVAL,
        "Your request to join this organization is waiting for an admin's approval.",
        "organizationId",
    )


async def enroll(
    domain: Domain | None,
    email: str,
    user: User | None,
    *,
    names: dict[str, str] | None = None,
) -> tuple[User | None, Member | None]:
    """Enroll the person who proved `email` in the domain's organization, if its mode says so
    and they are not a member there yet. Returns the user (created when new) and the new
    membership, or (user, None) when nothing applies. Call with `lock_domain`'s result."""
    if domain is None or domain.enrollment is DomainEnrollment.NONE:
        return user, None
    if user is not None and await Member.exists(
        organization_id=domain.organization_id, user_id=user.id
    ):
        return user, None
    org = await Organization.get(id=domain.organization_id)
    role = await Role.get_or_none(organization_id=org.id, slug=org.default_role_slug)
    if role is None:
        return user, None  # nobody to enroll as: the organization's admins must fix the role
    if user is None:
        names = names or {}
        user = await User.create(
            email=email,
            email_verified=True,
            first_name=names.get("first_name"),
            last_name=names.get("last_name"),
        )
    automatic = domain.enrollment is DomainEnrollment.AUTOMATIC
    member = await Member.create(
        organization=org,
        user=user,
        role=role,
        status=MemberStatus.ACTIVE if automatic else MemberStatus.PENDING,
        source=MemberSource.DOMAIN,
    )
    data = {**membership_data(member, role.slug), "domain_id": domain.id}
    await record_event(
        "organization_membership.created" if automatic else "organization_membership.requested",
        org.id,
        data,
    )
    return user, member


async def _pending_for_change(principal: Principal, member_id: str) -> Member:
    member = await member_for_change(principal, member_id)
    if member.status is not MemberStatus.PENDING:
        raise DomainError.of(
            ErrorCode.NOT_PENDING, "This membership is not waiting for approval.", "memberId"
        )
    return member


async def _decide(principal: Principal, member_id: str, status: MemberStatus, event: str) -> Member:
    require(principal, Permission.MEMBERS_WRITE)
    async with in_transaction():
        member = await _pending_for_change(principal, member_id)
        member.status = status
        await member.save(update_fields=["status", "updated_at"])
        role = await Role.get(id=member.role_id)
        await record_event(event, member.organization_id, membership_data(member, role.slug))
    return member


async def approve_membership(principal: Principal, member_id: str) -> Member:
    """The request becomes an ACTIVE membership: the person's next sign-in gets a session."""
    return await _decide(
        principal, member_id, MemberStatus.ACTIVE, "organization_membership.approved"
    )


async def deny_membership(principal: Principal, member_id: str) -> Member:
    """The request is refused. The membership stays, INACTIVE, so a later sign-in does not
    ask again; an admin can still invite the person or reactivate them."""
    return await _decide(
        principal, member_id, MemberStatus.INACTIVE, "organization_membership.denied"
    )
