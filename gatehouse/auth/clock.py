"""The clock of signing in: sessions, refresh tokens, emailed codes, handoff codes, pending
organization choices. Every reader calls `clock.now()` through the module, so tests move one
clock (monkeypatch `now`) instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
