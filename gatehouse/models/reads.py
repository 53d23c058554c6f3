"""Hot reads of whole rows by equality, without the ORM's query building.

Every SCIM request reads its directory, and a create or PATCH reads a few rows more (the
user, the member, the email's domains). Tortoise builds each query anew through pypika: on
this machine `get_or_none` by key costs 280 µs of CPU against 135 µs for the same statement
sent as text (issue 22's profile), the round trip included. `first` keeps the statement text
per shape and builds the instance the way Tortoise's own select does (`_init_from_db`), so the
caller gets the same model instance.
"""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise import Tortoise
from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model

M = TypeVar("M", bound=Model)

_sql: dict[tuple[Any, ...], str] = {}


def _where(model: type[Model], shape: tuple[tuple[str, int], ...], pg: bool, table: str) -> str:
    meta = model._meta  # noqa: SLF001 - Tortoise's documented model metadata
    marks = iter(range(1, 1 + sum(max(n, 1) for _, n in shape)))
    where = []
    for name, n in shape:
        column = f'{table}"{meta.fields_db_projection[name]}"'
        if n < 0:  # a single value
            where.append(f"{column}={_mark(next(marks), pg)}")
        else:
            listed = ",".join(_mark(next(marks), pg) for _ in range(n)) or "NULL"
            where.append(f"{column} IN ({listed})")
    return " AND ".join(where)


def _text(
    model: type[Model], shape: tuple[tuple[str, int], ...], lock: bool, one: bool, pg: bool
) -> str:
    key = (model, shape, lock, one, pg)
    sql = _sql.get(key)
    if sql is None:
        meta = model._meta  # noqa: SLF001 - Tortoise's documented model metadata
        columns = ",".join(f'"{c}"' for c in meta.fields_db_projection.values())
        # Names from the model's metadata, never input; every value is a parameter.
        sql = f'SELECT {columns} FROM "{meta.db_table}" WHERE {_where(model, shape, pg, "")}'  # noqa: S608
        if one:
            sql += " LIMIT 1"
        if lock and pg:
            sql += " FOR UPDATE"
        _sql[key] = sql
    return sql


def _mark(n: int, pg: bool) -> str:
    return f"${n}" if pg else "?"


def _parameters(
    model: type[Model], equal: dict[str, Any]
) -> tuple[tuple[tuple[str, int], ...], list[Any]] | None:
    """The shape of `equal` and its values as the database stores them; None when a value is
    one no row can hold."""
    meta = model._meta  # noqa: SLF001
    shape: list[tuple[str, int]] = []
    values: list[Any] = []
    for name, value in equal.items():
        field = meta.fields_map[name]
        if _unstorable(value, field):
            # No stored text holds a NUL (PostgreSQL refuses one, and would fail the request),
            # nor one longer than its column (Tortoise's length check would raise). Clients'
            # NULs are refused at the edge (inbound.py, NulInUrlMiddleware); such a value from
            # anywhere else, a path id of 60 characters say, simply names nothing.
            return None
        if isinstance(value, list | tuple):
            shape.append((name, len(value)))
            values.extend(field.to_db_value(v, model) for v in value)
        else:
            shape.append((name, -1))
            values.append(field.to_db_value(value, model))
    return tuple(shape), values


async def rows(model: type[M], *, lock: bool = False, _one: bool = False, **equal: Any) -> list[M]:
    """Rows whose fields equal `equal` (a list or tuple value: any of its items); `lock`:
    SELECT … FOR UPDATE on PostgreSQL (SQLite has no row locks)."""
    conn = Tortoise.get_connection("default")  # the request's transaction, when in one
    pg = conn.capabilities.dialect == "postgres"
    parameters = _parameters(model, equal)
    if parameters is None:
        return []
    shape, values = parameters
    found = await conn.execute_query_dict(_text(model, shape, lock, _one, pg), values)
    return [model._init_from_db(**row) for row in found]  # noqa: SLF001


