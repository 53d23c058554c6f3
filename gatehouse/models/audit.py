"""The audit trail: entries that outlive event delivery, the operator's registered actions,
exports, and membership periods (who was a member, how, from when to when).

Entries and periods are written by `record_audit` inside the transaction of the event that
caused them (models/event.py calls it for every event insert), so the trail is exactly the
outbox, never a copy that drifts; the operator's own entries come from `createAuditEvent`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields, models

from gatehouse.models.base import prefixed_pk

DEFAULT_RETENTION_DAYS = 365


class AuditSource(StrEnum):
    GATEHOUSE = "GATEHOUSE"  # one of Gatehouse's own events
    OPERATOR = "OPERATOR"  # createAuditEvent, from the operator's product


class AuditEntry(models.Model):
    """Append-only: rows are inserted, and changed only by erasure (personal data scrubbed,
    ids kept) and deleted only by the organization's retention."""

    id = prefixed_pk("audit")
    organization_id = fields.CharField(max_length=40)
    action = fields.CharField(max_length=100)
    occurred_at = fields.DatetimeField()
    recorded_at = fields.DatetimeField(auto_now_add=True)
    source = fields.CharEnumField(AuditSource, max_length=10)
    # {type, id, name}: for Gatehouse's events `type` is the actor kind (OPERATOR_KEY, …).
    actor: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    actor_id = fields.CharField(max_length=200, null=True)
    targets: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    # Where it came from: location (the address), user_agent, request_id.
    context: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    event_id = fields.CharField(max_length=40, null=True)
    idempotency_key = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "audit_entries"
        indexes = (("organization_id", "occurred_at"),)
        unique_together = (("organization_id", "idempotency_key"),)


class AuditAction(models.Model):
    """An action reported by the operator product (`registerAuditAction`), deployment-wide as
    in WorkOS: which target types it names and the JSON Schema of its metadata."""

    id = prefixed_pk("aact")
    action = fields.CharField(max_length=100, unique=True)
    target_types: fields.JSONField[list[str]] = fields.JSONField(default=list)
    metadata_schema: fields.JSONField[dict[str, Any]] | None = fields.JSONField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "audit_actions"


class AuditSettings(models.Model):
    """Per organization: one without a row keeps entries DEFAULT_RETENTION_DAYS."""

    organization_id = fields.CharField(max_length=40, primary_key=True)
    retention_days = fields.IntField(default=DEFAULT_RETENTION_DAYS)

    class Meta:
        table = "audit_settings"


class AuditExportKind(StrEnum):
    AUDIT_LOG = "AUDIT_LOG"
    ACCESS_REVIEW = "ACCESS_REVIEW"


class AuditExport(models.Model):
    """A finished export: the files are kept as written (a snapshot), served through signed
    URLs; erasure scrubs them like the entries."""

    id = prefixed_pk("aexp")
    organization_id = fields.CharField(max_length=40, db_index=True)
    kind = fields.CharEnumField(AuditExportKind, max_length=16)
    filters: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    entry_count = fields.IntField(default=0)
    csv = fields.TextField()
    jsonl = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_exports"


class MembershipPeriod(models.Model):
    """One state of one membership over [valid_from, valid_to): valid_to null while current.
    Written with each membership event, in its transaction, so `members(asOf:)` is exact."""

    id = fields.BigIntField(primary_key=True)
    organization_id = fields.CharField(max_length=40)
    member_id = fields.CharField(max_length=40)
    user_id = fields.CharField(max_length=40)
    role_id = fields.CharField(max_length=40, null=True)
    role_slug = fields.CharField(max_length=100, null=True)
    status = fields.CharField(max_length=16)
    source = fields.CharField(max_length=16)
    valid_from = fields.DatetimeField()
    valid_to = fields.DatetimeField(null=True)

    class Meta:
        table = "membership_periods"
        # members(asOf:): its page walks the organization's periods in member order and stops
        # at the page's end (no sort of every period the moment covers); its count reads only
        # the second, user_id included for the erased-user filter. valid_to leads valid_from
        # there so that, without statistics (SQLite's default), the planner still takes the
        # first for the page. The third: one member's history.
        indexes = (
            ("organization_id", "member_id", "valid_from"),
            ("organization_id", "valid_to", "valid_from", "user_id"),
            ("member_id", "valid_from"),
        )
