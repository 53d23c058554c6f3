"""One check per portal intent: is that part of the organization's setup done?"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gatehouse.models import Connection, ConnectionState, Domain, DomainState, PortalIntent


async def domains_done(organization_id: str) -> bool:
    return await Domain.filter(organization_id=organization_id, state=DomainState.VERIFIED).exists()


async def sso_done(organization_id: str) -> bool:
    return await Connection.filter(
        organization_id=organization_id, state=ConnectionState.ACTIVE
    ).exists()


async def directory_done(organization_id: str) -> bool:
    # Linked and already pushed something: the IdP is really talking to us.
    from gatehouse.models import Directory

    return await Directory.filter(
        organization_id=organization_id, last_activity_at__isnull=False
    ).exists()


async def log_streams_done(organization_id: str) -> bool:
    from gatehouse.models import LogStream

    return await LogStream.filter(organization_id=organization_id).exists()


CHECKS: dict[PortalIntent, Callable[[str], Awaitable[bool]]] = {
    PortalIntent.DOMAIN_VERIFICATION: domains_done,
    PortalIntent.SSO: sso_done,
    PortalIntent.DSYNC: directory_done,
    PortalIntent.LOG_STREAMS: log_streams_done,
}
