"""Sign-in routing: the answer to "how does this email get in?"."""

from __future__ import annotations

import strawberry

from gatehouse.resolvers.sign_in import routing as sign_in
from gatehouse.resolvers.sign_in.routing import SignInMethod as SignInMethodModel
from gatehouse.schema.types.domain import Domain, DomainEnrollment
from gatehouse.schema.types.organization import Organization

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    SignInMethodModel,
    name="SignInMethod",
    description="SSO: redirect to `authorizeUrl`. JOIN_BY_DOMAIN: the domain enrolls its "
    "people (AUTOMATIC): proving the email by a sign-in code joins. REQUEST_TO_JOIN: proving "
    "it asks the organization's admins (REQUEST). INVITATION_REQUIRED: the domain is verified, "
    "but only invited people get in. NONE: no organization owns the email's domain.",
)
SignInMethod = SignInMethodModel


@strawberry.type(description="Where an email signs in, and why.")
class SignInRoute:
    method: SignInMethod = strawberry.field(description="How this person gets in.")
    reason: str = strawberry.field(description="Why this method, in words.")
    organization: Organization | None = strawberry.field(
        description="The organization that verified the email's domain."
    )
    domain: Domain | None = strawberry.field(description="The verified domain that matched.")
    authorize_url: str | None = strawberry.field(
        description="For SSO: `/sso/authorize?organization=…` to redirect the browser to."
    )
    enrollment: DomainEnrollment | None = strawberry.field(
        description="The matched domain's enrollment: what proving the email does."
    )

    @classmethod
    def from_route(cls, route: sign_in.SignInRoute) -> SignInRoute:
        return cls(
            method=route.method,
            reason=route.reason,
            organization=Organization.from_model(route.organization)
            if route.organization
            else None,
            domain=Domain.from_model(route.domain) if route.domain else None,
            authorize_url=route.authorize_url,
            enrollment=route.enrollment,
        )
