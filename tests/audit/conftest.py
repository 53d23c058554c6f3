"""Audit fixtures: a clock the test moves (models/acting.py:now), and members by GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.models import acting

# The ways in, shared with the identity tests: a SCIM client, a real OIDC provider.
from tests.dsync.conftest import make_directory  # noqa: F401
from tests.identity.conftest import company  # noqa: F401
from tests.policy.conftest import settings, sign_in_with_sso  # noqa: F401

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every event, audit entry and membership period is stamped from this clock."""
    c = Clock()
    monkeypatch.setattr(acting, "now", c.now)
    return c
