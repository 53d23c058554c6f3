"""Types shared by every area: Node, UserError, PageInfo."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gatehouse.resolvers.errors import ErrorCode

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(ErrorCode, name="UserErrorCode", description="Why an input was refused.")
UserErrorCode = ErrorCode


@strawberry.interface(description="An object with a globally unique, prefixed ID (`org_…`).")
class Node:
    id: strawberry.ID = strawberry.field(description="Prefixed ULID; the prefix names the type.")


@strawberry.type(description="An expected failure of a mutation: the input, not the server.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. `["name"]`; null for the whole input.'
    )
    code: UserErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")
    authorize_url: str | None = strawberry.field(
        default=None,
        description="With AUTH_METHOD_NOT_ALLOWED, when the organization allows SSO: its SSO "
        "sign-in URL (`/sso/authorize?organization=…`), where to send the person instead.",
    )


@strawberry.type(description="Where a page sits in the list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items after `endCursor`.")
    has_previous_page: bool = strawberry.field(description="This page was requested with `after`.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item; pass as `after` for the next page."
    )


# Pagination arguments, described once.
First = Annotated[int | None, strawberry.argument(description="Page size, 0-100 (default 20).")]
After = Annotated[str | None, strawberry.argument(description="Cursor of the item to start after.")]
