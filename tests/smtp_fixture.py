"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it accepts: the mailbox for every
test that sends mail (invitations, sign-in codes)."""

from __future__ import annotations

import asyncio
import email
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

INVITATION_LINK = re.compile(r"http://testserver/invitations/(invtok_[A-Za-z0-9_-]+)")


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
        """The token of the last invitation mail's accept link."""
        return token_in(self.messages[-1])


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return part.get_content()


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


def token_in(message: EmailMessage) -> str:
    """The token of an invitation mail's accept link."""
    found = INVITATION_LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)
