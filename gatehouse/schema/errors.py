"""The one place domain errors become GraphQL shapes.

User errors of a mutation become `userErrors` in its payload; access errors and user errors of
a query become top-level GraphQL errors with `extensions.code`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from graphql import GraphQLError

from gatehouse.auth.principal import Principal
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import AccessError, DomainError
from gatehouse.schema.types.common import UserError

T = TypeVar("T")


class PublicError(GraphQLError):
    """An error whose message is safe to show; never masked."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def to_user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(
            field=list(e.field) if e.field else None,
            code=e.code,
            message=e.message,
            authorize_url=e.authorize_url,
        )
        for e in error.errors
    ]


def access_error(error: AccessError) -> PublicError:
    return PublicError(str(error), error.code)


def ensure(principal: Principal, permission: str) -> None:
    """Permission check for fields that batch through a loader instead of a resolver call."""
    try:
        require(principal, permission)
    except AccessError as e:
        raise access_error(e) from None


async def query(awaitable: Awaitable[T]) -> T:
    try:
        return await awaitable
    except AccessError as e:
        raise access_error(e) from None
    except DomainError as e:
        first = e.errors[0]
        raise PublicError(first.message, first.code.value) from None


async def mutate(awaitable: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """Run a mutation's resolver: its result and no errors, or no result and its userErrors."""
    try:
        return await awaitable, []
    except AccessError as e:
        raise access_error(e) from None
    except DomainError as e:
        return None, to_user_errors(e)
