"""Who acts (models/acting.py), for the layers above: the ways in set it, record_event reads it."""

from __future__ import annotations

from gatehouse.models.acting import (
    SYSTEM,
    Actor,
    ActorKind,
    RequestContext,
    acting,
    current_actor,
    current_context,
    set_actor,
)

__all__ = [
    "SYSTEM",
    "Actor",
    "ActorKind",
    "RequestContext",
    "acting",
    "current_actor",
    "current_context",
    "set_actor",
]
