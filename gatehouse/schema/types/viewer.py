"""The caller, as the API sees it."""

from __future__ import annotations

import strawberry

from gatehouse.auth.principal import PrincipalKind as PrincipalKindModel
from gatehouse.resolvers.sign_in.selection import active_organizations
from gatehouse.schema.context import Info
from gatehouse.schema.types.member import Member, User
from gatehouse.schema.types.organization import Organization

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    PrincipalKindModel, name="PrincipalKind", description="What kind of credential was used."
)
PrincipalKind = PrincipalKindModel


@strawberry.type(name="Principal", description="Who is calling and what they may do.")
class Viewer:
    kind: PrincipalKind = strawberry.field(description="The credential's kind.")
    permissions: list[str] = strawberry.field(description="Permissions held, sorted.")
    organization_id: strawberry.ID | None = strawberry.field(
        description="The one organization in scope; null for operators (all organizations)."
    )

    @strawberry.field(description="The organization in scope, if any.")
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        org = await info.context.loaders.organization.load(str(self.organization_id))
        return Organization.from_model(org) if org else None

    @strawberry.field(description="The signed-in person, for session credentials.")
    async def user(self, info: Info) -> User | None:
        user_id = info.context.principal.user_id
        if user_id is None:
            return None
        user = await info.context.loaders.user.load(user_id)
        return User.from_model(user) if user else None

    @strawberry.field(
        description="Every organization the signed-in person is an ACTIVE member of (a session "
        "switches between them with `refreshSession`); empty for API keys."
    )
    async def organizations(self, info: Info) -> list[Organization]:
        user_id = info.context.principal.user_id
        if user_id is None:
            return []
        return [Organization.from_model(o) for o in await active_organizations(user_id)]

    @strawberry.field(description="The signed-in member, for session credentials.")
    async def member(self, info: Info) -> Member | None:
        member_id = info.context.principal.member_id
        if member_id is None:
            return None
        member = await info.context.loaders.member.load(member_id)
        return Member.from_model(member) if member else None
