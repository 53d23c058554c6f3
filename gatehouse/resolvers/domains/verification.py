"""Proving a claim: the DNS check now (`verifyDomain`), the operator's manual verification,
and the background re-check of PENDING domains with backoff.

First to verify wins: the unique `verified_domain` column lets exactly one organization hold a
verified domain, so two concurrent verifications cannot both succeed; the loser's claim fails
with a reason, as do other organizations' PENDING claims to the domain and its subdomains.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import Domain, DomainState, DomainStrategy
from gatehouse.models.base import column_length
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.domains.claims import domain_data, now, taken_error, verified_elsewhere
from gatehouse.resolvers.domains.dns import (
    CheckResult,
    DnsConfig,
    Outcome,
    check_txt,
    record_name,
    record_value,
)
from gatehouse.resolvers.domains.names import parent_domains
from gatehouse.resolvers.errors import DomainError, ErrorCode, not_found
from gatehouse.resolvers.validation import check_id

# Re-check a PENDING domain after 1, 2, 4, ... minutes, at most hourly, for 72 hours.
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
CHECK_WINDOW = timedelta(hours=72)
# A batch is claimed by pushing its next check this far out, so other processes skip it.
LEASE = timedelta(minutes=5)
BATCH_SIZE = 50
MAX_REASON = column_length(Domain, "failure_reason")
CONCURRENT_LOOKUPS = 10
TAKEN_REASON = "Verified by another organization first."


def next_delay(attempts: int) -> timedelta:
    # The exponent is capped: past a few doublings the delay is MAX_DELAY anyway.
    delay: timedelta = FIRST_DELAY * 2 ** min(max(attempts - 1, 0), 16)
    return min(delay, MAX_DELAY)


async def verify_domain(
    principal: Principal,
    domain_id: str,
    dns: DnsConfig,
    strategy: DomainStrategy = DomainStrategy.DNS,
) -> Domain:
    """Check the domain now. MANUAL skips DNS: only an operator may vouch for a domain."""
    require(principal, Permission.DOMAINS_WRITE)
    check_id(domain_id, "dom", "domain", "domainId")
    domain = await Domain.get_or_none(id=domain_id)
    if domain is None or not visible_organization(principal, domain.organization_id):
        raise not_found("Domain", "domainId")
    if strategy is DomainStrategy.MANUAL and not principal.is_operator:
        raise DomainError.of(
            ErrorCode.OPERATOR_ONLY, "Only an operator key may verify manually.", "strategy"
        )
    if domain.state is DomainState.VERIFIED:
        return domain
    if await verified_elsewhere(domain.domain, domain.organization_id):
        raise taken_error("domainId")
    if strategy is DomainStrategy.MANUAL:
        result = CheckResult(Outcome.MATCH, None)
    else:
        # Outside any transaction: no row stays locked while DNS answers (or does not).
        result = await check_txt(dns, record_name(domain.domain), record_value(domain.token))
    updated = await apply_result(domain.id, result, strategy, explicit=True, at=now())
    if updated is None:
        raise not_found("Domain", "domainId")
    return updated


async def apply_result(
    domain_id: str, result: CheckResult, strategy: DomainStrategy, *, explicit: bool, at: datetime
) -> Domain | None:
    """Record a check's outcome on the (re-locked) row; None when it was removed meanwhile."""
    try:
        async with in_transaction():
            family = await _lock(domain_id, with_family=result.outcome is Outcome.MATCH)
            domain = next((d for d in family if d.id == domain_id), None)
            if domain is None or domain.state is DomainState.VERIFIED:
                return domain
            if not explicit and domain.state is not DomainState.PENDING:
                return domain
            await _record(domain, result, strategy, family, explicit=explicit, at=at)
            return domain
    except IntegrityError:
        # Another organization's verification of the same domain committed first.
        async with in_transaction():
            domain = await Domain.filter(id=domain_id).select_for_update().first()
            if domain is not None and domain.state is not DomainState.VERIFIED:
                domain.last_checked_at = at
                await _fail(domain, TAKEN_REASON)
            return domain


