"""The invitations' clock. Tests move it (monkeypatch `now`) instead of sleeping.

Every invitation rule that reads the time (expiry, the EXPIRED state, the hourly rate limit,
retry schedules) calls `clock.now()` through the module, so one patch moves them all.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
