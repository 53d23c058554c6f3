"""Sign-in routing: which organization an email belongs to, and how that person gets in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.models import Domain, DomainEnrollment, Organization
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.domains.lifecycle import verified_domain_for_email
from gatehouse.resolvers.domains.names import FREE_EMAIL_DOMAINS, email_domain, parent_domains
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.sign_in.admission import sso_authorize_url
from gatehouse.resolvers.validation import clean_email


class SignInMethod(StrEnum):
    SSO = "SSO"
    JOIN_BY_DOMAIN = "JOIN_BY_DOMAIN"
    REQUEST_TO_JOIN = "REQUEST_TO_JOIN"
    INVITATION_REQUIRED = "INVITATION_REQUIRED"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class SignInRoute:
    method: SignInMethod
    reason: str
    organization: Organization | None = None
    domain: Domain | None = None
    authorize_url: str | None = None
    enrollment: DomainEnrollment | None = None


# Where a code is a way in and no SSO answers first, the domain's enrollment mode decides.
_BY_ENROLLMENT = {
    DomainEnrollment.AUTOMATIC: (
        SignInMethod.JOIN_BY_DOMAIN,
        "{domain} enrolls its people: proving the email (a sign-in code) joins.",
    ),
    DomainEnrollment.REQUEST: (
        SignInMethod.REQUEST_TO_JOIN,
        "{domain} admits its people on request: proving the email asks an admin.",
    ),
    DomainEnrollment.NONE: (
        SignInMethod.INVITATION_REQUIRED,
        "{domain} is verified, but the organization admits people by invitation only.",
    ),
}


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
    authorize_url = await sso_authorize_url(org, base_url)
    if authorize_url is not None:
        method, reason = (
            SignInMethod.SSO,
            (
                "{domain} is verified by this organization, which signs people in through an "
                "active SSO connection."
            ),
        )
    elif not org.email_code_allowed:
        method, reason = (
            SignInMethod.INVITATION_REQUIRED,
            (
                "This organization requires SSO but has no active connection; an admin must "
                "connect an identity provider."
            ),
        )
    else:
        method, reason = _BY_ENROLLMENT[domain.enrollment]
    return SignInRoute(
        method,
        reason.format(domain=domain.domain),
        org,
        domain,
        authorize_url,
        domain.enrollment,
    )
