"""The DNS side of domain verification: look up the challenge TXT record with aiodns."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import aiodns
from aiodns.error import DNSError
from pycares import errno as ares

if TYPE_CHECKING:
    from gatehouse.settings import Settings

RECORD_PREFIX = "_gatehouse-challenge"
VALUE_PREFIX = "gatehouse-verification="


def record_name(domain: str) -> str:
    return f"{RECORD_PREFIX}.{domain}"


def record_value(token: str) -> str:
    return f"{VALUE_PREFIX}{token}"


class Outcome(StrEnum):
    MATCH = "MATCH"
    MISMATCH = "MISMATCH"  # TXT records exist at the name, none with our value: a wrong record
    NOT_FOUND = "NOT_FOUND"  # NXDOMAIN or no TXT at the name: not published (or not yet)
    SERVFAIL = "SERVFAIL"
    TIMEOUT = "TIMEOUT"
    ERROR = "ERROR"  # refused, unreachable, malformed answer

    @property
    def is_definitive(self) -> bool:
        """A definite answer; the others may change by themselves and are retried."""
        return self in {Outcome.MATCH, Outcome.MISMATCH}


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcome: Outcome
    reason: str | None  # for `failureReason`; never contains anything but public DNS facts


@dataclass(frozen=True, slots=True)
class DnsConfig:
    nameservers: list[str]  # "host" or "host:port"; empty = the system's resolvers
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> DnsConfig:
        return cls(settings.dns_nameserver_list, settings.dns_timeout_seconds)


def _error_result(error: DNSError, name: str) -> CheckResult:
    code = error.args[0] if error.args else None
    if code == ares.ARES_ENOTFOUND:
        return CheckResult(Outcome.NOT_FOUND, f"NXDOMAIN: {name} does not exist in DNS yet.")
    if code == ares.ARES_ENODATA:
        return CheckResult(Outcome.NOT_FOUND, f"No TXT record at {name} yet.")
    if code == ares.ARES_ESERVFAIL:
        return CheckResult(
            Outcome.SERVFAIL, f"SERVFAIL: the DNS servers for {name} failed to answer."
        )
    if code == ares.ARES_ETIMEOUT:
        return CheckResult(Outcome.TIMEOUT, f"Timeout: no DNS answer for {name}; will retry.")
    return CheckResult(Outcome.ERROR, f"DNS lookup of {name} failed; will retry.")


async def check_txt(config: DnsConfig, name: str, expected: str) -> CheckResult:
    """Whether any TXT record at `name` is exactly `expected`, within `config.timeout`."""
    # c-ares waits its timeout per server, one after the other: split the budget so a dead
    # first server still leaves time to ask the next one.
    per_server = max(config.timeout / max(len(config.nameservers), 1), 0.05)
    resolver = aiodns.DNSResolver(
        nameservers=config.nameservers or None, timeout=per_server, tries=1
    )
    try:
        # And the whole lookup is bounded, whatever c-ares does.
        async with asyncio.timeout(config.timeout):
            result = await resolver.query_dns(name, "TXT")
    except TimeoutError:
        return CheckResult(Outcome.TIMEOUT, f"Timeout: no DNS answer for {name}; will retry.")
    except DNSError as e:
        return _error_result(e, name)
    finally:
        resolver.cancel()
        await resolver.close()
    # A TXT record may be split into several character-strings (RFC 1035 §3.3.14, at most 255
    # octets each); they are concatenated without separators (RFC 7208 §3.3). c-ares joins
    # them, so each record arrives as one value.
    values = [
        bytes(rr.data.data).decode("utf-8", "replace")
        for rr in result.answer
        if hasattr(rr.data, "data") and isinstance(rr.data.data, bytes)
    ]
    if expected in values:
        return CheckResult(Outcome.MATCH, None)
    if not values:
        return CheckResult(Outcome.NOT_FOUND, f"No TXT record at {name} yet.")
    return CheckResult(
        Outcome.MISMATCH,
        f"Wrong value: TXT records exist at {name}, but none equals the expected value.",
    )
