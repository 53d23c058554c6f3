"""The answer every way in ends with (SSO, an emailed code, an accepted invitation)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gatehouse import models
from gatehouse.resolvers.sign_in.authentication import Authentication as AuthenticationResult
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.member import Member, User
from gatehouse.schema.types.organization import Organization

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    models.AuthenticationMethod,
    name="AuthenticationMethod",
    description="How the person proved who they are: SSO through the organization's identity "
    "provider, a code mailed to them (EMAIL_CODE), or an invitation they accepted (INVITATION).",
)
AuthenticationMethod = models.AuthenticationMethod


@strawberry.type(
    description="A signed-in person. The access token is a JWT (ES256) the operator's product "
    "verifies with `/.well-known/jwks.json`, carrying `sub sid org_id member_id role "
    "permissions`; Gatehouse's API takes it as a bearer credential too. The refresh token "
    "gets a new pair from `refreshSession` and works once."
)
class Authentication:
    user: User = strawberry.field(description="The person.")
    organization: Organization = strawberry.field(description="The organization signed into.")
    member: Member = strawberry.field(description="The person's membership in it.")
    access_token: str = strawberry.field(
        description="Bearer credential, short-lived (`GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS`)."
    )
    refresh_token: str = strawberry.field(
        description="Single use: `refreshSession` rotates it. Keep it server-side."
    )
    access_token_expires_at: datetime = strawberry.field(
        description="When the access token stops working (UTC)."
    )
    authentication_method: AuthenticationMethod = strawberry.field(
        description="How the person proved who they are."
    )

    @classmethod
    def from_result(cls, result: AuthenticationResult) -> Authentication:
        return cls(
            user=User.from_model(result.user),
            organization=Organization.from_model(result.organization),
            member=Member.from_model(result.member),
            access_token=result.access_token,
            refresh_token=result.refresh_token,
            access_token_expires_at=result.access_token_expires_at,
            authentication_method=result.method,
        )


@strawberry.type(description="Result of a sign-in mutation.")
class AuthenticationPayload:
    authentication: Authentication | None = strawberry.field(
        description="The signed-in person and their tokens."
    )
    pending_authentication_token: str | None = strawberry.field(
        description="With ORGANIZATION_SELECTION_REQUIRED: finish with "
        "`authenticateWithOrganizationSelection` within 10 minutes."
    )
    organizations: list[Organization] | None = strawberry.field(
        description="With ORGANIZATION_SELECTION_REQUIRED: the person's organizations to "
        "choose from."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")
    authorize_url: str | None = strawberry.field(
        default=None,
        description="With AUTH_METHOD_NOT_ALLOWED, when the organization allows SSO: where to "
        "send the person instead (its SSO sign-in URL).",
    )
