"""What a request changed, noted by the code that changes it (resolvers/directories/sync.py)
and read by the recorder after the request. Notes name ids and kinds, never attribute values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MAX_NOTES = 50  # a group PATCH of thousands is summarised, not listed

_notes: ContextVar[list[str] | None] = ContextVar("gatehouse_changes", default=None)


def note(change: str) -> None:
    """Record one change of the current request (a no-op outside a recorded request)."""
    notes = _notes.get()
    if notes is not None and len(notes) < MAX_NOTES:
        notes.append(change)
    elif notes is not None and len(notes) == MAX_NOTES:
        notes.append("…")


def noted() -> list[str]:
    """The current request's changes so far."""
    return list(_notes.get() or [])


@contextmanager
def collecting() -> Iterator[list[str]]:
    notes: list[str] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)
