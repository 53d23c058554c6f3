"""The Query root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gatehouse.auth.principal import Principal
from gatehouse.models.ids import prefix_of
from gatehouse.resolvers import api_keys, members, organizations, roles
from gatehouse.resolvers.directories import lifecycle as directories
from gatehouse.resolvers.domains import lifecycle as domains
from gatehouse.resolvers.errors import AuthenticationRequired
from gatehouse.resolvers.events import log_streams, repair, webhooks
from gatehouse.resolvers.events import reading as events
from gatehouse.resolvers.invitations import lifecycle as invitations
from gatehouse.resolvers.onboarding import status as onboarding_status
from gatehouse.resolvers.sign_in import routing as sign_in
from gatehouse.resolvers.sso import certificates, connections
from gatehouse.resolvers.sso.sign_in import now as sso_clock
from gatehouse.resolvers.users import erasure
from gatehouse.resolvers.users import lifecycle as users
from gatehouse.schema.context import Info
from gatehouse.schema.errors import access_error, query
from gatehouse.schema.query_roles import RoleQueries
from gatehouse.schema.types.api_key import ApiKey, ApiKeyPage
from gatehouse.schema.types.common import After, First, Node
from gatehouse.schema.types.connection import Connection
from gatehouse.schema.types.delivery import (
    Delivery,
    LogStream,
    WebhookEndpoint,
    WebhookEndpointPage,
)
from gatehouse.schema.types.directory import Directory, DirectoryGroup, DirectoryUser
from gatehouse.schema.types.domain import Domain
from gatehouse.schema.types.event import Event, EventPage
from gatehouse.schema.types.invitation import Invitation
from gatehouse.schema.types.member import Member, Role, User, UserPage
from gatehouse.schema.types.onboarding import OnboardingState
from gatehouse.schema.types.organization import Organization, OrganizationPage
from gatehouse.schema.types.sign_in import SignInRoute
from gatehouse.schema.types.viewer import Viewer

# How `node(id:)` finds each prefix: the resolver that checks access, and the type to return.
NODE_RESOLVERS: dict[str, tuple[Callable[[Principal, str], Awaitable[Any]], Any]] = {
    "org": (organizations.get_organization, Organization),
    "om": (members.get_member, Member),
    "user": (members.get_user, User),
    "role": (roles.get_role, Role),
    "key": (api_keys.get_api_key, ApiKey),
    "whe": (webhooks.get_webhook_endpoint, WebhookEndpoint),
    "ls": (log_streams.get_log_stream, LogStream),
    "dom": (domains.get_domain, Domain),
    "conn": (connections.get_connection, Connection),
    "dir": (directories.get_directory, Directory),
    "diru": (directories.get_directory_user, DirectoryUser),
    "dirg": (directories.get_directory_group, DirectoryGroup),
    "inv": (invitations.get_invitation, Invitation),
    "dlv": (repair.get_delivery, Delivery),
    "evt": (repair.get_event, Event),
}


@strawberry.type(
    description="Reads. Objects outside the caller's scope read as null or are left out of lists."
)
class Query(RoleQueries):
    @strawberry.field(
        description="The caller: credential kind, scope and permissions (for a session, its "
        "role's product permissions too). Requires any valid credential."
    )
    def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        if not principal.is_authenticated:
            raise access_error(AuthenticationRequired())
        return Viewer(
            kind=principal.kind,
            permissions=roles.viewer_permissions(principal),
            organization_id=strawberry.ID(principal.organization_id)
            if principal.organization_id
            else None,
        )

    @strawberry.field(
        description="Any object by its prefixed ID; null when it does not exist "
        "or is outside the caller's scope. Requires the object's read permission."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A prefixed ID.")],
    ) -> Node | None:
        entry = NODE_RESOLVERS.get(prefix_of(str(id)) or "")
        if entry is None:
            return None
        get, type_ = entry
        model = await query(get(info.context.principal, str(id)))
        return type_.from_model(model) if model is not None else None

    @strawberry.field(
        description="One organization, by ID or by your external ID; null when unknown or "
        "outside the caller's scope. Requires `organizations:read`."
    )
    async def organization(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None, strawberry.argument(description="An `org_…` ID.")
        ] = None,
        external_id: Annotated[
            str | None,
            strawberry.argument(description="The external ID you gave the organization."),
        ] = None,
    ) -> Organization | None:
        org = await query(
            organizations.get_organization(
                info.context.principal, str(id) if id else None, external_id=external_id
            )
        )
        if org is None:
            return None
        info.context.loaders.prime([org])
        return Organization.from_model(org)

    @strawberry.field(
        description="One person, by ID or by your external ID; null when unknown or outside "
        "the caller's scope (an organization's caller sees its own members' users). Requires "
        "`members:read`."
    )
    async def user(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A `user_…` ID.")
        ] = None,
        external_id: Annotated[
            str | None, strawberry.argument(description="The external ID you gave the user.")
        ] = None,
    ) -> User | None:
        found = await query(
            users.get_user(info.context.principal, str(id) if id else None, external_id)
        )
        return User.from_model(found) if found else None

    @strawberry.field(
        description="People, oldest first: every user for an operator, an organization's "
        "caller its own members' users. Requires `members:read`."
    )
    async def users(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        email: Annotated[
            str | None, strawberry.argument(description="Exactly this address.")
        ] = None,
        organization_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only members (any status) of this organization."),
        ] = None,
    ) -> UserPage:
        page = await query(
            users.list_users(
                info.context.principal,
                first,
                after,
                email,
                str(organization_id) if organization_id else None,
            )
        )
        return UserPage.from_page(page)

    @strawberry.field(
        description="Everything Gatehouse holds about a person, as JSON (an access request): "
        "profile, memberships, sessions, SSO identities, directory records, invitations and "
        "the events that name them. Null for an unknown user. Requires `users:manage` "
        "(operators only)."
    )
    async def export_user(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user.")],
    ) -> JSON | None:
        exported = await query(erasure.export_user(info.context.principal, str(user_id)))
        return JSON(exported) if exported is not None else None

    @strawberry.field(
        description="SAML connections with an IdP certificate expiring within `withinDays` "
        "(or already expired), soonest first, at most 100: the operator's renewal list. "
        "Requires `connections:read`."
    )
    async def connections_with_expiring_certificates(
        self,
        info: Info,
        within_days: Annotated[
            int, strawberry.argument(description="Days ahead to look, 0-3650.")
        ] = 30,
    ) -> list[Connection]:
        found = await query(
            certificates.connections_with_expiring_certificates(
                info.context.principal, within_days, sso_clock()
            )
        )
        return [Connection.from_model(c) for c in found]

    @strawberry.field(
        description="One invitation; null when unknown or outside the caller's "
        "scope. Requires `invitations:read`."
    )
    async def invitation(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="An `inv_…` ID.")],
    ) -> Invitation | None:
        found = await query(invitations.get_invitation(info.context.principal, str(id)))
        return Invitation.from_model(found) if found else None

    @strawberry.field(
        description="Organizations the caller may see, oldest first. Requires `organizations:read`."
    )
    async def organizations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        search: Annotated[
            str | None, strawberry.argument(description="Case-insensitive substring of the name.")
        ] = None,
        onboarding: Annotated[
            OnboardingState | None,
            strawberry.argument(
                description="Only organizations whose overall onboarding state is this, e.g. "
                "NEEDS_ATTENTION to find who is stuck."
            ),
        ] = None,
        domain: Annotated[
            str | None,
            strawberry.argument(
                description="Only organizations that claimed this domain (`acme.com`)."
            ),
        ] = None,
    ) -> OrganizationPage:
        principal = info.context.principal
        if onboarding is None:
            page = await query(
                organizations.list_organizations(principal, first, after, search, domain=domain)
            )
        else:
            page = await query(
                onboarding_status.list_organizations_in_state(
                    principal, onboarding, first, after, search
                )
            )
        return OrganizationPage.from_page(page)

    @strawberry.field(
        description="Webhook endpoints, oldest first, never their secrets: every endpoint for "
        "an operator, the organization's own for a scoped caller. Requires `webhooks:write`."
    )
    async def webhook_endpoints(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        organization_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this organization's endpoints."),
        ] = None,
    ) -> WebhookEndpointPage:
        page = await query(
            repair.list_webhook_endpoints(
                info.context.principal,
                str(organization_id) if organization_id else None,
                first,
                after,
            )
        )
        return WebhookEndpointPage.from_page(page)

    @strawberry.field(
        description="API keys, oldest first, metadata only (never a secret): every key for an "
        "operator, the organization's own for a scoped caller. Requires `api_keys:write`."
    )
    async def api_keys(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        organization_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this organization's keys.")
        ] = None,
        include_revoked: Annotated[
            bool, strawberry.argument(description="Revoked keys too.")
        ] = False,
    ) -> ApiKeyPage:
        page = await query(
            api_keys.list_api_keys(
                info.context.principal,
                str(organization_id) if organization_id else None,
                first,
                after,
                include_revoked=include_revoked,
            )
        )
        return ApiKeyPage.from_page(page)

    @strawberry.field(
        description="The event outbox, oldest first. Scoped callers see only "
        "their organization's events. Requires `events:read`."
    )
    async def events(
        self,
        info: Info,
        organization_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this organization's events."),
        ] = None,
        types: Annotated[
            list[str] | None, strawberry.argument(description="Only these event types.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> EventPage:
        page = await query(
            events.list_events(
                info.context.principal,
                str(organization_id) if organization_id else None,
                types,
                first,
                after,
            )
        )
        return EventPage.from_page(page)

    @strawberry.field(
        description="Where an email signs in: the organization that verified its domain (a "
        "verified parent domain covers subdomains) and the method: SSO with the authorize URL "
        "when an active connection exists, JOIN_BY_DOMAIN, INVITATION_REQUIRED, or NONE. It "
        "reveals which organizations exist, so it needs an operator key, or a scoped caller "
        "with `organizations:read`, who only ever sees its own organization."
    )
    async def resolve_sign_in(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="The email typed at sign-in.")],
    ) -> SignInRoute:
        route = await query(
            sign_in.resolve_sign_in(info.context.principal, email, info.context.settings.base_url)
        )
        return SignInRoute.from_route(route)
