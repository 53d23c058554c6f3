"""Reading the event outbox."""

from __future__ import annotations

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.models import Event
from gatehouse.resolvers.access import require
from gatehouse.resolvers.pagination import Page, empty, paginate


async def list_events(
    principal: Principal,
    organization_id: str | None,
    types: list[str] | None,
    first: int | None,
    after: str | None,
) -> Page[Event]:
    require(principal, Permission.EVENTS_READ)
    query = Event.all()
    if principal.organization_id is not None:
        # A scoped caller sees its own organization's events, whatever it asked for.
        if organization_id not in (None, principal.organization_id):
            query = empty(query)
        query = query.filter(organization_id=principal.organization_id)
    elif organization_id is not None:
        query = query.filter(organization_id=organization_id)
    if types:
        query = query.filter(type__in=types)
    return await paginate(query, first, after)
