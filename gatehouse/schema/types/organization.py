"""Organizations and their policy."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.auth.permissions import Permission
from gatehouse.resolvers import api_keys as api_key_resolvers
from gatehouse.resolvers import members as member_resolvers
from gatehouse.resolvers.audit import entries as audit_entries
from gatehouse.resolvers.audit import history
from gatehouse.resolvers.audit.entries import EntryFilter
from gatehouse.resolvers.events import repair as repair_resolvers
from gatehouse.resolvers.invitations import lifecycle as invitation_resolvers
from gatehouse.resolvers.organizations import AuthMethod as AuthMethodModel
from gatehouse.resolvers.pagination import Page
from gatehouse.schema.context import Info
from gatehouse.schema.errors import ensure, query
from gatehouse.schema.types.api_key import ApiKeyPage
from gatehouse.schema.types.audit import AuditLogEntryPage
from gatehouse.schema.types.common import After, First, Node, PageInfo
from gatehouse.schema.types.connection import Connection
from gatehouse.schema.types.delivery import LogStream, WebhookEndpointPage
from gatehouse.schema.types.directory import Directory
from gatehouse.schema.types.domain import Domain
from gatehouse.schema.types.invitation import InvitationPage, InvitationState
from gatehouse.schema.types.member import (
    MemberPage,
    MemberStatus,
    Role,
    preload_member_relations,
    selected_member_fields,
)
from gatehouse.schema.types.onboarding import Onboarding
from gatehouse.schema.types.pagination import page_parts

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    AuthMethodModel,
    name="AuthMethod",
    description="A way members may prove who they are: SSO through one of the organization's "
    "connections, or a code mailed to them (accepting an invitation counts as EMAIL_CODE).",
)
AuthMethod = AuthMethodModel


@strawberry.type(description="How people get into the organization.")
class OrganizationPolicy:
    jit_provisioning: bool = strawberry.field(
        description="Create a member on first SSO sign-in (Just-in-Time provisioning), where "
        "the connection allows it too."
    )
    allowed_auth_methods: list[AuthMethod] = strawberry.field(
        description="How members may sign in; enforced wherever a session is issued or "
        "extended. Only break-glass admins (`Member.mayBypassSso`) sign in by code where SSO "
        "alone is allowed."
    )
    restrict_invitations_to_verified_domains: bool = strawberry.field(
        description="Invitations only to emails at the organization's verified domains."
    )
    require_sso: bool = strawberry.field(
        description="Members must sign in through SSO: `allowedAuthMethods` is [SSO].",
        deprecation_reason="Use allowedAuthMethods; removed in the next release.",
    )
    _organization: strawberry.Private[models.Organization]

    @strawberry.field(
        description="Whether any verified domain enrolls its people automatically.",
        deprecation_reason="Enrollment is per domain (Domain.enrollment); removed in the next "
        "release.",
    )
    async def join_by_verified_domain(self, info: Info) -> bool:
        rows = await info.context.loaders.domains_by_organization.load(self._organization.id)
        return any(
            d.state is models.DomainState.VERIFIED
            and d.enrollment is models.DomainEnrollment.AUTOMATIC
            for d in rows
        )

    @strawberry.field(description="Role given to members who join without a chosen role.")
    async def default_role(self, info: Info) -> Role | None:
        roles = await info.context.loaders.roles_by_organization.load(self._organization.id)
        slug = self._organization.default_role_slug
        return next((Role.from_model(r) for r in roles if r.slug == slug), None)


@strawberry.type(description="A customer organization (tenant). Requires `organizations:read`.")
class Organization(Node):
    name: str = strawberry.field(description="Display name.")
    external_id: str | None = strawberry.field(
        description="The operator's own identifier for this customer, unique."
    )
    metadata: JSON = strawberry.field(description="Free-form JSON object set by the operator.")
    created_at: datetime = strawberry.field(description="Creation time (UTC).")
    updated_at: datetime = strawberry.field(description="Last change (UTC).")
    _model: strawberry.Private[models.Organization]

    @classmethod
    def from_model(cls, org: models.Organization) -> Organization:
        return cls(
            id=strawberry.ID(org.id),
            name=org.name,
            external_id=org.external_id,
            metadata=JSON(org.metadata),
            created_at=org.created_at,
            updated_at=org.updated_at,
            _model=org,
        )

    @strawberry.field(description="Sign-in and provisioning policy.")
    def policy(self) -> OrganizationPolicy:
        m = self._model
        return OrganizationPolicy(
            jit_provisioning=m.jit_provisioning,
            allowed_auth_methods=[AuthMethod(a) for a in m.allowed_auth_methods],
            restrict_invitations_to_verified_domains=m.restrict_invitations_to_verified_domains,
            require_sso=not m.email_code_allowed,
            _organization=m,
        )

    @strawberry.field(
        description="Domains the organization claims, by name, in every state. "
        "Requires `domains:read`."
    )
    async def domains(self, info: Info) -> list[Domain]:
        ensure(info.context.principal, Permission.DOMAINS_READ)
        rows = await info.context.loaders.domains_by_organization.load(self._model.id)
        return [Domain.from_model(d) for d in rows]

    @strawberry.field(description="Roles defined in the organization. Requires `roles:read`.")
    async def roles(self, info: Info) -> list[Role]:
        ensure(info.context.principal, Permission.ROLES_READ)
        rows = await info.context.loaders.roles_by_organization.load(self._model.id)
        return [Role.from_model(r) for r in rows]

    @strawberry.field(description="SSO connections, oldest first. Requires `connections:read`.")
    async def connections(self, info: Info) -> list[Connection]:
        ensure(info.context.principal, Permission.CONNECTIONS_READ)
        rows = await info.context.loaders.connections_by_organization.load(self._model.id)
        return [Connection.from_model(c) for c in rows]

    @strawberry.field(description="Members, oldest first. Requires `members:read`.")
    async def members(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        status: Annotated[
            MemberStatus | None, strawberry.argument(description="Only members in this status.")
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Substring of the email or name (not with asOf)."),
        ] = None,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(
                description="The members as they were at this instant (within the audit "
                "retention): each with the role, status and source it had then, including "
                "memberships removed since. `updatedAt` is when that state began."
            ),
        ] = None,
    ) -> MemberPage:
        principal = info.context.principal
        if as_of is not None:
            page = await query(
                history.members_as_of(principal, self._model.id, as_of, first, after, status)
            )
        else:
            page = await query(
                member_resolvers.list_members(
                    principal,
                    self._model.id,
                    first,
                    after,
                    status,
                    search,
                    with_users="user" in selected_member_fields(info),
                )
            )
        await preload_member_relations(info, page.items)
        return MemberPage.from_page(page)

    @strawberry.field(
        description="The organization's audit trail, in the order entries were recorded: "
        "Gatehouse's events with who acted, and the product's own (`createAuditEvent`). "
        "Requires `audit_logs:read`."
    )
    async def audit_logs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        range_start: Annotated[
            datetime | None, strawberry.argument(description="Entries at or after (UTC).")
        ] = None,
        range_end: Annotated[
            datetime | None, strawberry.argument(description="Entries before (UTC).")
        ] = None,
        actions: Annotated[
            list[str] | None, strawberry.argument(description="Only these actions.")
        ] = None,
        actor_ids: Annotated[
            list[str] | None, strawberry.argument(description="Only by these actors.")
        ] = None,
    ) -> AuditLogEntryPage:
        where = EntryFilter(range_start, range_end, actions, actor_ids)
        page = await query(
            audit_entries.list_audit_entries(
                info.context.principal, self._model.id, where, first, after
            )
        )
        return AuditLogEntryPage.from_page(page)

    @strawberry.field(
        description="SCIM directories that provision its members. Requires `directories:read`."
    )
    async def directories(self, info: Info) -> list[Directory]:
        ensure(info.context.principal, Permission.DIRECTORIES_READ)
        rows = await info.context.loaders.directories_by_organization.load(self._model.id)
        return [Directory.from_model(d) for d in rows]

    @strawberry.field(
        description="Log streams sending its events to a SIEM, oldest first. "
        "Requires `log_streams:write`."
    )
    async def log_streams(self, info: Info) -> list[LogStream]:
        ensure(info.context.principal, Permission.LOG_STREAMS_WRITE)
        rows = await info.context.loaders.log_streams_by_organization.load(self._model.id)
        return [LogStream.from_model(s) for s in rows]

    @strawberry.field(description="Invitations, oldest first. Requires `invitations:read`.")
    async def invitations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        state: Annotated[
            InvitationState | None,
            strawberry.argument(description="Only invitations in this state (EXPIRED derived)."),
        ] = None,
    ) -> InvitationPage:
        page = await query(
            invitation_resolvers.list_invitations(
                info.context.principal, self._model.id, state, first, after
            )
        )
        return InvitationPage.from_page(page)

    @strawberry.field(
        description="How far the organization is with setup: each step, its state and the facts "
        "behind it. The `onboarding` subscription pushes it live. Requires `organizations:read`."
    )
    async def onboarding(self, info: Info) -> Onboarding:
        ensure(info.context.principal, Permission.ORGANIZATIONS_READ)
        status = await info.context.loaders.onboarding.load(self._model.id)
        return Onboarding.from_status(status)

    @strawberry.field(
        description="Its webhook endpoints, oldest first (never their secrets). "
        "Requires `webhooks:write`."
    )
    async def webhook_endpoints(
        self, info: Info, first: First = None, after: After = None
    ) -> WebhookEndpointPage:
        page = await query(
            repair_resolvers.list_webhook_endpoints(
                info.context.principal, self._model.id, first, after
            )
        )
        return WebhookEndpointPage.from_page(page)

    @strawberry.field(
        description="Its API keys, oldest first: metadata only, never a secret. "
        "Requires `api_keys:write`."
    )
    async def api_keys(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        include_revoked: Annotated[
            bool, strawberry.argument(description="Revoked keys too.")
        ] = False,
    ) -> ApiKeyPage:
        page = await query(
            api_key_resolvers.list_api_keys(
                info.context.principal,
                self._model.id,
                first,
                after,
                include_revoked=include_revoked,
            )
        )
        return ApiKeyPage.from_page(page)


@strawberry.type(description="An edge in an organization list.")
class OrganizationEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Organization = strawberry.field(description="The organization.")


@strawberry.type(description="A page of organizations.")
class OrganizationPage:
    edges: list[OrganizationEdge] = strawberry.field(description="Organizations on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @classmethod
    def from_page(cls, page: Page[Any]) -> OrganizationPage:
        edges, info = page_parts(page, Organization.from_model)
        return cls(
            edges=[OrganizationEdge(cursor=c, node=n) for c, n in edges],
            page_info=info,
            _page=page,
        )

    @strawberry.field(description="Organizations matching the filters, across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()
