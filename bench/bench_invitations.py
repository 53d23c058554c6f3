"""Invitations: create (with real SMTP delivery to a local aiosmtpd) and accept throughput.

Prints invitations created and accepted per second on SQLite (or DATABASE_URL if set).
"""

from __future__ import annotations

import asyncio
import email
import os
import re
import tempfile
import time
from email.policy import default
from pathlib import Path

from aiosmtpd.smtp import SMTP

from gatehouse.auth.principal import operator_principal
from gatehouse.resolvers import organizations
from gatehouse.resolvers.invitations.accept import accept_invitation
from gatehouse.resolvers.invitations.delivery import InvitationConfig
from gatehouse.resolvers.invitations.lifecycle import create_invitation
from gatehouse.server.db import close_db, init_db, migrate
from gatehouse.settings import Settings

N = 200
LINK = re.compile(r"/invitations/(invtok_[A-Za-z0-9_-]+)")


class Inbox:
    def __init__(self) -> None:
        self.tokens: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        # Parsed, not grepped: long lines arrive quoted-printable encoded.
        message = email.message_from_bytes(envelope.original_content, policy=default)
        found = LINK.search(message.get_body(("plain",)).get_content())
        self.tokens.append(found.group(1))
        return "250 OK"


async def main(database_url: str) -> None:
    await migrate(database_url)
    await init_db(database_url)
    inbox = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = Settings(
        GATEHOUSE_SMTP_URL=f"smtp://127.0.0.1:{port}?starttls=off",
        GATEHOUSE_INVITATIONS_PER_HOUR=0,
    )
    config = InvitationConfig.from_settings(settings)
    try:
        org = await organizations.create_organization(
            operator_principal(), organizations.NewOrganization("Bench")
        )
        started = time.perf_counter()
        for i in range(N):
            await create_invitation(
                operator_principal(), org.id, f"user{i}@bench.test", config=config
            )
        created = time.perf_counter() - started
        started = time.perf_counter()
        for token in inbox.tokens:
            await accept_invitation(token, settings=settings)
        accepted = time.perf_counter() - started
        print(
            f"invitations created + mailed over SMTP: {N} in {created:.2f}s "
            f"({N / created:.0f}/s, {created / N * 1000:.1f} ms each)"
        )
        print(
            f"invitations accepted (user + member + events + tokens): {N} in {accepted:.2f}s "
            f"({N / accepted:.0f}/s, {accepted / N * 1000:.1f} ms each)"
        )
    finally:
        server.close()
        await close_db()


if __name__ == "__main__":
    url = os.environ.get("DATABASE_URL")
    if url:
        asyncio.run(main(url))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(main(f"sqlite://{Path(tmp) / 'bench.db'}"))
