"""Directories (SCIM directory sync), their mirrored users and groups, group→role mappings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.models import DeprovisioningAction as DeprovisioningActionModel
from gatehouse.models import DirectoryState as DirectoryStateModel
from gatehouse.models import DirectoryType as DirectoryTypeModel
from gatehouse.resolvers.directories import lifecycle as directory_resolvers
from gatehouse.resolvers.directories import preview as preview_resolvers
from gatehouse.resolvers.pagination import Page
from gatehouse.resolvers.recording import requests as recorded_requests
from gatehouse.schema.context import Info
from gatehouse.schema.errors import query
from gatehouse.schema.loaders import required
from gatehouse.schema.types.common import After, First, Node, PageInfo
from gatehouse.schema.types.directory_preview import (
    DirectoryChangeKind,
    DirectoryChangePage,
    DirectoryMode,
)
from gatehouse.schema.types.member import Member, Role
from gatehouse.schema.types.pagination import page_parts
from gatehouse.schema.types.recording import DirectoryRequestPage

if TYPE_CHECKING:
    from gatehouse.schema.types.organization import Organization

OrganizationRef = Annotated["Organization", strawberry.lazy("gatehouse.schema.types.organization")]

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    DirectoryTypeModel, name="DirectoryType", description="The identity provider pushing SCIM."
)
DirectoryType = DirectoryTypeModel
# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    DirectoryStateModel,
    name="DirectoryState",
    description="LINKED: the bearer token works; UNLINKED: SCIM requests are refused.",
)
DirectoryState = DirectoryStateModel
# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    DeprovisioningActionModel,
    name="DeprovisioningAction",
    description="What a SCIM DELETE of a user does to their membership: DEACTIVATE keeps it "
    "INACTIVE; DELETE removes memberships the directory created (others are deactivated).",
)
DeprovisioningAction = DeprovisioningActionModel


@strawberry.type(description="A user as the directory sent it. Requires `directories:read`.")
class DirectoryUser(Node):
    user_name: str = strawberry.field(description="SCIM userName (unique, case-insensitive).")
    external_id: str | None = strawberry.field(description="The IdP's own id for the user.")
    email: str | None = strawberry.field(description="Primary email, lowercased.")
    first_name: str | None = strawberry.field(description="name.givenName.")
    last_name: str | None = strawberry.field(description="name.familyName.")
    active: bool = strawberry.field(description="false once the IdP deprovisioned the user.")
    awaiting_proof: bool = strawberry.field(
        description="Its address belongs to someone this directory cannot link to (a domain the "
        "organization has not verified, used by an existing account or verified by another "
        "organization): mirrored, with no member, until the person proves the address by "
        "signing in with an emailed code, accepting an invitation or their organization's SSO."
    )
    raw: JSON = strawberry.field(
        description="The whole SCIM resource, with enterprise and custom extension attributes."
    )
    created_at: datetime = strawberry.field(description="First pushed (UTC).")
    updated_at: datetime = strawberry.field(description="Last change (UTC).")
    _model: strawberry.Private[models.DirectoryUser]

    @classmethod
    def from_model(cls, u: models.DirectoryUser) -> DirectoryUser:
        return cls(
            id=strawberry.ID(u.id),
            user_name=u.user_name,
            external_id=u.external_id,
            email=u.email,
            first_name=u.given_name,
            last_name=u.family_name,
            active=u.active,
            awaiting_proof=u.awaiting_proof,
            raw=JSON(u.resource),
            created_at=u.created_at,
            updated_at=u.updated_at,
            _model=u,
        )

    @strawberry.field(description="The membership it provisioned, if any.")
    async def member(self, info: Info) -> Member | None:
        if not self._model.member_id:
            return None
        member = await info.context.loaders.member.load(self._model.member_id)
        return Member.from_model(member) if member else None


@strawberry.type(description="A group as the directory sent it. Requires `directories:read`.")
class DirectoryGroup(Node):
    name: str = strawberry.field(description="SCIM displayName.")
    external_id: str | None = strawberry.field(description="The IdP's own id for the group.")
    created_at: datetime = strawberry.field(description="First pushed (UTC).")
    updated_at: datetime = strawberry.field(description="Last change (UTC).")

    @classmethod
    def from_model(cls, g: models.DirectoryGroup) -> DirectoryGroup:
        return cls(
            id=strawberry.ID(g.id),
            name=g.display_name,
            external_id=g.external_id,
            created_at=g.created_at,
            updated_at=g.updated_at,
        )


@strawberry.type(description="Members of `group` get `role`; the highest priority wins.")
class GroupRoleMapping:
    priority: int = strawberry.field(description="Higher wins when a user is in several groups.")
    _model: strawberry.Private[models.GroupRoleMapping]

    @strawberry.field(description="The directory group.")
    async def group(self, info: Info) -> DirectoryGroup:
        group = await info.context.loaders.directory_group.load(self._model.group_id)
        return DirectoryGroup.from_model(required(group))

    @strawberry.field(description="The role its members get.")
    async def role(self, info: Info) -> Role:
        role = await info.context.loaders.role.load(self._model.role_id)
        return Role.from_model(required(role))


@strawberry.type(description="An edge in a directory user list.")
class DirectoryUserEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: DirectoryUser = strawberry.field(description="The directory user.")


@strawberry.type(description="A page of directory users.")
class DirectoryUserPage:
    edges: list[DirectoryUserEdge] = strawberry.field(description="Users on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @strawberry.field(description="Users across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()


@strawberry.type(description="An edge in a directory group list.")
class DirectoryGroupEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: DirectoryGroup = strawberry.field(description="The directory group.")


@strawberry.type(description="A page of directory groups.")
class DirectoryGroupPage:
    edges: list[DirectoryGroupEdge] = strawberry.field(description="Groups on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @strawberry.field(description="Groups across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()


@strawberry.type(
    description="A customer's SCIM 2.0 directory (Okta, Entra ID, …) that provisions members. "
    "Requires `directories:read`."
)
class Directory(Node):
    name: str = strawberry.field(description="Display name.")
    type: DirectoryType = strawberry.field(description="The identity provider.")
    state: DirectoryState = strawberry.field(description="Whether SCIM requests are accepted.")
    mode: DirectoryMode = strawberry.field(
        description="LIVE applies pushes at once; PREVIEW holds membership changes."
    )
    deprovisioning_action: DeprovisioningAction = strawberry.field(
        description="What a SCIM DELETE of a user does."
    )
    last_activity_at: datetime | None = strawberry.field(
        description="Last SCIM write from the IdP (minute resolution)."
    )
    created_at: datetime = strawberry.field(description="Creation time (UTC).")
    _model: strawberry.Private[models.Directory]

    @classmethod
    def from_model(cls, d: models.Directory) -> Directory:
        return cls(
            id=strawberry.ID(d.id),
            name=d.name,
            type=d.type,
            state=d.state,
            mode=d.mode,
            deprovisioning_action=d.deprovisioning_action,
            last_activity_at=d.last_activity_at,
            created_at=d.created_at,
            _model=d,
        )

    @strawberry.field(
        description="While a token rotation is in progress: when the replaced token stops "
        "working (unless the rotation is completed or cancelled first); otherwise null."
    )
    def token_rotation_expires_at(self) -> datetime | None:
        if not directory_resolvers.rotating(self._model):
            return None
        return self._model.previous_token_expires_at

    @strawberry.field(description="The first characters of the current bearer token.")
    def token_prefix(self) -> str:
        return self._model.token_prefix

    @strawberry.field(description="Give this URL and the bearer token to the identity provider.")
    def scim_base_url(self, info: Info) -> str:
        return directory_resolvers.scim_base_url(info.context.settings.base_url, self._model.id)

    @strawberry.field(description="The organization it provisions.")
    async def organization(self, info: Info) -> OrganizationRef:
        from gatehouse.schema.types.organization import Organization

        org = await info.context.loaders.organization.load(self._model.organization_id)
        return Organization.from_model(required(org))

    @strawberry.field(description="Users it pushed, oldest first.")
    async def users(
        self, info: Info, first: First = None, after: After = None
    ) -> DirectoryUserPage:
        page = await query(
            directory_resolvers.list_directory_users(
                info.context.principal, self._model.id, first, after
            )
        )
        edges, page_info = page_parts(page, DirectoryUser.from_model)
        return DirectoryUserPage(
            edges=[DirectoryUserEdge(cursor=c, node=n) for c, n in edges],
            page_info=page_info,
            _page=page,
        )

    @strawberry.field(description="Groups it pushed, oldest first.")
    async def groups(
        self, info: Info, first: First = None, after: After = None
    ) -> DirectoryGroupPage:
        page = await query(
            directory_resolvers.list_directory_groups(
                info.context.principal, self._model.id, first, after
            )
        )
        edges, page_info = page_parts(page, DirectoryGroup.from_model)
        return DirectoryGroupPage(
            edges=[DirectoryGroupEdge(cursor=c, node=n) for c, n in edges],
            page_info=page_info,
            _page=page,
        )

    @strawberry.field(description="Number of users it pushed (active or not).")
    async def user_count(self, info: Info) -> int:
        return await info.context.loaders.directory_user_count.load(self._model.id)

    @strawberry.field(description="Number of groups it pushed.")
    async def group_count(self, info: Info) -> int:
        return await info.context.loaders.directory_group_count.load(self._model.id)

    @strawberry.field(description="Group→role mappings, highest priority first.")
    async def role_mappings(self, info: Info) -> list[GroupRoleMapping]:
        rows = await info.context.loaders.role_mappings_by_directory.load(self._model.id)
        return [GroupRoleMapping(priority=m.priority, _model=m) for m in rows]

    @strawberry.field(
        description="In PREVIEW: the joiners, movers and leavers its pushes would make, each "
        "with the role it would get, computed now from the mirror and the group→role "
        "mappings; empty once LIVE. Requires `directories:read`."
    )
    async def pending_changes(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        kind: Annotated[
            DirectoryChangeKind | None,
            strawberry.argument(description="Only changes of this kind."),
        ] = None,
    ) -> DirectoryChangePage:
        page = await query(
            preview_resolvers.pending_changes(
                info.context.principal, self._model.id, first, after, kind
            )
        )
        return DirectoryChangePage.from_page(page, kind)

    @strawberry.field(
        description="The last SCIM requests it received (GATEHOUSE_RECORDER_SIZE, default "
        "500), newest first: method, path, status, duration, SCIM error, redacted body and "
        "what changed. Requires `directories:read`."
    )
    async def requests(
        self, info: Info, first: First = None, after: After = None
    ) -> DirectoryRequestPage:
        page = await query(
            recorded_requests.list_scim_requests(info.context.principal, self._model, first, after)
        )
        return DirectoryRequestPage.from_page(page)
