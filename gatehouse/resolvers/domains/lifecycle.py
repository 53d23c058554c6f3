"""Domains: claims, removal, and which organization owns an email's domain.

Verification (DNS and manual, the background re-check) is in verification.py.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import Domain, DomainEnrollment, DomainState, reads
from gatehouse.resolvers.access import locked_for_change, require, visible_organization
from gatehouse.resolvers.domains.claims import check_claims, create_claim, domain_data
from gatehouse.resolvers.domains.names import email_domain, parent_domains
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.organizations import organization_for_change

__all__ = [
    "add_domain",
    "domain_for_change",
    "get_domain",
    "parent_domains",
    "remove_domain",
    "set_domain_enrollment",
    "verified_domain_for_email",
]


async def get_domain(principal: Principal, domain_id: str) -> Domain | None:
    require(principal, Permission.DOMAINS_READ)
    domain = await Domain.get_or_none(id=domain_id)
    if domain is None or not visible_organization(principal, domain.organization_id):
        return None
    return domain


async def domain_for_change(principal: Principal, domain_id: str) -> Domain:
    """The domain a mutation targets, locked; another tenant's reads as not found."""
    return await locked_for_change(principal, Domain, domain_id, "dom", "Domain", "domainId")


async def add_domain(principal: Principal, organization_id: str, value: str) -> Domain:
    """Claim a domain (PENDING) for the organization; it routes nobody until verified."""
    require(principal, Permission.DOMAINS_WRITE)
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        [name] = await check_claims([value], org.id, "domain", indexed=False)
        return await create_claim(org.id, name, "domain")


async def remove_domain(principal: Principal, domain_id: str) -> str:
    """Delete the claim; a verified domain stops routing sign-ins at once."""
    require(principal, Permission.DOMAINS_WRITE)
    async with in_transaction():
        domain = await domain_for_change(principal, domain_id)
        data = domain_data(domain)
        await domain.delete()
        await record_event("organization_domain.deleted", domain.organization_id, data)
    return domain_id


async def set_domain_enrollment(
    principal: Principal, domain_id: str, enrollment: DomainEnrollment
) -> Domain:
    """What proving an email of the domain does for a newcomer (sign_in/enrollment.py). Only a
    verified domain proves anything, so only a verified domain takes a mode."""
    require(principal, Permission.DOMAINS_WRITE)
    async with in_transaction():
        domain = await domain_for_change(principal, domain_id)
        if domain.state is not DomainState.VERIFIED:
            raise DomainError.of(
                ErrorCode.DOMAIN_NOT_VERIFIED,
                "Verify the domain before choosing how its people join.",
                "domainId",
            )
        if domain.enrollment is not enrollment:
            domain.enrollment = enrollment
            await domain.save(update_fields=["enrollment", "updated_at"])
            await record_event(
                "organization_domain.updated", domain.organization_id, domain_data(domain)
            )
    return domain


async def verified_domain_for_email(email: str) -> Domain | None:
    """The verified domain (of any organization) that covers this email, most specific first."""
    host = email_domain(email)
    if host is None:
        return None
    rows = await reads.rows(
        Domain, verified_domain=parent_domains(host), state=DomainState.VERIFIED
    )
    return max(rows, key=lambda d: len(d.domain), default=None)
