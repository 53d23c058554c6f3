"""Invitation fixtures: settings mailing through the real SMTP server (tests/smtp_fixture.py), a
movable clock, keys."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, Invitation, Member, User
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.invitations import clock as invitation_clock
from gatehouse.settings import Settings
from tests.smtp_fixture import INVITATION_LINK, Inbox, SmtpServer, text_of, token_in

__all__ = ["Inbox", "SmtpServer", "text_of", "token_in"]

LINK = INVITATION_LINK


@pytest.fixture
def settings(db: str, smtp: SmtpServer) -> Settings:
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_BASE_URL="http://testserver",
        GATEHOUSE_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}?starttls=off",
        GATEHOUSE_SMTP_TIMEOUT=5,
        GATEHOUSE_MAIL_FROM="Acme Onboarding <onboarding@gatehouse.test>",
        GATEHOUSE_INVITATION_RETRY_INTERVAL=0,
    )


class Clock:
    def __init__(self) -> None:
        self.current = datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(invitation_clock, "now", c.now)
    return c


@pytest.fixture
def org_key(db: str):
    """An organization API key with the given scopes (all organization scopes by default)."""

    async def make(org: Any, scopes: list[str] | None = None) -> str:
        _, secret = await api_keys.create_api_key(operator_principal(), "test key", org.id, scopes)
        return secret

    return make


async def counts() -> dict[str, int]:
    return {
        "invitations": await Invitation.all().count(),
        "members": await Member.all().count(),
        "users": await User.all().count(),
        "events": await Event.all().count(),
    }


async def event_types(organization_id: str) -> list[str]:
    rows = await Event.filter(organization_id=organization_id).order_by("id")
    return [e.type for e in rows if e.type.startswith(("invitation.", "organization_membership."))]


INVITE = """mutation($i: CreateInvitationInput!) { createInvitation(input: $i) {
  invitation { id email state expiresAt lastSentAt lastSendError failedSendAttempts nextSendAt
               role { slug } inviter { id } organization { id } }
  userErrors { field code message } } }"""

RESEND = """mutation($i: ResendInvitationInput!) { resendInvitation(input: $i) {
  invitation { id state expiresAt lastSendError } userErrors { field code message } } }"""

REVOKE = """mutation($i: RevokeInvitationInput!) { revokeInvitation(input: $i) {
  invitation { id state revokedAt } userErrors { field code message } } }"""

ACCEPT = """mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) {
  sessionToken invitation { id state acceptedAt }
  authentication { accessToken refreshToken authenticationMethod organization { id } }
  member { id status source role { slug } user { email firstName lastName emailVerified } }
  userErrors { field code message } } }"""
