"""Admin Portal: setup links (single use, short-lived) and the sessions they start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import ALL_PERMISSIONS, Permission
from gatehouse.auth.portal import (
    INTENT_PERMISSIONS,
    LINK_PREFIX,
    SESSION_PREFIX,
    intent_permissions,
)
from gatehouse.auth.principal import Principal
from gatehouse.auth.secrets import generate_secret, hash_secret
from gatehouse.events import record_event
from gatehouse.models import PortalIntent, PortalLink, PortalSession
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.organizations import organization_for_change
from gatehouse.settings import Settings

MAX_RETURN_URL = 2000


def now() -> datetime:
    """The portal's clock; tests move it instead of sleeping."""
    return datetime.now(UTC)


def link_data(link: PortalLink) -> dict[str, Any]:
    # Never the token or its hash: events are readable by the organization.
    return {
        "id": link.id,
        "organization_id": link.organization_id,
        "intents": link.intents,
        "expires_at": link.expires_at.isoformat(),
    }


def _clean_return_url(v: Validator, url: str | None, settings: Settings) -> str | None:
    if url is None or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    allowed = ("https",) if settings.is_production else ("https", "http")
    if len(url) > MAX_RETURN_URL:
        v.add(ErrorCode.TOO_LONG, "Return URL is too long.", "returnUrl")
    elif (
        parts.scheme not in allowed
        or not parts.hostname
        or "@" in parts.netloc  # userinfo tricks: https://good.com@evil.com
        or "\\" in url
        or any(ord(c) < 0x21 for c in url)
    ):
        v.add(
            ErrorCode.INVALID_RETURN_URL,
            "Return URL must be an absolute https URL of your application.",
            "returnUrl",
        )
    return url


def _clean_intents(v: Validator, principal: Principal, intents: list[str]) -> list[str]:
    chosen: list[str] = []
    for raw in intents:
        try:
            intent = PortalIntent(raw)
        except ValueError:
            v.add(ErrorCode.INVALID_INTENT, f"Unknown intent: {raw[:40]}.", "intents")
            continue
        if intent.value not in chosen:
            chosen.append(intent.value)
    if not chosen and not v.errors:
        v.add(ErrorCode.REQUIRED, "Give at least one intent.", "intents")
    # A link never grants more than its creator holds: no escalation through the portal.
    needed = set().union(*(INTENT_PERMISSIONS[PortalIntent(i)] for i in chosen)) & ALL_PERMISSIONS
    if any(not principal.can(p) for p in needed):
        v.add(
            ErrorCode.INVALID_INTENT,
            "A link cannot grant permissions its creator lacks.",
            "intents",
        )
    return chosen


async def generate_portal_link(
    principal: Principal,
    settings: Settings,
    organization_id: str,
    intents: list[str],
    return_url: str | None = None,
) -> tuple[PortalLink, str]:
    """Returns the link's row and its URL; the URL carries the only copy of the token."""
    require(principal, Permission.PORTAL_WRITE)
    v = Validator()
    chosen = _clean_intents(v, principal, intents)
    clean_url = _clean_return_url(v, return_url, settings)
    v.check()
    token = generate_secret(LINK_PREFIX)
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        link = await PortalLink.create(
            organization=org,
            token_hash=hash_secret(token),
            intents=chosen,
            return_url=clean_url,
            expires_at=now() + timedelta(seconds=settings.portal_link_ttl_seconds),
            created_by_key_id=principal.api_key_id,
        )
        await record_event("portal_link.created", org.id, link_data(link))
    return link, portal_url(settings, token)


def portal_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/portal/start?token={token}"


def _link_query(token: str) -> QuerySet[PortalLink]:
    if not token.startswith(f"{LINK_PREFIX}_") or len(token) > 100:
        raise DomainError.of(ErrorCode.PORTAL_LINK_INVALID, "This setup link is not valid.")
    return PortalLink.filter(token_hash=hash_secret(token))


def _usable(link: PortalLink | None) -> PortalLink:
    if link is None:
        raise DomainError.of(ErrorCode.PORTAL_LINK_INVALID, "This setup link is not valid.")
    if link.used_at is not None:
        raise DomainError.of(ErrorCode.PORTAL_LINK_USED, "This setup link was already used.")
    if link.expires_at <= now():
        raise DomainError.of(ErrorCode.PORTAL_LINK_EXPIRED, "This setup link has expired.")
    return link


async def peek_portal_link(token: str) -> PortalLink:
    """The link a token names if it could still start a session; consumes nothing, so mail
    scanners and link previews that fetch it leave it for the admin."""
    return _usable(await _link_query(token).first())


async def start_portal_session(token: str, settings: Settings) -> tuple[PortalSession, str]:
    """Consume a setup link (once) and open a session; returns the row and its cookie token."""
    query = _link_query(token)
    async with in_transaction():
        link = _usable(await query.select_for_update().first())
        link.used_at = now()
        await link.save(update_fields=["used_at", "updated_at"])
        cookie_token = generate_secret(SESSION_PREFIX)
        session = await PortalSession.create(
            organization_id=link.organization_id,
            link=link,
            token_hash=hash_secret(cookie_token),
            intents=link.intents,
            return_url=link.return_url,
            expires_at=now() + timedelta(seconds=settings.portal_session_ttl_seconds),
        )
        await record_event(
            "portal_session.started",
            link.organization_id,
            {"id": session.id, "link_id": link.id, "intents": link.intents},
        )
    return session, cookie_token


async def revoke_portal_sessions(principal: Principal, organization_id: str) -> int:
    """End every live portal session of an organization at once; returns how many. The next
    request with such a cookie reads as anonymous (auth/portal.py checks `revoked_at`)."""
    require(principal, Permission.PORTAL_WRITE)
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        at = now()
        revoked = await PortalSession.filter(
            organization_id=org.id, revoked_at__isnull=True, expires_at__gt=at
        ).update(revoked_at=at)
        if revoked:
            await record_event("portal_sessions.revoked", org.id, {"count": revoked})
    return revoked


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    intent: PortalIntent
    done: bool


async def onboarding_checklist(session: PortalSession) -> list[ChecklistItem]:
    """Which of the session's intents are done, in the order the link listed them: a step
    counts once its goal is reached, as `Organization.onboarding` says."""
    from gatehouse.resolvers.onboarding.status import compute_statuses
    from gatehouse.resolvers.portal.checks import STEPS

    status = (await compute_statuses([session.organization_id]))[session.organization_id]
    items = []
    for raw in session.intents:
        intent = PortalIntent(raw)
        step = STEPS.get(intent)
        done = status.step(step).completed if step is not None else False
        items.append(ChecklistItem(intent, done))
    return items


__all__ = [
    "generate_portal_link",
    "intent_permissions",
    "onboarding_checklist",
    "peek_portal_link",
    "revoke_portal_sessions",
    "start_portal_session",
]
