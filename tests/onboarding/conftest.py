"""Onboarding tests use the events area's live server (hub, sequencer and worker running)."""

from tests.events.conftest import create_org, live

__all__ = ["create_org", "live"]
