"""Who is acting, and from where: set once per request (or background loop), read by every
event insert, so no call site passes an actor and none can forget to.

A context variable rather than an argument: an event may be written many calls below the
request handler (a SCIM PATCH → sync → a membership event), and a task started by a request
inherits it. Background work that no request started reads the default, SYSTEM.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class ActorKind(StrEnum):
    OPERATOR_KEY = "OPERATOR_KEY"  # an environment API key: `id` is the key
    ORGANIZATION_KEY = "ORGANIZATION_KEY"  # an organization API key: `id` is the key
    MEMBER_SESSION = "MEMBER_SESSION"  # a signed-in member: `id` is the member
    PORTAL_SESSION = "PORTAL_SESSION"  # the Admin Portal: `id` is the portal session
    DIRECTORY = "DIRECTORY"  # a SCIM client: `id` is the directory
    SSO_CONNECTION = "SSO_CONNECTION"  # an IdP's assertion or callback: `id` is the connection
    SYSTEM = "SYSTEM"  # Gatehouse itself (background loops) or an anonymous page


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "id": self.id}


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
        }


SYSTEM = Actor(ActorKind.SYSTEM)
_actor: ContextVar[Actor] = ContextVar("gatehouse_actor", default=SYSTEM)
_context: ContextVar[RequestContext | None] = ContextVar("gatehouse_request", default=None)


def current_actor() -> Actor:
    return _actor.get()


def current_context() -> RequestContext | None:
    return _context.get()


def set_actor(actor: Actor) -> None:
    """For the rest of this context (a request's task): who acts."""
    _actor.set(actor)


def set_request_context(context: RequestContext) -> None:
    _context.set(context)


@contextmanager
def acting(actor: Actor) -> Iterator[None]:
    """Within the block only: for work that acts on someone else's behalf and then returns."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def now() -> datetime:
    """The audit clock: when an event, an audit entry and a membership period happen. Tests
    move it (monkeypatch `now`) to script history over simulated days."""
    return datetime.now(UTC)
