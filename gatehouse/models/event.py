"""The transactional outbox: one row per event, written with the change it describes."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from contextvars import ContextVar, Token
from typing import Any

from tortoise import fields, models
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import BulkCreateQuery

from gatehouse.models import acting
from gatehouse.models.audit_trail import record_audit
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


def before_insert(rows: Iterable[Event]) -> None:
    """What every way of inserting events does first: the request's nudge, each row's stamp."""
    _note_insert()
    for row in rows:
        row.stamp()


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
    # Who acted ({kind, id}, models/acting.py) and, for requests, from where ({request_id,
    # ip_address, user_agent}); stamped at insert from the request's context.
    actor: fields.JSONField[dict[str, Any]] | None = fields.JSONField(null=True)
    context: fields.JSONField[dict[str, Any]] | None = fields.JSONField(null=True)

    class Meta:
        table = "events"
        indexes = (("organization_id", "organization_sequence"),)

    def stamp(self) -> None:
        """Actor, context and time from the acting context, unless the writer set them."""
        if self.actor is None:
            self.actor = acting.current_actor().as_json()
        if self.context is None:
            context = acting.current_context()
            self.context = context.as_json() if context is not None else None
        if self.occurred_at is None:
            self.occurred_at = acting.now()

    # Every way an event row is written (record_event's create, directory sync's bulk
    # inserts) passes here, so a request knows to nudge the sequencer once it has answered,
    # and every event gets its actor and its audit entry in the same transaction.
    async def save(
        self,
        using_db: BaseDBAsyncClient | None = None,
        update_fields: Iterable[str] | None = None,
        force_create: bool = False,
        force_update: bool = False,
    ) -> None:
        creating = not self._saved_in_db
        if creating:
            _note_insert()
            self.stamp()
        await super().save(using_db, update_fields, force_create, force_update)
        if creating:
            await record_audit([self])

    @classmethod
    def bulk_create(  # type: ignore[override]  # awaited only, like the query it wraps
        cls,
        objects: Iterable[Event],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_fields: Iterable[str] | None = None,
        on_conflict: Iterable[str] | None = None,
        using_db: BaseDBAsyncClient | None = None,
    ) -> _InsertWithAudit:
        rows = list(objects)
        before_insert(rows)
        query = super().bulk_create(
            rows, batch_size, ignore_conflicts, update_fields, on_conflict, using_db
        )
        return _InsertWithAudit(query, rows)


class _InsertWithAudit:
    """A bulk insert that, once awaited, writes the events' audit entries after them."""

    def __init__(self, query: BulkCreateQuery[Event], rows: list[Event]) -> None:
        self.query = query
        self.rows = rows

    def __await__(self) -> Generator[Any, None, None]:
        return self._run().__await__()

    async def _run(self) -> None:
        await self.query
        await record_audit(self.rows)
