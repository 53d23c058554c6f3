"""Email delivery: SMTP down keeps the invitation PENDING with the error; retries deliver."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from gatehouse.auth.principal import operator_principal
from gatehouse.mail import MailError, parse_smtp_url
from gatehouse.models import Event, Invitation, InvitationState
from gatehouse.resolvers.invitations import lifecycle as invitations
from gatehouse.resolvers.invitations.delivery import (
    MAX_FAILED_ATTEMPTS,
    InvitationConfig,
    retry_failed_sends,
)
from gatehouse.server.app import create_app
from gatehouse.settings import Settings
from tests.invitations.conftest import (
    ACCEPT,
    INVITE,
    LINK,
    Inbox,
    SmtpServer,
    text_of,
    token_in,
)


async def test_smtp_down_keeps_pending_then_retry_delivers(gql, smtp, settings, make_org, clock):
    org = await make_org()
    # given the SMTP server is down
    await smtp.stop()
    body = await gql(
        INVITE,
        {"i": {"organizationId": org.id, "email": "late@example.com"}},
        token=await _operator_key(),
    )

    # then the invitation exists, PENDING, with the error recorded and a retry scheduled
    payload = body["data"]["createInvitation"]
    assert payload["userErrors"] == []
    invitation = payload["invitation"]
    assert invitation["state"] == "PENDING"
    assert invitation["lastSentAt"] is None
    assert invitation["lastSendError"].startswith(f"SMTP 127.0.0.1:{smtp.port}: ")
    assert invitation["failedSendAttempts"] == 1
    stored = await Invitation.get(id=invitation["id"])
    assert stored.next_send_at == clock.now() + timedelta(minutes=1)

    # when a retry runs before it is due, nothing is attempted
    config = InvitationConfig.from_settings(settings)
    assert await retry_failed_sends(config, now=clock.now() + timedelta(seconds=30)) == 0
    assert (await Invitation.get(id=invitation["id"])).failed_send_attempts == 1

    # when the server is back and the retry is due
    await smtp.start()
    clock.advance(minutes=1)
    assert await retry_failed_sends(config) == 1

    # then exactly one mail arrived, its link works, and the error is cleared
    assert len(smtp.inbox.messages) == 1
    stored = await Invitation.get(id=invitation["id"])
    assert (stored.last_send_error, stored.next_send_at, stored.failed_send_attempts) == (
        None,
        None,
        0,
    )
    assert stored.last_sent_at == clock.now()
    assert await retry_failed_sends(config, now=clock.now() + timedelta(days=1)) == 0
    accepted = await gql(ACCEPT, {"i": {"token": smtp.inbox.last_token()}})
    assert accepted["data"]["acceptInvitation"]["userErrors"] == []
    # retries are not admin actions: no resent event (accepting also signs the person in)
    assert [e.type for e in await Event.filter(organization_id=org.id).order_by("id")][1:] == [
        "invitation.created",
        "invitation.accepted",
        "organization_membership.created",
        "session.created",
    ]


class TakesThenDrops(Inbox):
    """Keeps the message, then drops the connection before confirming it: the sender sees a
    failure although the mail will reach the mailbox."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        await super().handle_DATA(server, session, envelope)
        server.transport.close()
        return "250 Message accepted"


async def test_a_mail_taken_but_not_confirmed_keeps_its_link_working_after_the_retry(
    gql, smtp, settings, make_org, clock
):
    # given a server that takes the first mail but drops the connection before confirming
    org = await make_org()
    dropping = TakesThenDrops()
    smtp.inbox = dropping
    await smtp.stop()
    await smtp.start()
    body = await gql(
        INVITE,
        {"i": {"organizationId": org.id, "email": "twice@example.com"}},
        token=await _operator_key(),
    )
    assert body["data"]["createInvitation"]["invitation"]["failedSendAttempts"] == 1
    first = token_in(dropping.messages[0])

    # when the retry delivers a second mail with a new link
    smtp.inbox = Inbox()
    await smtp.stop()
    await smtp.start()
    clock.advance(minutes=1)
    assert await retry_failed_sends(InvitationConfig.from_settings(settings)) == 1
    second = smtp.inbox.last_token()
    assert second != first

    # then the first mail's link works (the person may open either mail)
    accepted = await gql(ACCEPT, {"i": {"token": first}})
    assert accepted["data"]["acceptInvitation"]["userErrors"] == []
    # and once used, neither opens it again
    for token in (first, second):
        again = await gql(ACCEPT, {"i": {"token": token}})
        codes = [e["code"] for e in again["data"]["acceptInvitation"]["userErrors"]]
        assert codes == ["INVITATION_ACCEPTED"]


async def test_an_admins_resend_ends_every_earlier_link(gql, smtp, settings, make_org, clock):
    org = await make_org()
    dropping = TakesThenDrops()
    smtp.inbox = dropping
    await smtp.stop()
    await smtp.start()
    key = await _operator_key()
    body = await gql(INVITE, {"i": {"organizationId": org.id, "email": "r@example.com"}}, token=key)
    invitation_id = body["data"]["createInvitation"]["invitation"]["id"]
    first = token_in(dropping.messages[0])
    smtp.inbox = Inbox()
    await smtp.stop()
    await smtp.start()
    clock.advance(minutes=1)
    await retry_failed_sends(InvitationConfig.from_settings(settings))
    second = smtp.inbox.last_token()

    # when an admin resends (a deliberate rotation, e.g. the mail went to the wrong place)
    await invitations.resend_invitation(
        operator_principal(), invitation_id, config=InvitationConfig.from_settings(settings)
    )

    # then only the newest link works
    for token in (first, second):
        refused = await gql(ACCEPT, {"i": {"token": token}})
        codes = [e["code"] for e in refused["data"]["acceptInvitation"]["userErrors"]]
        assert codes == ["INVALID_TOKEN"]
    accepted = await gql(ACCEPT, {"i": {"token": smtp.inbox.last_token()}})
    assert accepted["data"]["acceptInvitation"]["userErrors"] == []


