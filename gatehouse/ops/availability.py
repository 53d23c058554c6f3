"""Whether the database can be reached right now: the one test every layer uses to tell an
outage (503, retry) from a request that is wrong (SECURITY 42)."""

from __future__ import annotations

import errno
import socket

import asyncpg
from tortoise.exceptions import DBConnectionError

RETRY_AFTER_SECONDS = 5

# Failures that mean "the database cannot be reached right now", not "this request is wrong".
_UNAVAILABLE = (
    ConnectionError,  # refused, reset
    socket.gaierror,  # DNS
    TimeoutError,  # connect or command timeout
    DBConnectionError,
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,  # 57P01
    asyncpg.exceptions.TooManyConnectionsError,  # 53300
    asyncpg.exceptions.InterfaceError,  # "connection is closed"
)

_UNREACHABLE_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED}


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True when `exc`, or anything in its cause chain, says the database is unreachable."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, _UNAVAILABLE) or (
            isinstance(exc, OSError) and exc.errno in _UNREACHABLE_ERRNOS
        ):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
