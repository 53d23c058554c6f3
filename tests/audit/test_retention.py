"""Audit retention is per organization (365 days by default) and independent of the outbox's
GATEHOUSE_EVENT_RETENTION_DAYS: pruning events leaves the trail, pruning the trail keeps what
each organization's retention covers."""

from __future__ import annotations

from datetime import timedelta

from gatehouse.auth.principal import operator_principal
from gatehouse.events import retention
from gatehouse.events.sequencer import sequence_pending
from gatehouse.models import AuditEntry, Event, MembershipPeriod
from gatehouse.resolvers import members
from gatehouse.resolvers.audit.entries import set_audit_log_retention


async def test_each_organization_keeps_its_own_retention(make_org, clock, monkeypatch):
    op = operator_principal()
    default, short = await make_org("Default"), await make_org("Short")
    await set_audit_log_retention(op, short.id, 30)
    for org in (default, short):
        m = await members.create_member(op, org.id, f"old@{org.id.lower()}.example")
        await members.remove_member(op, m.id)  # a period that ended 400 days before "now"
    clock.advance(days=360)
    for org in (default, short):
        await members.create_member(op, org.id, f"mid@{org.id.lower()}.example")
    clock.advance(days=40)
    await sequence_pending()
    monkeypatch.setattr(retention, "now", clock.now)

    # The outbox's retention (7 days here) removes events, not audit entries.
    entries = await AuditEntry.all().count()
    await retention.prune_events(7)
    assert await Event.filter(occurred_at__lt=clock.now() - timedelta(days=7)).count() <= 2
    assert await AuditEntry.all().count() == entries

    await retention.prune_audit_entries()
    cutoff_default = clock.now() - timedelta(days=365)
    cutoff_short = clock.now() - timedelta(days=30)
    kept = await AuditEntry.all()
    assert all(e.occurred_at >= cutoff_default for e in kept if e.organization_id == default.id)
    assert all(e.occurred_at >= cutoff_short for e in kept if e.organization_id == short.id)
    assert any(e.organization_id == default.id and e.occurred_at < cutoff_short for e in kept)
    assert not [e for e in kept if e.organization_id == short.id and e.occurred_at < cutoff_short]
    # Periods that ended before the retention went too; current ones stay.
    assert not await MembershipPeriod.filter(
        organization_id=default.id, valid_to__lt=cutoff_default
    ).exists()
    assert not await MembershipPeriod.filter(
        organization_id=short.id, valid_to__lt=cutoff_short
    ).exists()
    for org in (default, short):
        assert await MembershipPeriod.filter(organization_id=org.id, valid_to=None).count() == 1
