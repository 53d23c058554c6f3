"""Signing people in: emailed codes, choosing an organization, refreshing and ending sessions.

Called by the operator's backend with its operator key (`sessions:manage`), except `signOut`
(the person's own access token) and `revokeSessions` (operators and organization admins).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

import strawberry

from gatehouse.mail import mailer_from_settings
from gatehouse.resolvers.errors import AccessError, DomainError
from gatehouse.resolvers.sign_in import codes, selection, sessions
from gatehouse.resolvers.sign_in.authentication import Authentication as AuthenticationResult
from gatehouse.resolvers.sign_in.authentication import Client
from gatehouse.schema.context import Info
from gatehouse.schema.errors import access_error, mutate, to_user_errors
from gatehouse.schema.types.authentication import Authentication, AuthenticationPayload
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.organization import Organization


@strawberry.input(description="Mail a sign-in code to an address.")
class SendSignInCodeInput:
    email: str = strawberry.field(description="Where the code goes; any address is accepted.")
    redirect_uri: str | None = strawberry.field(
        default=None,
        description="Where the hosted code page sends the person on (one of "
        "`GATEHOUSE_REDIRECT_URIS`; the first one when omitted).",
    )
    ip_address: str | None = strawberry.field(
        default=None, description="The person's client address: sending is limited per address."
    )
    user_agent: str | None = strawberry.field(default=None, description="The person's browser.")


@strawberry.input(description="Sign in with a mailed code.")
class AuthenticateWithCodeInput:
    email: str = strawberry.field(description="The address the code was sent to.")
    code: str = strawberry.field(description="The 6-digit code.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The organization to sign into; needed when the person is in several.",
    )
    ip_address: str | None = strawberry.field(default=None, description="The client address.")
    user_agent: str | None = strawberry.field(default=None, description="The person's browser.")


@strawberry.input(description="Finish a sign-in that needed an organization chosen.")
class AuthenticateWithOrganizationSelectionInput:
    pending_authentication_token: str = strawberry.field(
        description="From the ORGANIZATION_SELECTION_REQUIRED answer."
    )
    organization_id: strawberry.ID = strawberry.field(description="The chosen organization.")


@strawberry.input(description="Get a new token pair, optionally in another organization.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="The latest refresh token (single use).")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Switch to another organization of the same person (an ACTIVE membership "
        "whose rules admit how the session signed in).",
    )


@strawberry.input(description="Whose sessions to end: exactly one of the two.")
class RevokeSessionsInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Every session of the person (operators only)."
    )
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="The person's sessions in this membership's organization."
    )


@strawberry.type(description="Result of `sendSignInCode`: the same whether the address is known.")
class SendSignInCodePayload:
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `signOut`.")
class SignOutPayload:
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `revokeSessions`.")
class RevokeSessionsPayload:
    revoked_count: int | None = strawberry.field(description="How many sessions ended.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


async def authentication_payload(
    awaitable: Awaitable[AuthenticationResult],
) -> AuthenticationPayload:
    try:
        result = await awaitable
    except AccessError as e:
        raise access_error(e) from None
    except selection.OrganizationSelectionRequired as e:
        return AuthenticationPayload(
            authentication=None,
            pending_authentication_token=e.pending_authentication_token,
            organizations=[Organization.from_model(o) for o in e.organizations],
            user_errors=to_user_errors(e),
        )
    except DomainError as e:
        return AuthenticationPayload(
            authentication=None,
            pending_authentication_token=None,
            organizations=None,
            user_errors=to_user_errors(e),
            authorize_url=next((f.authorize_url for f in e.errors if f.authorize_url), None),
        )
    return AuthenticationPayload(
        authentication=Authentication.from_result(result),
        pending_authentication_token=None,
        organizations=None,
        user_errors=[],
    )


@strawberry.type
class SignInMutations:
    @strawberry.mutation(
        description="Mail a 6-digit code (10 minutes, one use, five tries) and a link to a "
        "hosted page where it can be typed in. The answer never says whether the address "
        "belongs to anyone. Limited per address and per `ipAddress`. Requires "
        "`sessions:manage` (the operator's key)."
    )
    async def send_sign_in_code(
        self,
        info: Info,
        input: Annotated[
            SendSignInCodeInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SendSignInCodePayload:
        settings = info.context.settings
        _, errors = await mutate(
            codes.send_sign_in_code(
                info.context.principal,
                input.email,
                settings,
                mailer_from_settings(settings),
                redirect_uri=input.redirect_uri,
                client=Client.of(input.ip_address, input.user_agent),
            )
        )
        return SendSignInCodePayload(user_errors=errors)

    @strawberry.mutation(
        description="Sign in with the mailed code: the person, organization, member and "
        "tokens. A person in several organizations who names none gets "
        "ORGANIZATION_SELECTION_REQUIRED with a pending token. Requires `sessions:manage`."
    )
    async def authenticate_with_code(
        self,
        info: Info,
        input: Annotated[
            AuthenticateWithCodeInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AuthenticationPayload:
        return await authentication_payload(
            codes.authenticate_with_code(
                info.context.principal,
                input.email,
                input.code,
                str(input.organization_id) if input.organization_id else None,
                info.context.settings,
                client=Client.of(input.ip_address, input.user_agent),
            )
        )

    @strawberry.mutation(
        description="Finish a sign-in in the organization the person chose. Requires "
        "`sessions:manage`."
    )
    async def authenticate_with_organization_selection(
        self,
        info: Info,
        input: Annotated[
            AuthenticateWithOrganizationSelectionInput,
            strawberry.argument(description="The mutation's input."),
        ],
    ) -> AuthenticationPayload:
        return await authentication_payload(
            selection.authenticate_with_organization_selection(
                info.context.principal,
                input.pending_authentication_token,
                str(input.organization_id),
                info.context.settings,
            )
        )

    @strawberry.mutation(
        description="A new access and refresh token; the refresh token is used up. A used "
        "one presented again ends the whole session. With `organizationId`, switch to "
        "another of the person's organizations. Requires `sessions:manage`."
    )
    async def refresh_session(
        self,
        info: Info,
        input: Annotated[
            RefreshSessionInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AuthenticationPayload:
        return await authentication_payload(
            sessions.refresh_session(
                info.context.principal,
                input.refresh_token,
                str(input.organization_id) if input.organization_id else None,
                info.context.settings,
            )
        )

    @strawberry.mutation(
        description="End the caller's own session: called with the person's access token. "
        "Gatehouse refuses its tokens at once; the operator's product, at the next refresh."
    )
    async def sign_out(self, info: Info) -> SignOutPayload:
        _, errors = await mutate(sessions.sign_out(info.context.principal))
        return SignOutPayload(user_errors=errors)

    @strawberry.mutation(
        description="End a person's sessions: everywhere (`userId`, operators) or in one "
        "organization (`memberId`). Requires `members:write`."
    )
    async def revoke_sessions(
        self,
        info: Info,
        input: Annotated[
            RevokeSessionsInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RevokeSessionsPayload:
        result, errors = await mutate(
            sessions.revoke_sessions(
                info.context.principal,
                user_id=str(input.user_id) if input.user_id else None,
                member_id=str(input.member_id) if input.member_id else None,
            )
        )
        return RevokeSessionsPayload(
            revoked_count=result.count if result else None, user_errors=errors
        )
