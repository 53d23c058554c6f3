"""Sign-in routing: which organization an email belongs to, and how that person gets in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.models import Connection, ConnectionState, Domain, Organization
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.domains.lifecycle import verified_domain_for_email
from gatehouse.resolvers.domains.names import FREE_EMAIL_DOMAINS, email_domain, parent_domains
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.validation import clean_email


class SignInMethod(StrEnum):
    SSO = "SSO"
    JOIN_BY_DOMAIN = "JOIN_BY_DOMAIN"
    INVITATION_REQUIRED = "INVITATION_REQUIRED"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class SignInRoute:
    method: SignInMethod
    reason: str
    organization: Organization | None = None
    domain: Domain | None = None
    authorize_url: str | None = None


def _none(reason: str) -> SignInRoute:
    return SignInRoute(SignInMethod.NONE, reason)


async def resolve_sign_in(principal: Principal, email: str, base_url: str) -> SignInRoute:
    """Route an email. It reveals which organization owns a domain, so an organization-scoped
    caller only ever learns about its own organization; unauthenticated callers need the
    operator's key (their backend asks on their behalf)."""
    require(principal, Permission.ORGANIZATIONS_READ)
    v = Validator()
    address = clean_email(v, email, "email")
    v.check()
    host = email_domain(address)
    if host is None:
        raise DomainError.of(ErrorCode.INVALID_EMAIL, "Enter a valid email address.", "email")
    if any(parent in FREE_EMAIL_DOMAINS for parent in parent_domains(host)):
        return _none("Public email provider: no organization can own this domain.")
    domain = await verified_domain_for_email(address)
    if domain is None or not visible_organization(principal, domain.organization_id):
        return _none("No organization has verified this email's domain.")
    org = await Organization.get(id=domain.organization_id)
    connection = (
        await Connection.filter(organization_id=org.id, state=ConnectionState.ACTIVE)
        .order_by("created_at")
        .first()
    )
    if connection is not None:
        query = urlencode({"organization": org.id})
        return SignInRoute(
            SignInMethod.SSO,
            f"{domain.domain} is verified by this organization, which has an active SSO "
            "connection.",
            org,
            domain,
            f"{base_url.rstrip('/')}/sso/authorize?{query}",
        )
    if org.require_sso:
        return SignInRoute(
            SignInMethod.INVITATION_REQUIRED,
            "This organization requires SSO but has no active connection; an admin must "
            "invite or connect an identity provider.",
            org,
            domain,
        )
    if org.join_by_verified_domain:
        return SignInRoute(
            SignInMethod.JOIN_BY_DOMAIN,
            f"{domain.domain} is verified and the policy admits its emails without an invitation.",
            org,
            domain,
        )
    return SignInRoute(
        SignInMethod.INVITATION_REQUIRED,
        f"{domain.domain} is verified, but the policy admits people by invitation only.",
        org,
        domain,
    )
