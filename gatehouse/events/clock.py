"""The delivery clock (worker backoff, signing timestamps, Retry-After dates). Tests move it
(monkeypatch `now`) instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
