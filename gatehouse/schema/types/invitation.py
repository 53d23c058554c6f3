"""Invitations. Reading them requires `invitations:read`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gatehouse import models
from gatehouse.models import InvitationState as InvitationStateModel
from gatehouse.resolvers.invitations import clock as invitation_clock
from gatehouse.resolvers.pagination import Page
from gatehouse.schema.context import Info
from gatehouse.schema.loaders import required
from gatehouse.schema.types.common import Node, PageInfo
from gatehouse.schema.types.member import Member, Role, User
from gatehouse.schema.types.pagination import page_parts

if TYPE_CHECKING:
    from gatehouse.schema.types.organization import Organization

OrganizationRef = Annotated["Organization", strawberry.lazy("gatehouse.schema.types.organization")]

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    InvitationStateModel,
    name="InvitationState",
    description="PENDING until accepted or revoked; a PENDING invitation past its expiry "
    "reads as EXPIRED (and filters as EXPIRED).",
)
InvitationState = InvitationStateModel


@strawberry.type(
    description="An email invitation to join an organization with a role. "
    "Requires `invitations:read`."
)
class Invitation(Node):
    email: str = strawberry.field(description="Invited email address (normalized).")
    expires_at: datetime = strawberry.field(description="When the link stops working (UTC).")
    accepted_at: datetime | None = strawberry.field(description="When it was accepted.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked.")
    last_sent_at: datetime | None = strawberry.field(
        description="When the email last reached the mail server."
    )
    last_send_error: str | None = strawberry.field(
        description="Why the last send failed; null after a successful send."
    )
    failed_send_attempts: int = strawberry.field(
        description="Failed sends since the last success; retried with backoff."
    )
    next_send_at: datetime | None = strawberry.field(
        description="When the next automatic send attempt is due; null when none is."
    )
    created_at: datetime = strawberry.field(description="Creation time (UTC).")
    updated_at: datetime = strawberry.field(description="Last change (UTC).")
    _model: strawberry.Private[models.Invitation]

    @classmethod
    def from_model(cls, invitation: models.Invitation) -> Invitation:
        return cls(
            id=strawberry.ID(invitation.id),
            email=invitation.email,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
            revoked_at=invitation.revoked_at,
            last_sent_at=invitation.last_sent_at,
            last_send_error=invitation.last_send_error,
            failed_send_attempts=invitation.failed_send_attempts,
            next_send_at=invitation.next_send_at,
            created_at=invitation.created_at,
            updated_at=invitation.updated_at,
            _model=invitation,
        )

    @strawberry.field(description="State now; EXPIRED is derived from `expiresAt`.")
    def state(self) -> InvitationState:
        return self._model.state_at(invitation_clock.now())

    @strawberry.field(description="The organization.")
    async def organization(self, info: Info) -> OrganizationRef:
        from gatehouse.schema.types.organization import Organization

        org = await info.context.loaders.organization.load(self._model.organization_id)
        return Organization.from_model(required(org))

    @strawberry.field(
        description="The role the person gets on accepting; null only if the role was "
        "deleted after the invitation was settled."
    )
    async def role(self, info: Info) -> Role | None:
        if self._model.role_id is None:
            return None
        role = await info.context.loaders.role.load(self._model.role_id)
        return Role.from_model(role) if role else None

    @strawberry.field(description="The member who invited; null when an API key did.")
    async def inviter(self, info: Info) -> Member | None:
        if self._model.inviter_id is None:
            return None
        member = await info.context.loaders.member.load(self._model.inviter_id)
        return Member.from_model(member) if member else None

    @strawberry.field(description="The user who accepted it.")
    async def accepted_by(self, info: Info) -> User | None:
        if self._model.accepted_by_id is None:
            return None
        user = await info.context.loaders.user.load(self._model.accepted_by_id)
        return User.from_model(user) if user else None


@strawberry.type(description="An edge in an invitation list.")
class InvitationEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Invitation = strawberry.field(description="The invitation.")


@strawberry.type(description="A page of invitations.")
class InvitationPage:
    edges: list[InvitationEdge] = strawberry.field(description="Invitations on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @classmethod
    def from_page(cls, page: Page[Any]) -> InvitationPage:
        edges, info = page_parts(page, Invitation.from_model)
        return cls(
            edges=[InvitationEdge(cursor=c, node=n) for c, n in edges], page_info=info, _page=page
        )

    @strawberry.field(description="Invitations matching the filter, across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()
