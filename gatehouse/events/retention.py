"""Outbox retention: events older than GATEHOUSE_EVENT_RETENTION_DAYS are deleted.

Positions are dense (1, 2, 3…), so a cursor whose next position is gone has expired: the
reader is told so (CURSOR_EXPIRED) rather than silently skipping ahead. Each organization's
newest event (and the overall newest) is kept, so sequence numbers continue after a prune.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import Tortoise

from gatehouse.models import AuditEntry, AuditSettings, Event, MembershipPeriod
from gatehouse.models.audit import DEFAULT_RETENTION_DAYS


def now() -> datetime:
    return datetime.now(UTC)


async def prune_events(retention_days: int) -> int:
    cutoff = now() - timedelta(days=retention_days)
    conn = Tortoise.get_connection("default")
    keep = await conn.execute_query_dict(
        "SELECT MAX(position) AS p FROM events WHERE position IS NOT NULL GROUP BY organization_id"
    )
    keep_positions = [int(r["p"]) for r in keep if r["p"] is not None]
    return await (
        Event.filter(occurred_at__lt=cutoff, position__isnull=False)
        .exclude(position__in=keep_positions)
        .delete()
    )


async def cursor_expired(cursor: int) -> bool:
    """Whether events after `cursor` were pruned (the next position no longer exists)."""
    if cursor <= 0:
        return False
    if await Event.filter(position=cursor + 1).exists():
        return False
    # No next event: either nothing newer exists yet (fine) or it was pruned.
    return await Event.filter(position__gt=cursor + 1).exists()


async def prune_audit_entries() -> int:
    """Entries past their organization's retention go, and membership periods that ended
    before it (each organization its own cutoff; independent of
    GATEHOUSE_EVENT_RETENTION_DAYS)."""
    at = now()
    custom = dict(await AuditSettings.all().values_list("organization_id", "retention_days"))
    default_cutoff = at - timedelta(days=DEFAULT_RETENTION_DAYS)
    deleted = await (
        AuditEntry.filter(occurred_at__lt=default_cutoff)
        .exclude(organization_id__in=list(custom))
        .delete()
    )
    await (
        MembershipPeriod.filter(valid_to__lt=default_cutoff)
        .exclude(organization_id__in=list(custom))
        .delete()
    )
    for organization_id, days in custom.items():
        cutoff = at - timedelta(days=int(days))
        deleted += await AuditEntry.filter(
            organization_id=organization_id, occurred_at__lt=cutoff
        ).delete()
        await MembershipPeriod.filter(organization_id=organization_id, valid_to__lt=cutoff).delete()
    return deleted
