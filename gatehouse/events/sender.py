"""One HTTP request to one target, and what came of it."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx

from gatehouse.events import clock, formats, signing
from gatehouse.events.secrets import stream_token, unseal
from gatehouse.models import Event, LogStream, WebhookEndpoint
from gatehouse.ops import metrics
from gatehouse.outbound import UnsafeUrl, pinned_request
from gatehouse.settings import Settings


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None
    # The failure metric's label, one of a bounded set (`error` is free text).
    reason: str | None = None


def status_reason(status: int) -> str:
    if status == 410:
        return "status_410"
    if 400 <= status < 500:
        return "status_4xx"
    if 500 <= status < 600:
        return "status_5xx"
    return "other"  # a redirect (never followed) or anything else that is not a 2xx


def transport_reason(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        return "connect_error"
    return "other"


def signing_secrets(endpoint: WebhookEndpoint, at_timestamp: int, secret_key: str) -> list[str]:
    keys = [unseal(secret_key, endpoint.secret, endpoint.id)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires.timestamp() > at_timestamp:
        keys.append(unseal(secret_key, endpoint.previous_secret, endpoint.id))
    return keys


MAX_RETRY_AFTER_SECONDS = 7 * 24 * 3600
MAX_RETRY_AFTER_DIGITS = 12


def parse_retry_after(value: str | None) -> timedelta | None:
    """RFC 9110 §10.2.3: delay-seconds or an HTTP-date."""
    if not value:
        return None
    seconds = value.strip()
    if seconds.isascii() and seconds.isdigit():
        # The receiver's number, bounded: past a day the backoff caps it anyway, and a huge one
        # would overflow timedelta and fail the delivery pass (`isascii`: "²" is a digit too).
        digits = seconds.lstrip("0") or "0"
        delay = int(digits) if len(digits) <= MAX_RETRY_AFTER_DIGITS else MAX_RETRY_AFTER_SECONDS
        return timedelta(seconds=min(delay, MAX_RETRY_AFTER_SECONDS))
    with contextlib.suppress(TypeError, ValueError):
        return parsedate_to_datetime(value) - clock.now()
    return None


async def send(
    target: WebhookEndpoint | LogStream,
    events: list[Event],
    client: httpx.AsyncClient,
    settings: Settings,
) -> Outcome:
    """One delivery attempt; each failed one is counted by reason."""
    outcome = await _attempt(target, events, client, settings)
    if not outcome.ok:
        metrics.WEBHOOK_FAILURES.labels(outcome.reason or "other").inc()
    return outcome


async def _attempt(
    target: WebhookEndpoint | LogStream,
    events: list[Event],
    client: httpx.AsyncClient,
    settings: Settings,
) -> Outcome:
    if isinstance(target, WebhookEndpoint):
        body = formats.webhook_body(events[0])
        timestamp = int(clock.now().timestamp())
        headers = signing.signed_headers(
            signing_secrets(target, timestamp, settings.secret_key), events[0].id, timestamp, body
        )
    else:
        body, headers = formats.log_stream_request(
            target.type,
            stream_token(target, settings.secret_key),
            [formats.payload(e) for e in events],
        )
    try:
        # One deadline for the whole exchange (httpx's timeouts are per phase and per read), so
        # a delivery in flight at shutdown ends within the worker's grace. Only the status and
        # headers matter: the receiver's body is never read.
        async with asyncio.timeout(settings.webhook_timeout_seconds):
            # Checked here, not only when saved: DNS can change in between.
            response = await pinned_request(
                client,
                "POST",
                target.url,
                allow_private=settings.allow_private_webhooks,
                content=body,
                headers=headers,
                stream=True,
            )
        await response.aclose()
    except TimeoutError:
        return Outcome(ok=False, error="timed out", reason="timeout")
    except UnsafeUrl as e:
        reason = "blocked_address" if e.private else "other"
        return Outcome(ok=False, error=f"refused: {e}", reason=reason)
    except httpx.HTTPError as e:
        return Outcome(ok=False, error=type(e).__name__, reason=transport_reason(e))
    status = response.status_code
    if 200 <= status < 300:
        return Outcome(ok=True, status=status)
    error = "redirect not followed" if 300 <= status < 400 else None
    return Outcome(
        ok=False,
        status=status,
        error=error,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        reason=status_reason(status),
    )


__all__ = ["Outcome", "send"]