async def _lock(domain_id: str, *, with_family: bool) -> list[Domain]:
    """Lock the row; before verifying, also every claim to its parents and subdomains, in ID
    order. Two organizations verifying the same name then queue on the same first row instead
    of each holding its own claim while waiting for the other's (a deadlock on PostgreSQL)."""
    if not with_family:
        return list(await Domain.filter(id=domain_id).select_for_update())
    name = await Domain.filter(id=domain_id).values_list("domain", flat=True)
    if not name:
        return []
    return list(
        await Domain.filter(
            Q(domain__in=parent_domains(str(name[0]))) | Q(domain__endswith=f".{name[0]}")
        )
        .order_by("id")
        .select_for_update()
    )


async def _record(
    domain: Domain,
    result: CheckResult,
    strategy: DomainStrategy,
    family: list[Domain],
    *,
    explicit: bool,
    at: datetime,
) -> None:
    if explicit and domain.state is DomainState.FAILED:
        # Checking a failed domain again starts a fresh window of background re-checks.
        domain.state = DomainState.PENDING
        domain.pending_since = at
        domain.attempts = 0
    domain.last_checked_at = at
    domain.attempts += 1
    if result.outcome is Outcome.MATCH:
        if await verified_elsewhere(domain.domain, domain.organization_id):
            await _fail(domain, TAKEN_REASON)
        else:
            await _verify(domain, strategy, at, family)
    elif result.outcome is Outcome.MISMATCH:
        await _fail(domain, result.reason)
    elif at >= (domain.pending_since or domain.created_at) + CHECK_WINDOW:
        hours = int(CHECK_WINDOW.total_seconds() // 3600)
        await _fail(domain, f"Not verified within {hours} hours. Last check: {result.reason}")
    else:
        # Not published yet, SERVFAIL or timeout: stays PENDING, the reason says which.
        domain.failure_reason = _reason(result.reason)
        domain.next_check_at = at + next_delay(domain.attempts)
        await domain.save()


async def _verify(
    domain: Domain, strategy: DomainStrategy, at: datetime, family: list[Domain]
) -> None:
    domain.state = DomainState.VERIFIED
    domain.verified_domain = domain.domain  # unique: raises IntegrityError for the second org
    domain.strategy = strategy
    domain.verified_at = at
    domain.failure_reason = None
    domain.next_check_at = None
    await domain.save()
    await record_event("organization_domain.verified", domain.organization_id, domain_data(domain))
    # Other organizations' pending claims to this domain or its subdomains lose.
    for other in family:
        covered = other.domain == domain.domain or other.domain.endswith(f".{domain.domain}")
        if (
            covered
            and other.state is DomainState.PENDING
            and other.organization_id != domain.organization_id
        ):
            await _fail(other, TAKEN_REASON)


def _reason(text: str | None) -> str | None:
    # Reasons quote the record's name, and a domain may be 253 characters long.
    return text[:MAX_REASON] if text else text


async def _fail(domain: Domain, reason: str | None) -> None:
    domain.state = DomainState.FAILED
    domain.failure_reason = _reason(reason or "Verification failed.")
    domain.next_check_at = None
    await domain.save()
    await record_event(
        "organization_domain.verification_failed", domain.organization_id, domain_data(domain)
    )


async def _claim_due(at: datetime) -> list[Domain]:
    async with in_transaction():
        rows = (
            await Domain.filter(state=DomainState.PENDING, next_check_at__lte=at)
            .order_by("next_check_at")
            .limit(BATCH_SIZE)
            .select_for_update(skip_locked=True)
        )
        if rows:
            await Domain.filter(id__in=[r.id for r in rows]).update(next_check_at=at + LEASE)
    return list(rows)


async def recheck_due_domains(at: datetime, dns: DnsConfig) -> int:
    """Check every PENDING domain whose next check is due at `at`; returns how many."""
    rows = await _claim_due(at)
    gate = asyncio.Semaphore(CONCURRENT_LOOKUPS)

    async def check(domain: Domain) -> None:
        async with gate:
            result = await check_txt(dns, record_name(domain.domain), record_value(domain.token))
        await apply_result(domain.id, result, DomainStrategy.DNS, explicit=False, at=at)

    await asyncio.gather(*(check(d) for d in rows))
    return len(rows)
