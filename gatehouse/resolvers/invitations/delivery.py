"""Sending invitation emails after commit, and retrying the ones that failed.

The invitation row is the outbox: creating or resending one sets `next_send_at` a short lease
ahead in the same transaction, so if the process dies between commit and send, the retry
loop still finds it. A successful send clears `next_send_at`; a failure records
`last_send_error` and schedules the next attempt with exponential backoff. The invitation
stays PENDING throughout: delivery trouble never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from tortoise.exceptions import DoesNotExist
from tortoise.transactions import in_transaction

from gatehouse.auth.secrets import generate_secret, hash_secret
from gatehouse.mail import InvitationMail, Mailer, MailError, mailer_from_settings
from gatehouse.mail import render_invitation as render
from gatehouse.models import Invitation, InvitationState, Member, Organization, Role, User
from gatehouse.resolvers.invitations import clock
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.invitations")

TOKEN_PREFIX = "invtok"  # noqa: S105 - the visible prefix of generated tokens
# How long a claimed send may take before another attempt may take it over.
SEND_LEASE = timedelta(minutes=2)
BASE_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
# After this many failures in a row the invitation waits for an admin's resend.
MAX_FAILED_ATTEMPTS = 10
RETRY_BATCH = 50


@dataclass(frozen=True, slots=True)
class InvitationConfig:
    mailer: Mailer
    mail_from: str = "Gatehouse <no-reply@localhost>"
    invite_url: str = "{base_url}/invitations/{token}"
    base_url: str = "http://127.0.0.1:8000"
    per_hour: int = 100  # 0: no limit
    session_ttl_seconds: int = 8 * 3600
    # Where the hosted page may send people after accepting (GATEHOUSE_REDIRECT_URIS).
    redirect_uris: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> InvitationConfig:
        return cls(
            mailer=mailer_from_settings(settings),
            mail_from=settings.mail_from,
            invite_url=settings.invite_url,
            base_url=settings.base_url,
            per_hour=settings.invitations_per_hour,
            session_ttl_seconds=settings.session_ttl_seconds,
            redirect_uris=tuple(settings.redirect_uris),
        )

    def accept_url(self, token: str) -> str:
        # Plain replacement, not str.format: a template is configuration, not code.
        return self.invite_url.replace("{base_url}", self.base_url.rstrip("/")).replace(
            "{token}", token
        )


def new_token() -> str:
    return generate_secret(TOKEN_PREFIX)


def backoff(failed_attempts: int) -> timedelta:
    delay: timedelta = BASE_BACKOFF * 2 ** max(failed_attempts - 1, 0)
    return min(delay, MAX_BACKOFF)


def display_name(user: User) -> str:
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    return name or user.email


async def inviter_name(invitation: Invitation) -> str | None:
    if invitation.inviter_id is None:
        return None
    member = await Member.get_or_none(id=invitation.inviter_id)
    user = await User.get_or_none(id=member.user_id) if member else None
    return display_name(user) if user else None


async def role_name(invitation: Invitation, role: Role | None = None) -> str:
    if role is None and invitation.role_id:
        role = await Role.get_or_none(id=invitation.role_id)
    return role.name if role else "member"


async def compose(
    invitation: Invitation,
    token: str,
    config: InvitationConfig,
    organization: Organization | None = None,
    role: Role | None = None,
) -> EmailMessage:
    """The email; `organization` and `role` are the invitation's own, when the caller has
    just read them (creating one), to spare reading them again."""
    org = organization or await Organization.get(id=invitation.organization_id)
    mail = InvitationMail(
        to=invitation.email,
        organization_name=org.name,
        inviter_name=await inviter_name(invitation),
        role_name=await role_name(invitation, role),
        expires_at=invitation.expires_at,
        accept_url=config.accept_url(token),
    )
    return render(mail, config.mail_from)


async def _record(invitation_id: str, sent_hash: str, error: str | None, at: datetime) -> None:
    # Only if the token we mailed is still the current one: a concurrent resend or retry
    # rotated it, and the newer attempt owns the delivery state.
    rows = Invitation.filter(id=invitation_id, token_hash=sent_hash, state=InvitationState.PENDING)
    if error is None:
        await rows.update(
            last_sent_at=at, last_send_error=None, failed_send_attempts=0, next_send_at=None
        )
        return
    current = await rows.first()
    if current is None:
        return
    attempts = current.failed_send_attempts + 1
    next_at = at + backoff(attempts) if attempts < MAX_FAILED_ATTEMPTS else None
    await rows.update(failed_send_attempts=attempts, last_send_error=error, next_send_at=next_at)


async def deliver(
    invitation: Invitation,
    token: str,
    config: InvitationConfig,
    organization: Organization | None = None,
    role: Role | None = None,
) -> bool:
    """Send the invitation with this token (after commit); record and return the outcome."""
    at = clock.now()
    try:
        message = await compose(invitation, token, config, organization, role)
    except DoesNotExist:
        return False  # the organization (and with it the invitation) was deleted meanwhile
    try:
        await config.mailer.send(message)
    except MailError as e:
        log.warning("invitation %s: email not delivered: %s", invitation.id, e)
        await _record(invitation.id, hash_secret(token), str(e), at)
        return False
    await _record(invitation.id, hash_secret(token), None, at)
    return True


async def retry_failed_sends(config: InvitationConfig, now: datetime | None = None) -> int:
    """Send every due invitation whose email has not gone out; returns how many were delivered.

    Each retry mails a fresh token (keeping the old one would mean storing it recoverably);
    the failed attempt's token stays valid too, in case its message did arrive (a server that
    dropped the connection after taking the message). Claims use SKIP LOCKED plus a lease, so
    several processes can run this loop without sending one invitation twice.
    """
    at = now or clock.now()
    claimed: list[tuple[Invitation, str]] = []
    async with in_transaction():
        due = (
            await Invitation.filter(
                state=InvitationState.PENDING, next_send_at__lte=at, expires_at__gt=at
            )
            .order_by("next_send_at")
            .limit(RETRY_BATCH)
            .select_for_update(skip_locked=True)
        )
        for invitation in due:
            token = new_token()
            invitation.previous_token_hash = invitation.token_hash
            invitation.token_hash = hash_secret(token)
            invitation.next_send_at = at + SEND_LEASE
            await invitation.save(
                update_fields=["token_hash", "previous_token_hash", "next_send_at", "updated_at"]
            )
            claimed.append((invitation, token))
    delivered = 0
    for invitation, token in claimed:
        delivered += await deliver(invitation, token, config)
    return delivered


async def retry_forever(
    config: InvitationConfig, interval_seconds: float, stop: asyncio.Event
) -> None:
    """The app's background loop (ops/background.py; not started when the interval is 0).

    A send in flight when `stop` is set finishes and its outcome is recorded, instead of being
    cut off between the SMTP reply and the update.
    """
    while not stop.is_set():
        try:
            count = await retry_failed_sends(config)
            if count:
                log.info("delivered %d invitation emails on retry", count)
        except Exception:
            # A database hiccup must not end the loop; the next round tries again.
            log.exception("invitation retry round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)
