"""Building `…Page` objects from resolver pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gatehouse.resolvers.pagination import Page, encode_cursor
from gatehouse.schema.types.common import PageInfo

N = TypeVar("N")


def page_parts(
    page: Page[Any], convert: Callable[[Any], N]
) -> tuple[list[tuple[str, N]], PageInfo]:
    edges = [(encode_cursor(item.pk), convert(item)) for item in page.items]
    info = PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=edges[0][0] if edges else None,
        end_cursor=edges[-1][0] if edges else None,
    )
    return edges, info
