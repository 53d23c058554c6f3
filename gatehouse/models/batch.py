"""Rows written together: on PostgreSQL one statement for new and changed rows of several
tables, elsewhere one statement per table (or per changed row).

A SCIM create writes a user, a member, the directory user, two events, their audit entries
and a membership period. As separate INSERTs that is six round trips to the database, and each
costs the server a loopback send and the driver's bookkeeping (issue 22's profile: a third of
a request's CPU). On PostgreSQL, data-modifying CTEs put them in one statement:

    WITH "r0" AS (INSERT INTO "users" … VALUES …), "r1" AS (INSERT INTO "members" … VALUES …)
    INSERT INTO "events" … VALUES …

Foreign keys hold: PostgreSQL checks them when the whole statement has run, so a member may
name a user inserted by the same statement. SQLite has no data-modifying CTEs, and runs in
the process, where a statement costs no round trip.

`deferring()` lets a writer queue its new rows (`create`) and changed rows (`save`) for the
write that ends the block (events/outbox.py's `one_insert`). A queued row is not in the
database until then: code in the block that reads such rows calls `flush()` first. Its values
are taken when it is queued, as `save()` would take them (timestamps included); queuing the
same instance again replaces them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from tortoise import Tortoise
from tortoise.models import Model

# asyncpg's bound on a statement's parameters is 32767; a bigger batch goes table by table.
MAX_PARAMETERS = 30_000


@dataclass(slots=True)
class Write:
    """One queued row: an INSERT of `values` (the columns `_columns` names), or an UPDATE of
    every column but the key, the key's value last."""

    row: Model
    values: list[Any]
    update: bool = False


Key = tuple[type[Model], Any]  # a table and a primary key (or the instance, keyless yet)

_queued: ContextVar[dict[Key, Write] | None] = ContextVar("gatehouse_queued_rows", default=None)

# A statement that goes with the rows (a trim, say), as (SQL, parameters). Called with the
# number of parameters before its own when it joins the rows' PostgreSQL statement (its marks
# go on from $n+1, and it sees the database as the statement found it, without the rows
# inserted beside it); with None it runs on its own after them, in the database's own marks.
Trailing = Callable[[int | None], tuple[str, list[Any]]]
_trailing: ContextVar[list[Trailing] | None] = ContextVar("gatehouse_trailing", default=None)


def _key(row: Model) -> Key:
    # By table and key: two loaded copies of one row are one write, never two UPDATEs of the
    # same row in one statement (PostgreSQL would apply only one of them).
    return (type(row), row.pk if row.pk is not None else id(row))


@contextmanager
def deferring() -> Iterator[dict[Key, Write]]:
    """Within the block `create` and `save` queue rows in the returned map (in the order
    first queued) instead of writing them."""
    queue: dict[Key, Write] = {}
    token = _queued.set(queue)
    trailing = _trailing.set([])
    try:
        yield queue
    finally:
        _trailing.reset(trailing)
        _queued.reset(token)


async def create(row: Model) -> None:
    """Insert a new row, or queue it inside `deferring()`."""
    queue = _queued.get()
    if queue is None:
        await row.save(force_create=True)
        return
    queue[_key(row)] = Write(row, _insert_values(row))


async def create_with(row: Model, statement: Trailing) -> None:
    """`create`, and `statement` after it: inside `deferring()` both go with the block's rows
    (in their statement on PostgreSQL); outside, they are written now, in one statement there."""
    trailing = _trailing.get()
    if trailing is None:
        await write(_new([row]), [statement])
        return
    trailing.append(statement)
    await create(row)


async def save(row: Model) -> None:
    """Update a stored row (every column, like `row.save()`), or queue the UPDATE inside
    `deferring()`. A row queued for insert is inserted with its new values instead, and a row
    never stored is inserted, as `row.save()` would."""
    queue = _queued.get()
    if queue is None:
        await row.save()
        return
    queued = queue.get(_key(row))
    if (queued is not None and not queued.update) or not row._saved_in_db:  # noqa: SLF001
        queue[_key(row)] = Write(row, _insert_values(row))
    else:
        queue[_key(row)] = Write(row, _update_values(row), update=True)


async def flush(new: Sequence[Model] = ()) -> None:
    """Write the queued rows now, then insert the `new` rows: before reading rows the block
    queued, or a write that names them, and when the block ends."""
    queue = _queued.get()
    writes = list(queue.values()) if queue else []
    if queue:
        queue.clear()
    trailing = _trailing.get() or []
    statements = list(trailing)
    trailing.clear()
    await write([*writes, *_new(new)], statements)


def _meta(row: Model) -> Any:
    return row._meta  # noqa: SLF001 - Tortoise's documented model metadata


def _columns(row: Model) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(field names, column names) an INSERT of this row sets: all but a database-made key."""
    return _insert_columns(type(row), row._custom_generated_pk)  # noqa: SLF001


# Per model, not per row: a request's rows are a handful of models, each written every time.
@cache
def _insert_columns(
    model: type[Model], brings_key: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    meta = model._meta  # noqa: SLF001
    names = tuple(
        name
        for name in meta.fields_db_projection
        if brings_key or not meta.fields_map[name].generated
    )
    return names, tuple(meta.fields_db_projection[n] for n in names)


def _insert_values(row: Model) -> list[Any]:
    """As Tortoise's INSERT converts them; sets auto_now timestamps on the instance."""
    fields_map = _meta(row).fields_map
    return [fields_map[n].to_db_value(getattr(row, n), row) for n in _columns(row)[0]]


