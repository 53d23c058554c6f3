"""The last N SCIM requests per directory, trimmed to N, listed newest first. A request that
succeeded is stored in its own transaction's last statement; a refused or failed one after
it, outside (it rolled back, and a refused request is the one worth reading)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from tortoise import Tortoise
from tortoise.models import Model
from tortoise.queryset import QuerySet

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.models import Directory, ScimRequestRecord, batch
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.pagination import check_page_size, decode_cursor

M = TypeVar("M", bound=Model)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NewestFirst(Generic[T]):
    """A page of the newest items first; `after` continues with older ones."""

    items: list[T]
    has_next_page: bool
    has_previous_page: bool
    total: int


async def newest_first(query: QuerySet[M], first: int | None, after: str | None) -> NewestFirst[M]:
    size = check_page_size(first)
    window = query.filter(id__lt=decode_cursor(after)) if after else query
    rows = await window.order_by("-id").limit(size + 1)
    return NewestFirst(list(rows[:size]), len(rows) > size, after is not None, await query.count())


# The cutoff found inside the DELETE, written out because the ORM's subquery building cost more
# CPU than the statement it saves.
_TRIM = (
    'DELETE FROM "{table}" WHERE "{column}" = {0} AND "id" <= (SELECT "id" FROM "{table}" '
    'WHERE "{column}" = {0} ORDER BY "id" DESC LIMIT 1 OFFSET {1})'
)


def _trim(
    table: str, column: str, value: str, keep: int, joined_at: int | None
) -> tuple[str, list[Any]]:
    """The DELETE keeping the newest `keep` rows of an owner, as a batch's trailing statement
    (models/batch.py): joined to the INSERT of the newest row it does not see that row, so it
    keeps `keep - 1` of the older ones."""
    assert column.isidentifier()  # a keyword argument name, never input
    if joined_at is None:
        pg = Tortoise.get_connection("default").capabilities.dialect == "postgres"
        marks = ("$1", "$2") if pg else ("?1", "?2")
        return _TRIM.format(*marks, table=table, column=column), [value, keep]
    marks = (f"${joined_at + 1}", f"${joined_at + 2}")
    return _TRIM.format(*marks, table=table, column=column), [value, keep - 1]


def _trimming(row: Model, keep: int, owner: dict[str, str]) -> batch.Trailing:
    [(column, value)] = owner.items()
    table = row._meta.db_table  # noqa: SLF001 - Tortoise's documented model metadata
    return partial(_trim, table, column, value, keep)


async def add_and_trim(row: M, keep: int, **owner: str) -> None:
    """Insert `row` and keep the newest `keep` rows of its owner (ids are time-sortable): on
    PostgreSQL in one statement, one round trip. Inside a request's `batch.deferring()` both
    are written with the request's rows."""
    await batch.create_with(row, _trimming(row, keep, owner))


@dataclass(frozen=True, slots=True)
class ScimExchange:
    """One SCIM request and its answer, already redacted by the SCIM layer."""

    directory_id: str
    method: str
    path: str
    status: int
    duration_ms: int
    scim_type: str | None
    detail: str | None
    body: Any
    changes: list[str]


async def record_scim_request(exchange: ScimExchange, keep: int) -> None:
    """Inside the request's `one_insert()`, written with its last statement (add_and_trim)."""
    if keep <= 0:
        return
    row = ScimRequestRecord(
        directory_id=exchange.directory_id,
        method=exchange.method[:8],
        path=exchange.path[:2048],
        status=exchange.status,
        duration_ms=exchange.duration_ms,
        scim_type=(exchange.scim_type or None) and exchange.scim_type[:32],
        detail=(exchange.detail or None) and exchange.detail[:500],
        body=exchange.body,
        changes=exchange.changes,
    )
    await add_and_trim(row, keep, directory_id=exchange.directory_id)


async def list_scim_requests(
    principal: Principal, directory: Directory, first: int | None, after: str | None
) -> NewestFirst[ScimRequestRecord]:
    require(principal, Permission.DIRECTORIES_READ)
    query = ScimRequestRecord.filter(directory_id=directory.id)
    if not visible_organization(principal, directory.organization_id):
        query = query.filter(id__isnull=True)
    return await newest_first(query, first, after)
