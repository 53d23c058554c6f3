"""Binds the resolvers to Strawberry. No business rules here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from gatehouse.schema.direct_fields import resolve_fields_directly
from gatehouse.schema.leaf_fields import LeafExecutionContext
from gatehouse.schema.limits import extensions, is_unexpected
from gatehouse.schema.mutations.api_keys import ApiKeyMutations
from gatehouse.schema.mutations.audit import AuditMutations
from gatehouse.schema.mutations.connections import ConnectionMutations
from gatehouse.schema.mutations.deliveries import DeliveryMutations
from gatehouse.schema.mutations.directories import DirectoryMutations
from gatehouse.schema.mutations.domains import DomainMutations
from gatehouse.schema.mutations.invitations import InvitationMutations
from gatehouse.schema.mutations.members import MemberMutations
from gatehouse.schema.mutations.organizations import OrganizationMutations
from gatehouse.schema.mutations.portal import PortalMutations
from gatehouse.schema.mutations.product_roles import ProductRoleMutations
from gatehouse.schema.mutations.roles import RoleMutations
from gatehouse.schema.mutations.sign_in import SignInMutations
from gatehouse.schema.mutations.users import UserMutations
from gatehouse.schema.query import Query
from gatehouse.schema.subscription import Subscription
from gatehouse.schema.types.api_key import ApiKey
from gatehouse.schema.types.connection import Connection
from gatehouse.schema.types.delivery import Delivery, LogStream, WebhookEndpoint
from gatehouse.schema.types.directory import Directory, DirectoryGroup, DirectoryUser
from gatehouse.schema.types.domain import Domain
from gatehouse.schema.types.event import Event
from gatehouse.schema.types.invitation import Invitation
from gatehouse.schema.types.member import Member, Role, User
from gatehouse.schema.types.onboarding import (
    DirectoryStep,
    DomainsStep,
    LogStreamsStep,
    MembersStep,
    SsoStep,
)
from gatehouse.schema.types.organization import Organization
from gatehouse.settings import Settings, get_settings


@strawberry.type(
    description="Changes. Each takes one `input` and returns a payload with "
    "`userErrors`; nothing changes when there are any."
)
class Mutation(
    OrganizationMutations,
    MemberMutations,
    RoleMutations,
    ApiKeyMutations,
    DomainMutations,
    ConnectionMutations,
    PortalMutations,
    DirectoryMutations,
    InvitationMutations,
    DeliveryMutations,
    SignInMutations,
    UserMutations,
    ProductRoleMutations,
    AuditMutations,
):
    pass


# Types reachable only through the Node interface must be listed to appear in the schema.
NODE_TYPES = [
    Organization,
    Member,
    User,
    Role,
    ApiKey,
    Domain,
    Connection,
    Directory,
    DirectoryUser,
    DirectoryGroup,
    Invitation,
    WebhookEndpoint,
    LogStream,
    Delivery,
    Event,
]


# The onboarding steps appear both as fields and through the OnboardingStep interface.
STEP_TYPES = [DomainsStep, SsoStep, DirectoryStep, LogStreamsStep, MembersStep]


class GatehouseSchema(strawberry.Schema):
    # No "Did you mean …?" in variable errors where introspection is off (SECURITY 52); the
    # validator hides them in validation errors.
    hide_suggestions = False

    def _get_execute_function(self) -> Callable[..., Any]:
        execute = super()._get_execute_function()
        return functools.partial(execute, hide_suggestions=self.hide_suggestions)

    def _get_middleware_manager(self, extensions: list[Any]) -> Any:
        # No extension here hooks `resolve`: with no manager at all, graphql-core skips its
        # per-field middleware lookup (an empty manager is still truthy to it).
        if any(ext._implements_resolve() for ext in extensions):  # noqa: SLF001
            return super()._get_middleware_manager(extensions)
        return None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error at ERROR level. Errors raised on purpose (NOT_FOUND,
        # RATE_LIMITED, SERVER_SHUTTING_DOWN, ...) are answers, not faults: log only the others.
        unexpected = [e for e in errors if is_unexpected(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or get_settings()
    schema = GatehouseSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*NODE_TYPES, *STEP_TYPES],
        execution_context_class=LeafExecutionContext,
    )
    schema.hide_suggestions = not settings.introspection_enabled
    # The validator needs the built graphql-core schema, which exists only now (Strawberry
    # exposes it only as `_schema`).
    schema.extensions = tuple(extensions(schema._schema, settings))  # noqa: SLF001
    resolve_fields_directly(schema)
    return schema


__all__ = ["build_schema"]
