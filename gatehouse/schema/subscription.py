"""The Subscription root: provisioning events, replayed from a cursor then live."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated

import strawberry
from graphql import GraphQLError

from gatehouse import models
from gatehouse.auth.backend import InvalidCredentials, principal_from_authorization
from gatehouse.auth.principal import Principal
from gatehouse.events.hub import Hub
from gatehouse.ops import metrics
from gatehouse.resolvers.errors import AccessError, DomainError
from gatehouse.resolvers.events import reading as events
from gatehouse.resolvers.onboarding import live as onboarding
from gatehouse.schema import fanout
from gatehouse.schema.context import Info
from gatehouse.schema.errors import PublicError, access_error
from gatehouse.schema.types.event import Event
from gatehouse.schema.types.onboarding import Onboarding


@strawberry.type(description="Live streams over graphql-transport-ws or graphql-ws.")
class Subscription:
    @strawberry.subscription(
        description="Events in commit order: those after `after` first (omit it to start "
        "now), then live ones, with no gap and no duplicate. Scoped callers follow only their "
        "organization. Authenticate in `connection_init` with "
        '`{"authorization": "Bearer …"}`. When the server ends the stream (code '
        "`SUBSCRIBER_TOO_SLOW`, or `SERVER_SHUTTING_DOWN` during a deploy) the error's "
        "`extensions.resumeCursor` is the `after` to reconnect with. Requires `events:read`."
    )
    async def events(
        self,
        info: Info,
        organization_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this organization (operators may omit it)."),
        ] = None,
        types: Annotated[
            list[str] | None, strawberry.argument(description="Only these event types.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="An event's `cursor` to resume after.")
        ] = None,
    ) -> AsyncGenerator[Event, None]:
        context = info.context
        header = context.authorization
        hub = context.event_hub
        if hub is None:
            raise PublicError("Subscriptions are not available on this server.", "UNAVAILABLE")

        async def reauthenticate() -> Principal | None:
            try:
                principal = await principal_from_authorization(header, info.context.settings)
            except InvalidCredentials:
                return None
            return principal if principal.is_authenticated else None

        org = str(organization_id) if organization_id else None
        sink = fanout.SINK.get()
        stream: AsyncIterator[models.Event | Event]
        if sink is None:
            stream = events.subscribe_events(
                context.principal,
                hub,
                org,
                types,
                after,
                reauthenticate=reauthenticate,
                recheck_seconds=context.settings.subscription_recheck_seconds,
            )
        else:
            stream = _grouped_events(info, sink, org, types, after, reauthenticate)
        metrics.ACTIVE_SUBSCRIPTIONS.inc()
        try:
            async for event in stream:
                yield event if isinstance(event, Event) else Event.from_model(event)
        except AccessError as e:
            raise access_error(e) from None
        except DomainError as e:
            raise PublicError(e.errors[0].message, e.errors[0].code.value) from None
        except events.SubscriptionEnded as e:
            raise GraphQLError(
                str(e), extensions={"code": e.code, "resumeCursor": e.cursor}
            ) from None
        finally:
            metrics.ACTIVE_SUBSCRIPTIONS.dec()

    @strawberry.subscription(
        description="An organization's onboarding status: the current one at once, then a new "
        "one whenever an event changes it (a domain added or verified, a connection created or "
        "activated, a directory's first push, …). Computed once per change for every "
        "subscriber. When the server ends the stream (`SERVER_SHUTTING_DOWN`), reconnect: the "
        "first message is the status then. Authenticate in `connection_init`. Requires "
        "`organizations:read`."
    )
    async def onboarding(
        self,
        info: Info,
        organization_id: Annotated[
            strawberry.ID, strawberry.argument(description="The organization (`org_…`).")
        ],
    ) -> AsyncGenerator[Onboarding, None]:
        context = info.context
        hub = context.event_hub
        if hub is None:
            raise PublicError("Subscriptions are not available on this server.", "UNAVAILABLE")
        header = context.authorization

        async def reauthenticate() -> Principal | None:
            try:
                principal = await principal_from_authorization(header, context.settings)
            except InvalidCredentials:
                return None
            return principal if principal.is_authenticated else None

        stream = onboarding.subscribe_onboarding(
            context.principal,
            hub,
            str(organization_id),
            reauthenticate=reauthenticate,
            recheck_seconds=context.settings.subscription_recheck_seconds,
        )
        metrics.ACTIVE_SUBSCRIPTIONS.inc()
        try:
            async for status in stream:
                yield Onboarding.from_status(status)
        except AccessError as e:
            raise access_error(e) from None
        except DomainError as e:
            raise PublicError(e.errors[0].message, e.errors[0].code.value) from None
        except onboarding.OnboardingEnded as e:
            raise GraphQLError(str(e), extensions={"code": e.code}) from None
        finally:
            metrics.ACTIVE_SUBSCRIPTIONS.dec()


class EventFeed:
    """The events one group of `events` subscribers follows (schema/fanout.py)."""

    def __init__(self, hub: Hub, org: str | None, types: list[str] | None) -> None:
        self.hub = hub
        self.org = org
        self.types = types

    async def follow(self, cursor: int) -> AsyncGenerator[tuple[int, Event], None]:
        # Members recheck their own credential; the group has none of its own.
        stream = events.follow(self.hub, cursor, self.org, self.types, None, 0)
        async with contextlib.aclosing(stream):
            async for event in stream:
                yield event.position or 0, Event.from_model(event)

    async def catch_up(self, cursor: int, upto: int) -> tuple[list[tuple[int, Event]], int]:
        rows, after = await self.hub.read_after(cursor, self.org, self.types, events.REPLAY_BATCH)
        values = [(e.position or 0, Event.from_model(e)) for e in rows if (e.position or 0) <= upto]
        if len(values) < len(rows) or after >= upto:
            return values, upto
        return values, after

    def ended(self, error: Exception, cursor: int) -> BaseException:
        if isinstance(error, events.SubscriptionEnded):
            return type(error)(cursor)  # the member's own resume cursor, not the group's
        return error

    def too_slow(self, cursor: int) -> BaseException:
        return events.SubscriberTooSlow(cursor)


async def _grouped_events(
    info: Info,
    sink: fanout.Sink,
    organization_id: str | None,
    types: list[str] | None,
    after: str | None,
    reauthenticate: events.Reauthenticate,
) -> AsyncGenerator[Event, None]:
    """A subscriber sharing its group's execution; it reads alone only what it lacks."""
    context = info.context
    hub = context.event_hub
    assert hub is not None
    org, cursor = await events.subscription_start(context.principal, organization_id, after)

    async def recheck() -> None:
        await events.recheck(reauthenticate, org)

    feed = EventFeed(hub, org, types)
    member = fanout.join(
        info,
        sink,
        fanout.groups_for(hub),
        feed,
        cursor,
        recheck,
        context.settings.subscription_recheck_seconds,
    )
    hub.reader_joined()
    try:
        async with contextlib.aclosing(member):
            async for event in member:
                yield event
    finally:
        hub.reader_left()
