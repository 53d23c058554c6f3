"""Users, members and roles."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.models import MemberSource as MemberSourceModel
from gatehouse.models import MemberStatus as MemberStatusModel
from gatehouse.resolvers.pagination import Page
from gatehouse.schema.context import Info
from gatehouse.schema.loaders import now_or_later, required
from gatehouse.schema.types.common import Node, PageInfo
from gatehouse.schema.types.pagination import page_parts

if TYPE_CHECKING:
    from gatehouse.schema.types.audit import MembershipPeriod
    from gatehouse.schema.types.directory import DirectoryUser
    from gatehouse.schema.types.organization import Organization

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    MemberStatusModel,
    name="MemberStatus",
    description="ACTIVE members may sign in; INACTIVE were deactivated (by an admin or the "
    "directory) or their request to join was denied; PENDING asked to join through a verified "
    "domain in REQUEST mode and wait for `approveMembership` or `denyMembership`.",
)
MemberStatus = MemberStatusModel
# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    MemberSourceModel, name="MemberSource", description="How the membership came to be."
)
MemberSource = MemberSourceModel

OrganizationRef = Annotated["Organization", strawberry.lazy("gatehouse.schema.types.organization")]
DirectoryUserRef = Annotated["DirectoryUser", strawberry.lazy("gatehouse.schema.types.directory")]
MembershipPeriodRef = Annotated["MembershipPeriod", strawberry.lazy("gatehouse.schema.types.audit")]


@strawberry.type(description="A named set of permissions within one organization.")
class Role(Node):
    slug: str = strawberry.field(description="Stable identifier, unique in the organization.")
    name: str = strawberry.field(description="Display name.")
    permissions: list[str] = strawberry.field(description="Permission strings it grants.")
    built_in: bool = strawberry.field(
        description="`admin` and `member` come with every organization and cannot be deleted."
    )
    environment_role: bool = strawberry.field(
        description="The organization's copy of an environment role: it follows the "
        "environment's changes unless `overridden`."
    )
    overridden: bool = strawberry.field(
        description="This organization set its own permissions for the environment role "
        "(`overrideEnvironmentRole`; `resetEnvironmentRole` undoes it)."
    )

    @classmethod
    def from_model(cls, role: models.Role) -> Role:
        return cls(
            id=strawberry.ID(role.id),
            slug=role.slug,
            name=role.name,
            permissions=list(role.permissions),
            built_in=role.system,
            environment_role=role.environment_role,
            overridden=role.overridden,
        )


@strawberry.type(description="A person, identified by one email across the deployment.")
class User(Node):
    email: str = strawberry.field(description="Normalized (lowercased) email address.")
    email_verified: bool = strawberry.field(description="Whether the email was proven.")
    first_name: str | None = strawberry.field(description="Given name.")
    last_name: str | None = strawberry.field(description="Family name.")
    external_id: str | None = strawberry.field(
        description="The operator's own ID for the person, unique in the deployment."
    )
    metadata: JSON = strawberry.field(description="The operator's key-value data for the person.")
    created_at: datetime = strawberry.field(description="When the user was created (UTC).")
    _model: strawberry.Private[models.User]

    @classmethod
    def from_model(cls, user: models.User) -> User:
        return cls(
            id=strawberry.ID(user.id),
            email=user.email,
            email_verified=user.email_verified,
            first_name=user.first_name,
            last_name=user.last_name,
            external_id=user.external_id,
            metadata=JSON(user.metadata or {}),
            created_at=user.created_at,
            _model=user,
        )

    @strawberry.field(
        description="An address a directory or IdP sent for this person that another user "
        "holds: not applied, waiting for the operator (`user.email_conflict`, `mergeUsers`). "
        "Operators only; null for everyone else."
    )
    def pending_email(self, info: Info) -> str | None:
        return self._model.pending_email if info.context.principal.is_operator else None

    @strawberry.field(
        description="The user's memberships the caller may see (its own organization only, "
        "for scoped callers). Requires `members:read`."
    )
    async def memberships(self, info: Info) -> list[Member]:
        principal = info.context.principal
        rows = await info.context.loaders.memberships_by_user.load(str(self.id))
        return [
            Member.from_model(m)
            for m in rows
            if principal.can_access_organization(m.organization_id)
        ]


def _user(row: models.User | None) -> User:
    return User.from_model(required(row))


def _role(row: models.Role | None) -> Role:
    return Role.from_model(required(row))


@strawberry.type(description="A user's membership in an organization, with a role and status.")
class Member(Node):
    status: MemberStatus = strawberry.field(description="Whether the member may sign in.")
    source: MemberSource = strawberry.field(description="How the membership was created.")
    may_bypass_sso: bool = strawberry.field(
        description="Break-glass: this admin may sign in by emailed code where the policy allows "
        "only SSO (set with `setMemberSsoBypass`; ignored while not an admin)."
    )
    created_at: datetime = strawberry.field(description="When the membership was created (UTC).")
    updated_at: datetime = strawberry.field(description="Last change (UTC).")
    _model: strawberry.Private[models.Member]

    @classmethod
    def from_model(cls, member: models.Member) -> Member:
        return cls(
            id=strawberry.ID(member.id),
            status=member.status,
            source=member.source,
            may_bypass_sso=member.may_bypass_sso,
            created_at=member.created_at,
            updated_at=member.updated_at,
            _model=member,
        )

    # graphql_type: the resolver answers at once from the loader cache, else with an awaitable.
    @strawberry.field(description="The person.", graphql_type=User)
    def user(self, info: Info) -> User | Awaitable[User]:
        return now_or_later(info.context.loaders.user, self._model.user_id, _user)

    @strawberry.field(description="Their role in the organization.", graphql_type=Role)
    def role(self, info: Info) -> Role | Awaitable[Role]:
        return now_or_later(info.context.loaders.role, self._model.role_id, _role)

    @strawberry.field(
        description="The directory user that provisions this membership, if any. "
        "Requires `directories:read`."
    )
    async def directory_user(self, info: Info) -> DirectoryUserRef | None:
        from gatehouse.auth.permissions import Permission
        from gatehouse.schema.errors import ensure
        from gatehouse.schema.types.directory import DirectoryUser

        ensure(info.context.principal, Permission.DIRECTORIES_READ)
        rows = await info.context.loaders.directory_users_by_member.load(self._model.id)
        return DirectoryUser.from_model(rows[0]) if rows else None

    @strawberry.field(
        description="Every state this membership had within the audit retention, oldest "
        "first: status, role and source over [from, to). Requires `members:read`."
    )
    async def history(self, info: Info) -> list[MembershipPeriodRef]:
        from gatehouse.resolvers.audit.history import member_history
        from gatehouse.schema.types.audit import MembershipPeriod

        return [MembershipPeriod.from_model(p) for p in await member_history(self._model)]

    @strawberry.field(description="The organization.")
    async def organization(self, info: Info) -> OrganizationRef:
        from gatehouse.schema.types.organization import Organization

        org = await info.context.loaders.organization.load(self._model.organization_id)
        return Organization.from_model(required(org))


@strawberry.type(description="An edge in a user list.")
class UserEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: User = strawberry.field(description="The user.")


@strawberry.type(description="A page of users.")
class UserPage:
    edges: list[UserEdge] = strawberry.field(description="Users on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @classmethod
    def from_page(cls, page: Page[Any]) -> UserPage:
        edges, info = page_parts(page, User.from_model)
        return cls(edges=[UserEdge(cursor=c, node=n) for c, n in edges], page_info=info, _page=page)

    @strawberry.field(description="Users matching the filters, across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()


@strawberry.type(description="An edge in a member list.")
class MemberEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Member = strawberry.field(description="The member.")


@strawberry.type(description="A page of members.")
class MemberPage:
    edges: list[MemberEdge] = strawberry.field(description="Members on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @classmethod
    def from_page(cls, page: Page[Any]) -> MemberPage:
        edges, info = page_parts(page, Member.from_model)
        return cls(
            edges=[MemberEdge(cursor=c, node=n) for c, n in edges], page_info=info, _page=page
        )

    @strawberry.field(description="Members matching the filters, across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()


def _selected_under(info: Info, *path: str) -> set[str]:
    """Names selected below `path` in the current field (fragments are not followed)."""
    selections = info.selected_fields[0].selections if info.selected_fields else []
    for name in path:
        nxt = next((s for s in selections if getattr(s, "name", None) == name), None)
        if nxt is None:
            return set()
        selections = nxt.selections
    return {s.name for s in selections if hasattr(s, "name")}


def selected_member_fields(info: Info) -> set[str]:
    """The fields a members page asks of each member (`edges { node { … } }`)."""
    return _selected_under(info, "edges", "node")


async def preload_member_relations(info: Info, members: list[models.Member]) -> None:
    """Batch-load the users and roles a members page will ask for, before the per-row fields
    resolve, so each row answers from the loader cache."""
    wanted = selected_member_fields(info)
    loaders = info.context.loaders
    # Users joined into the page (list_members) answer without another query; `_user` is
    # where Tortoise keeps a fetched relation (reading `m.user` unfetched builds a query).
    loaders.prime(m.__dict__["_user"] for m in members if "_user" in m.__dict__)
    loads: list[Awaitable[None]] = []
    if "user" in wanted:
        loads.append(loaders.preload(loaders.user, models.User, (m.user_id for m in members)))
    if "role" in wanted:
        loads.append(loaders.preload(loaders.role, models.Role, (m.role_id for m in members)))
    await asyncio.gather(*loads)