def _unstorable(value: Any, field: Any) -> bool:
    """Whether a value, or any item of a list value, is text no column of `field` holds."""
    limit = getattr(field, "max_length", None)
    return any(
        isinstance(v, str) and ("\x00" in v or (limit is not None and len(v) > limit))
        for v in (value if isinstance(value, list | tuple) else (value,))
    )


async def first(model: type[M], *, lock: bool = False, **equal: Any) -> M | None:
    """The row whose fields equal `equal`, or None; for fields that name one row (a key, a
    unique column), whose LIMIT 1 picks no particular row among several."""
    found = await rows(model, lock=lock, _one=True, **equal)
    return found[0] if found else None


_joined: dict[tuple[Any, ...], tuple[str, list[tuple[type[Model], list[tuple[str, str]]]]]] = {}


def _joined_text(
    model: type[Model],
    related: tuple[str, ...],
    shape: tuple[tuple[str, int], ...],
    lock: bool,
    pg: bool,
) -> tuple[str, list[tuple[type[Model], list[tuple[str, str]]]]]:
    """The statement, and per model the (alias, column) pairs its instance is built from."""
    key = (model, related, shape, lock, pg)
    known = _joined.get(key)
    if known is None:
        meta = model._meta  # noqa: SLF001
        tables = [(model, "t0", "")]
        joins = []
        for i, name in enumerate(related, start=1):
            fk = meta.fields_map[name]
            assert isinstance(fk, ForeignKeyFieldInstance)
            target = fk.related_model
            column = target._meta.fields_db_projection[fk.to_field]  # noqa: SLF001
            joins.append(
                f'JOIN "{target._meta.db_table}" "t{i}" '  # noqa: SLF001
                f'ON "t{i}"."{column}"="t0"."{meta.fields_db_projection[str(fk.source_field)]}"'
            )
            tables.append((target, f"t{i}", f"{i}."))
        selected, builds = [], []
        for table_model, alias, prefix in tables:
            pairs = []
            for column in table_model._meta.fields_db_projection.values():  # noqa: SLF001
                selected.append(f'"{alias}"."{column}" "{prefix}{column}"')
                pairs.append((prefix + column, column))
            builds.append((table_model, pairs))
        where = _where(model, shape, pg, '"t0".')
        # Names from the models' metadata, never input; every value is a parameter.
        sql = (
            f'SELECT {",".join(selected)} FROM "{meta.db_table}" "t0" {" ".join(joins)} '  # noqa: S608
            f"WHERE {where} LIMIT 1"
        )
        if lock and pg:
            sql += ' FOR UPDATE OF "t0"'  # the row asked for; the joined ones are shared
        known = _joined[key] = (sql, builds)
    return known


async def first_joined(
    model: type[M], related: tuple[str, ...], *, lock: bool = False, **equal: Any
) -> M | None:
    """`first`, with the rows its foreign keys `related` name read in the same statement and
    attached as `select_related` attaches them (`member.role` is the Role); None when there is
    no row or a related one is missing. `lock` locks only the row itself."""
    conn = Tortoise.get_connection("default")
    pg = conn.capabilities.dialect == "postgres"
    parameters = _parameters(model, equal)
    if parameters is None:
        return None
    shape, values = parameters
    sql, builds = _joined_text(model, related, shape, lock, pg)
    found = await conn.execute_query_dict(sql, values)
    if not found:
        return None
    row = found[0]
    instances = [
        m._init_from_db(**{column: row[alias] for alias, column in pairs})  # noqa: SLF001
        for m, pairs in builds
    ]
    for name, instance in zip(related, instances[1:], strict=True):
        # Where Tortoise's own select_related keeps a fetched relation (its executor).
        object.__setattr__(instances[0], f"_{name}", instance)
    return instances[0]  # type: ignore[return-value]  # built from `model`'s own columns
