"""The transactional outbox: one row per event, written with the change it describes."""

from __future__ import annotations

from typing import Any

from tortoise import fields, models

from gatehouse.models.base import prefixed_pk


class Event(models.Model):
    id = prefixed_pk("evt")
    type = fields.CharField(max_length=64, db_index=True)
    # A plain string, not a foreign key: events outlive the organization they describe.
    organization_id = fields.CharField(max_length=40, null=True, db_index=True)
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    occurred_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # Commit order, stamped after commit by the sequencer (events/sequencer.py); null until
    # then. Ids are taken at insert time, so two transactions can commit out of id order:
    # every cursor reader reads by position instead, which never skips (SECURITY.md 38a).
    position = fields.BigIntField(null=True, unique=True)
    # 1, 2, 3… per organization, so webhook receivers can order and spot gaps.
    organization_sequence = fields.BigIntField(null=True)

    class Meta:
        table = "events"
        indexes = (("organization_id", "organization_sequence"),)
