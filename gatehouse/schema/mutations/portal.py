"""Admin Portal mutations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from gatehouse.resolvers.portal import links as portal
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.portal import PortalIntent


@strawberry.input(description="A setup link for one organization's admin.")
class GeneratePortalLinkInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    intents: list[PortalIntent] = strawberry.field(
        description="What the admin may configure; the link grants only these."
    )
    return_url: str | None = strawberry.field(
        default=None,
        description='Where the portal\'s "Back to the app" button leads (absolute https URL).',
    )


@strawberry.type(description="Result of `generatePortalLink`.")
class GeneratePortalLinkPayload:
    link: str | None = strawberry.field(
        description="The setup link (single use). Send it to the admin; it cannot be read again."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the link stops working if unused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Whose Admin Portal sessions to end.")
class RevokePortalSessionsInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")


@strawberry.type(description="Result of `revokePortalSessions`.")
class RevokePortalSessionsPayload:
    revoked_count: int | None = strawberry.field(
        description="How many live sessions were ended (0 when none were open)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type
class PortalMutations:
    @strawberry.mutation(
        description="Create a single-use Admin Portal setup link. Requires `portal:write` "
        "and every permission the intents grant."
    )
    async def generate_portal_link(
        self,
        info: Info,
        input: Annotated[
            GeneratePortalLinkInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> GeneratePortalLinkPayload:
        result, errors = await mutate(
            portal.generate_portal_link(
                info.context.principal,
                info.context.settings,
                str(input.organization_id),
                [i.value for i in input.intents],
                input.return_url,
            )
        )
        if result is None:
            return GeneratePortalLinkPayload(link=None, expires_at=None, user_errors=errors)
        link, url = result
        return GeneratePortalLinkPayload(link=url, expires_at=link.expires_at, user_errors=[])

    @strawberry.mutation(
        description="End every open Admin Portal session of an organization at once; their "
        "cookies stop working on the next request. Unused setup links stay valid. "
        "Requires `portal:write`."
    )
    async def revoke_portal_sessions(
        self,
        info: Info,
        input: Annotated[
            RevokePortalSessionsInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RevokePortalSessionsPayload:
        revoked, errors = await mutate(
            portal.revoke_portal_sessions(info.context.principal, str(input.organization_id))
        )
        return RevokePortalSessionsPayload(revoked_count=revoked, user_errors=errors)
