"""The last N sign-in attempts per connection: outcome, reason, and what the IdP sent
(issuer, NameID format, subject and attributes, masked), so an admin can see why it failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.models import Connection, SignInAttempt, SignInOutcome
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.recording.masking import redact, scrub_text
from gatehouse.resolvers.recording.requests import NewestFirst, add_and_trim, newest_first


@dataclass
class Observed:
    """What the IdP's response said, read before (or without) validation: for the record only,
    never for a decision."""

    issuer: str | None = None
    name_id_format: str | None = None
    subject: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


async def record_attempt(
    connection: Connection,
    outcome: SignInOutcome,
    observed: Observed,
    *,
    keep: int,
    mask: bool,
    reason: str | None = None,
    message: str | None = None,
) -> None:
    if keep <= 0:
        return
    row = SignInAttempt(
        connection_id=connection.id,
        outcome=outcome,
        reason=reason[:64] if reason else None,
        message=scrub_text(message)[:500] if message else None,
        issuer=observed.issuer[:1024] if observed.issuer else None,
        name_id_format=observed.name_id_format[:256] if observed.name_id_format else None,
        subject=redact(observed.subject, mask=mask)[:320] if observed.subject else None,
        attributes=redact(observed.attributes, mask=mask),
    )
    await add_and_trim(row, keep, connection_id=connection.id)


async def list_attempts(
    principal: Principal, connection: Connection, first: int | None, after: str | None
) -> NewestFirst[SignInAttempt]:
    require(principal, Permission.CONNECTIONS_READ)
    query = SignInAttempt.filter(connection_id=connection.id)
    if not visible_organization(principal, connection.organization_id):
        query = query.filter(id__isnull=True)
    return await newest_first(query, first, after)
