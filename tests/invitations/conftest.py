"""Invitation fixtures: a real SMTP server (aiosmtpd) on 127.0.0.1, a movable clock, keys."""

from __future__ import annotations

import asyncio
import email
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, Invitation, Member, User
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.invitations import clock as invitation_clock
from gatehouse.settings import Settings

LINK = re.compile(r"http://testserver/invitations/(invtok_[A-Za-z0-9_-]+)")


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []

    async def handle_DATA(  # noqa: N802 - the hook name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.envelopes.append(envelope)
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted"

    def last_token(self) -> str:
        return token_in(self.messages[-1])


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return part.get_content()


def token_in(message: EmailMessage) -> str:
    found = LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


@dataclass
class SmtpServer:
    inbox: Inbox = field(default_factory=Inbox)
    port: int = 0
    server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SMTP(self.inbox, hostname="gatehouse.test"), "127.0.0.1", self.port
        )
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    server = SmtpServer()
    await server.start()
    yield server
    await server.stop()


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
  member { id status source role { slug } user { email firstName lastName emailVerified } }
  userErrors { field code message } } }"""
