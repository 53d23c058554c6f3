"""The background re-check of PENDING domains, run by every app process (unless
`GATEHOUSE_DOMAIN_RECHECKS` is off: tests call `recheck_due_domains` with their own clock).

Processes do not step on each other: each batch is claimed by leasing its rows
(`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL) before any DNS lookup.
"""

from __future__ import annotations

import asyncio
import logging

from gatehouse.ops.background import pause
from gatehouse.resolvers.domains.claims import now
from gatehouse.resolvers.domains.dns import DnsConfig
from gatehouse.resolvers.domains.verification import BATCH_SIZE, recheck_due_domains
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.domains")


async def run_rechecks(settings: Settings, stop: asyncio.Event) -> None:
    dns = DnsConfig.from_settings(settings)
    while not stop.is_set():
        try:
            checked = await recheck_due_domains(now(), dns)
        except Exception:
            # A database hiccup must not end the loop; the next round retries.
            log.exception("domain re-check round failed")
            checked = 0
        if checked >= BATCH_SIZE:
            continue  # more are due: no pause
        await pause(stop, settings.domain_recheck_interval_seconds)
