"""The transactional outbox: one row per event, written with the change it describes."""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar, Token
from typing import Any

from tortoise import fields, models
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import BulkCreateQuery

from gatehouse.models.base import prefixed_pk


class InsertWatch:
    """Whether the current context (one HTTP request, with the tasks it starts) wrote events."""

    __slots__ = ("inserted",)

    def __init__(self) -> None:
        self.inserted = False


_watch: ContextVar[InsertWatch | None] = ContextVar("gatehouse_event_inserts", default=None)


def watch_event_inserts() -> tuple[InsertWatch, Token[InsertWatch | None]]:
    """Start watching this context; returns the watch and the token to stop with."""
    watch = InsertWatch()
    return watch, _watch.set(watch)


def stop_watching(token: Token[InsertWatch | None]) -> None:
    _watch.reset(token)


def _note_insert() -> None:
    watch = _watch.get()
    if watch is not None:
        watch.inserted = True


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

    # Every way an event row is written (record_event's create, directory sync's bulk
    # inserts) passes here, so a request knows to nudge the sequencer once it has answered.
    async def save(
        self,
        using_db: BaseDBAsyncClient | None = None,
        update_fields: Iterable[str] | None = None,
        force_create: bool = False,
        force_update: bool = False,
    ) -> None:
        _note_insert()
        await super().save(using_db, update_fields, force_create, force_update)

    @classmethod
    def bulk_create(
        cls,
        objects: Iterable[Event],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_fields: Iterable[str] | None = None,
        on_conflict: Iterable[str] | None = None,
        using_db: BaseDBAsyncClient | None = None,
    ) -> BulkCreateQuery[Event]:
        _note_insert()
        return super().bulk_create(
            objects, batch_size, ignore_conflicts, update_fields, on_conflict, using_db
        )
