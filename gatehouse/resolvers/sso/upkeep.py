"""Periodic SSO upkeep, run by the processes that run delivery (`gatehouse serve` unless
`GATEHOUSE_RUN_WORKER=false`, and `gatehouse worker`): expired sign-in requests, codes and
replay-cache entries are deleted, SAML connections created from a metadata URL re-read it
daily, so an IdP's certificate rotation is picked up without an admin pasting anything, and
every SAML connection's certificates are checked for expiry (certificates.py: warnings at 90,
30 and 7 days and on expiry, each once)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from gatehouse.ops.background import BackgroundLoops, pause
from gatehouse.resolvers.sso import sign_in as sso
from gatehouse.resolvers.sso.certificates import check_expiring_certificates
from gatehouse.resolvers.sso.connections import refresh_due_metadata
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.sso")


async def sso_upkeep_round(settings: Settings, stop: asyncio.Event | None = None) -> None:
    try:
        removed = await sso.purge_expired()
        if removed:
            log.info("purged %d expired SSO rows", removed)
    except Exception:
        log.exception("SSO purge failed; retrying next round")
    try:
        await refresh_due_metadata(
            sso.now(),
            timedelta(seconds=settings.saml_metadata_refresh_seconds),
            allow_private_urls=settings.sso_allow_private_urls,
            stopping=stop.is_set if stop is not None else None,
        )
    except Exception:
        log.exception("SAML metadata refresh round failed; retrying next round")
    try:
        # After the refresh: a certificate the IdP just replaced is not warned about.
        await check_expiring_certificates(
            sso.now(), stopping=stop.is_set if stop is not None else None
        )
    except Exception:
        log.exception("SAML certificate expiry check failed; retrying next round")


def start_upkeep(loops: BackgroundLoops, settings: Settings) -> None:
    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await sso_upkeep_round(settings, stop)
            await pause(stop, settings.sso_upkeep_interval_seconds)

    loops.start("sso-upkeep", run)