async def _operator_key() -> str:
    from gatehouse.resolvers import api_keys

    _, secret = await api_keys.create_api_key(operator_principal(), "op")
    return secret


class Broken:
    """A mailer whose server never answers (the Mailer contract: raise MailError)."""

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, message: object) -> None:
        self.calls += 1
        raise MailError("relay refused")


async def test_backoff_then_give_up_after_max_attempts(db, make_org, clock):
    org = await make_org()
    broken = Broken()
    config = InvitationConfig(mailer=broken)
    created = await invitations.create_invitation(
        operator_principal(), org.id, "x@example.com", config=config
    )
    delays = []
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        row = await Invitation.get(id=created.id)
        assert row.next_send_at is not None
        delays.append(row.next_send_at - clock.now())
        clock.current = row.next_send_at
        await retry_failed_sends(config)
    row = await Invitation.get(id=created.id)
    assert broken.calls == MAX_FAILED_ATTEMPTS
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(delays) == timedelta(hours=1)
    assert row.next_send_at is None  # waits for an admin's resend now
    assert row.state is InvitationState.PENDING
    assert row.last_send_error == "relay refused"
    assert row.failed_send_attempts == MAX_FAILED_ATTEMPTS


async def test_retry_loop_runs_from_the_app_lifespan(gql, smtp, settings, make_org, clock):
    org = await make_org()
    await smtp.stop()
    await invitations.create_invitation(
        operator_principal(),
        org.id,
        "loop@example.com",
        config=InvitationConfig.from_settings(settings),
    )
    await smtp.start()
    clock.advance(minutes=2)
    app = create_app(
        settings.model_copy(update={"invitation_retry_interval_seconds": 0.02}), manage_db=False
    )
    async with app.router.lifespan_context(app):
        deadline = time.monotonic() + 10
        while not smtp.inbox.messages and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    assert len(smtp.inbox.messages) == 1
    assert LINK.search(text_of(smtp.inbox.messages[0]))


# aiosmtpd warns about AUTH without TLS; this server listens on loopback only, for the test.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_auth_from_url(db, make_org):
    # a real server that requires AUTH (over plain TCP, allowed for this loopback test)
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"p@ss word")

    server = SmtpServer()
    loop = asyncio.get_running_loop()
    server.server = await loop.create_server(
        lambda: SMTP(
            server.inbox, authenticator=authenticator, auth_required=True, auth_require_tls=False
        ),
        "127.0.0.1",
        0,
    )
    port = server.server.sockets[0].getsockname()[1]
    try:
        settings = Settings(GATEHOUSE_SMTP_URL=f"smtp://ops:p%40ss%20word@127.0.0.1:{port}")
        org = await make_org()
        row = await invitations.create_invitation(
            operator_principal(),
            org.id,
            "auth@example.com",
            config=InvitationConfig.from_settings(settings),
        )
        assert row.last_send_error is None
        assert seen == [(b"ops", b"p@ss word")]
        assert len(server.inbox.messages) == 1
    finally:
        await server.stop()


def test_parse_smtp_url():
    plain = parse_smtp_url("smtp://mail.example.com")
    assert (plain.port, plain.use_tls, plain.start_tls, plain.username) == (587, False, None, None)
    required = parse_smtp_url("smtp://u:p@mail.example.com:2525?starttls=required")
    assert (required.port, required.start_tls, required.username, required.password) == (
        2525,
        True,
        "u",
        "p",
    )
    assert parse_smtp_url("smtp://h?starttls=off").start_tls is False
    implicit = parse_smtp_url("smtps://h?verify=false")
    assert (implicit.port, implicit.use_tls, implicit.start_tls, implicit.validate_certs) == (
        465,
        True,
        None,
        False,
    )
    with pytest.raises(ValueError, match="must contain"):
        Settings(GATEHOUSE_INVITE_URL="https://app.example.com/join")
    custom = InvitationConfig(mailer=None, invite_url="https://app.example.com/join?t={token}")  # type: ignore[arg-type]
    assert custom.accept_url("invtok_x") == "https://app.example.com/join?t=invtok_x"
    for bad in ("http://h", "smtp://", "smtp://h?starttls=maybe"):
        try:
            parse_smtp_url(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


async def test_console_mailer_logs_link_only_in_development(db, make_org, caplog):
    org = await make_org()
    caplog.set_level(logging.DEBUG)
    dev = InvitationConfig.from_settings(Settings(GATEHOUSE_ENV="development"))
    row = await invitations.create_invitation(
        operator_principal(), org.id, "dev@example.com", config=dev
    )
    assert row.last_send_error is None
    assert "/invitations/invtok_" in caplog.text  # development: the link is the point
    caplog.clear()

    prod = InvitationConfig.from_settings(Settings(GATEHOUSE_ENV="production"))
    row = await invitations.create_invitation(
        operator_principal(), org.id, "prod@example.com", config=prod
    )
    assert row.state is InvitationState.PENDING
    assert row.last_send_error == "No mail server configured (GATEHOUSE_SMTP_URL is not set)."
    assert "prod@example.com" in caplog.text
    assert "invtok_" not in caplog.text
