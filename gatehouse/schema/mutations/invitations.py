"""Invitation mutations. `acceptInvitation` is public: the emailed token is the credential."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gatehouse import models
from gatehouse.resolvers.invitations import accept as invitation_accept
from gatehouse.resolvers.invitations import lifecycle as invitations
from gatehouse.resolvers.invitations.delivery import InvitationConfig
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.types.authentication import Authentication
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.invitation import Invitation
from gatehouse.schema.types.member import Member


@strawberry.input(description="Invite a person by email.")
class CreateInvitationInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    email: str = strawberry.field(description="Where the invitation is sent.")
    role_slug: str | None = strawberry.field(
        default=None, description="Role on accepting; the policy's default role when omitted."
    )
    expires_in_days: int | None = strawberry.field(
        default=None, description="Days the link stays valid, 1-30 (default 7)."
    )
    redirect_uri: str | None = strawberry.field(
        default=None,
        description="Where the hosted invitation page sends the person after accepting, with "
        "a one-time `code` for POST /sso/token: one of `GATEHOUSE_REDIRECT_URIS` (the first "
        "one when omitted).",
    )


@strawberry.input(description="The invitation to send again.")
class ResendInvitationInput:
    invitation_id: strawberry.ID = strawberry.field(description="The invitation.")
    expires_in_days: int | None = strawberry.field(
        default=None, description="New validity from now, 1-30 days (default 7)."
    )


@strawberry.input(description="The invitation to revoke.")
class RevokeInvitationInput:
    invitation_id: strawberry.ID = strawberry.field(description="The invitation.")


@strawberry.input(description="Accept an invitation with the token from its email link.")
class AcceptInvitationInput:
    token: str = strawberry.field(description="The token from the accept link.")
    first_name: str | None = strawberry.field(default=None, description="Given name.")
    last_name: str | None = strawberry.field(default=None, description="Family name.")


@strawberry.type(description="Result of an invitation mutation.")
class InvitationPayload:
    invitation: Invitation | None = strawberry.field(description="The invitation after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `acceptInvitation`.")
class AcceptInvitationPayload:
    invitation: Invitation | None = strawberry.field(description="The accepted invitation.")
    member: Member | None = strawberry.field(description="The new (or reactivated) member.")
    authentication: Authentication | None = strawberry.field(
        description="The person, signed in: access and refresh tokens (method INVITATION)."
    )
    session_token: str | None = strawberry.field(
        description="The access token of `authentication`, as a bearer credential.",
        deprecation_reason="Use `authentication` (access and refresh tokens); removed in the "
        "next release.",
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")
    authorize_url: str | None = strawberry.field(
        default=None,
        description="Set instead of `authentication` when the organization admits only SSO: "
        "the membership was made, and the person signs in at this URL (its SSO).",
    )


def _payload(model: models.Invitation | None, errors: list[UserError]) -> InvitationPayload:
    invitation = Invitation.from_model(model) if model is not None else None
    return InvitationPayload(invitation=invitation, user_errors=errors)


@strawberry.type
class InvitationMutations:
    @strawberry.mutation(
        description="Invite a person; the email goes out after commit. A pending invitation "
        "for the same email is resent instead of duplicated. Requires `invitations:write`."
    )
    async def create_invitation(
        self,
        info: Info,
        input: Annotated[
            CreateInvitationInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> InvitationPayload:
        return _payload(
            *await mutate(
                invitations.create_invitation(
                    info.context.principal,
                    str(input.organization_id),
                    input.email,
                    input.role_slug,
                    input.expires_in_days,
                    config=InvitationConfig.from_settings(info.context.settings),
                    redirect_uri=input.redirect_uri,
                )
            )
        )

    @strawberry.mutation(
        description="Send again with a new token (the old link stops working) and a fresh "
        "expiry. Requires `invitations:write`."
    )
    async def resend_invitation(
        self,
        info: Info,
        input: Annotated[
            ResendInvitationInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> InvitationPayload:
        return _payload(
            *await mutate(
                invitations.resend_invitation(
                    info.context.principal,
                    str(input.invitation_id),
                    input.expires_in_days,
                    config=InvitationConfig.from_settings(info.context.settings),
                )
            )
        )

    @strawberry.mutation(
        description="Revoke a pending invitation; its link stops working. "
        "Requires `invitations:write`."
    )
    async def revoke_invitation(
        self,
        info: Info,
        input: Annotated[
            RevokeInvitationInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> InvitationPayload:
        return _payload(
            *await mutate(
                invitations.revoke_invitation(info.context.principal, str(input.invitation_id))
            )
        )

    @strawberry.mutation(
        description="Accept an invitation: creates the user if new and an ACTIVE member, "
        "atomically, and signs the person in (`authentication`). Needs no credential: the "
        "token is one."
    )
    async def accept_invitation(
        self,
        info: Info,
        input: Annotated[
            AcceptInvitationInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AcceptInvitationPayload:
        result, errors = await mutate(
            invitation_accept.accept_invitation(
                input.token,
                input.first_name,
                input.last_name,
                settings=info.context.settings,
            )
        )
        if result is None:
            return AcceptInvitationPayload(
                invitation=None,
                member=None,
                authentication=None,
                session_token=None,
                user_errors=errors,
            )
        authentication = result.authentication
        return AcceptInvitationPayload(
            invitation=Invitation.from_model(result.invitation),
            member=Member.from_model(result.member),
            authentication=Authentication.from_result(authentication) if authentication else None,
            session_token=authentication.access_token if authentication else None,
            user_errors=[],
            authorize_url=result.authorize_url,
        )