def _updated(row: Model) -> tuple[str, ...]:
    return _update_columns(type(row))


@cache
def _update_columns(model: type[Model]) -> tuple[str, ...]:
    meta = model._meta  # noqa: SLF001
    return tuple(
        name
        for name in meta.fields_db_projection
        if not meta.fields_map[name].pk and not meta.fields_map[name].generated
    )


def _update_values(row: Model) -> list[Any]:
    """As Tortoise's UPDATE of every column converts them (auto_now set), then the key."""
    meta = _meta(row)
    values = [meta.fields_map[n].to_db_value(getattr(row, n), row) for n in _updated(row)]
    return [*values, meta.pk.to_db_value(row.pk, row)]


def _marks(start: int, count: int) -> list[str]:
    return [f"${start + i + 1}" for i in range(count)]


def _inserts(writes: Sequence[Write]) -> dict[tuple[type[Model], bool], list[Write]]:
    """Inserts by table (and whether the row brings its key: the column lists differ), in the
    order each first came. Writers queue parents before the children that name them."""
    inserts: dict[tuple[type[Model], bool], list[Write]] = {}
    for w in writes:
        if not w.update:
            inserts.setdefault((type(w.row), w.row._custom_generated_pk), []).append(w)  # noqa: SLF001
    return inserts


def _statement(writes: Sequence[Write], trailing: Sequence[Trailing] = ()) -> tuple[str, list[Any]]:
    """One PostgreSQL statement: the inserts by table, in the order each table first came
    (parents before children), then the updates, then the trailing statements."""
    inserts = _inserts(writes)
    parts: list[str] = []
    params: list[Any] = []
    for (model, _), rows in inserts.items():
        tuples = []
        for w in rows:
            tuples.append("(" + ",".join(_marks(len(params), len(w.values))) + ")")
            params.extend(w.values)
        cols = ",".join(f'"{c}"' for c in _columns(rows[0].row)[1])
        # Names from the models' metadata, never input; every value is a parameter.
        parts.append(
            f'INSERT INTO "{model._meta.db_table}" ({cols}) VALUES {",".join(tuples)}'  # noqa: S608,SLF001
        )
    for w in writes:
        if w.update:
            meta = _meta(w.row)
            *marks, key = _marks(len(params), len(w.values))
            params.extend(w.values)
            columns = [meta.fields_db_projection[n] for n in _updated(w.row)]
            sets = ",".join(f'"{c}"={m}' for c, m in zip(columns, marks, strict=True))
            parts.append(
                f'UPDATE "{meta.db_table}" SET {sets} WHERE "{meta.db_pk_column}"={key}'  # noqa: S608
            )
    for make in trailing:
        sql, more = make(len(params))
        parts.append(sql)
        params.extend(more)
    *ctes, last = parts
    if not ctes:
        return last, params
    names = ", ".join(f'"r{i}" AS ({sql})' for i, sql in enumerate(ctes))
    return f"WITH {names} {last}", params


def _new(rows: Sequence[Model]) -> list[Write]:
    return [Write(row, _insert_values(row)) for row in rows]


async def insert(rows: Sequence[Model]) -> None:
    """Insert new rows of any tables, parents before the children that name them."""
    await write(_new(rows))


async def write(writes: Sequence[Write], trailing: Sequence[Trailing] = ()) -> None:
    if not writes and not trailing:
        return
    conn = Tortoise.get_connection("default")
    pg = conn.capabilities.dialect == "postgres"
    separately = len(_inserts(writes)) + sum(w.update for w in writes) + len(trailing)
    if pg and separately > 1 and sum(len(w.values) for w in writes) <= MAX_PARAMETERS:
        sql, params = _statement(writes, trailing)
        await conn.execute_query(sql, params)
    else:
        await _one_by_one(conn, writes)
        for make in trailing:
            await conn.execute_query(*make(None))
    for w in writes:
        w.row._saved_in_db = True  # noqa: SLF001 - a later save() is then an UPDATE


async def _one_by_one(conn: Any, writes: Sequence[Write]) -> None:
    """Tortoise's own statements: a multi-row INSERT per table, an UPDATE per changed row.
    Not bulk_create, which would take the values again (and Event's would write audit entries
    that the writes already hold)."""
    for (model, _), rows in _inserts(writes).items():
        executor = conn.executor_class(model=model, db=conn)
        generated_key = not rows[0].row._custom_generated_pk  # noqa: SLF001
        sql = executor.insert_query if generated_key else executor.insert_query_all
        await conn.execute_many(sql, [w.values for w in rows])
    for w in writes:
        if w.update:
            executor = conn.executor_class(model=type(w.row), db=conn)
            await conn.execute_query(executor.get_update_sql(_updated(w.row), None), w.values)
