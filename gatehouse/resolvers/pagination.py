"""Cursor pagination over prefixed ULID primary keys (they sort by creation time)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from gatehouse.resolvers.errors import DomainError, ErrorCode

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

M = TypeVar("M", bound=Model)


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    items: list[M]
    has_next_page: bool
    has_previous_page: bool
    total_count_query: QuerySet[M]

    async def total_count(self) -> int:
        return await self.total_count_query.count()


def empty(query: QuerySet[M]) -> QuerySet[M]:
    """The same query matching no row (Tortoise has no `.none()`; primary keys are never null)."""
    return query.filter(id__isnull=True)


def encode_cursor(item_id: str) -> str:
    return base64.urlsafe_b64encode(item_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DomainError.of(ErrorCode.INVALID_CURSOR, "Invalid cursor.", "after") from None
    # Our cursors encode ids and positions: printable ASCII. Anything else is forged, and a
    # NUL in it would fail the query on PostgreSQL.
    if not value or len(value) > 64 or not (value.isascii() and value.isprintable()):
        raise DomainError.of(ErrorCode.INVALID_CURSOR, "Invalid cursor.", "after")
    return value


def check_page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise DomainError.of(
            ErrorCode.PAGE_SIZE_EXCEEDED, f"`first` must be between 0 and {MAX_PAGE_SIZE}.", "first"
        )
    return first


async def paginate(query: QuerySet[M], first: int | None, after: str | None) -> Page[M]:
    """One page (`size + 1` rows fetched, to know whether another follows)."""
    size = check_page_size(first)
    window = query
    if after:
        window = window.filter(id__gt=decode_cursor(after))
    window = window.order_by("id").limit(size + 1)
    rows = await window
    return Page(
        items=list(rows[:size]),
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
        total_count_query=query,
    )
