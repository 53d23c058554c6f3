"""The background re-check of PENDING domains, driven by a movable clock (no sleeps)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from gatehouse.models import Domain, DomainState
from gatehouse.resolvers.domains.dns import DnsConfig
from gatehouse.resolvers.domains.verification import recheck_due_domains
from gatehouse.server.app import create_app
from gatehouse.settings import Settings


async def pending(make_org, add, name="acme.com"):
    org = await make_org()
    payload = (await add(org.id, name))["domain"]
    return org, payload, await Domain.get(id=payload["id"])


async def test_published_later_is_verified_by_the_recheck(
    make_org, add, publish, settings, domain_events
):
    org, payload, row = await pending(make_org, add)
    dns = DnsConfig.from_settings(settings)
    t0 = row.pending_since
    # not due yet: nothing is looked up
    assert await recheck_due_domains(t0 + timedelta(seconds=30), dns) == 0
    publish(payload)
    assert await recheck_due_domains(t0 + timedelta(minutes=1), dns) == 1
    row = await Domain.get(id=row.id)
    assert row.state is DomainState.VERIFIED
    assert row.verified_at == t0 + timedelta(minutes=1)
    assert await domain_events(org.id) == [
        "organization_domain.created",
        "organization_domain.verified",
    ]


async def test_the_reason_of_a_domain_of_253_characters_fits(make_org, add, settings, dns):
    # The reason quotes the record's name: for the longest domain it once outgrew its column
    # (a 500 from verifyDomain, a failed pass of the recheck).
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57, "com"])
    assert len(name) == 253
    _, _, row = await pending(make_org, add, name)
    assert await recheck_due_domains(row.next_check_at, DnsConfig.from_settings(settings)) == 1
    row = await Domain.get(id=row.id)
    assert row.state is DomainState.PENDING
    assert row.failure_reason
    assert len(row.failure_reason) == 300


async def test_backoff_then_failed_after_72_hours(make_org, add, settings, dns, domain_events):
    org, _, row = await pending(make_org, add)
    config = DnsConfig.from_settings(settings)
    t0 = row.pending_since
    clock = row.next_check_at
    delays = []
    checks = 0
    while True:
        assert await recheck_due_domains(clock, config) == 1
        checks += 1
        row = await Domain.get(id=row.id)
        if row.state is not DomainState.PENDING:
            break
        assert row.failure_reason.startswith("NXDOMAIN")
        # not checked again before its next time
        assert await recheck_due_domains(row.next_check_at - timedelta(seconds=1), config) == 0
        delays.append(row.next_check_at - clock)
        clock = row.next_check_at
    # 1, 2, 4 ... minutes, capped at one hour, until the 72-hour window closed
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(delays) == timedelta(hours=1)
    assert clock >= t0 + timedelta(hours=72)
    assert clock - t0 < timedelta(hours=73)
    assert row.state is DomainState.FAILED
    assert row.failure_reason.startswith("Not verified within 72 hours. Last check: NXDOMAIN")
    assert row.attempts == checks
    assert await domain_events(org.id) == [
        "organization_domain.created",
        "organization_domain.verification_failed",
    ]
    # a failed domain is not checked any more
    dns.zone.queries.clear()
    assert await recheck_due_domains(clock + timedelta(days=30), config) == 0
    assert dns.zone.queries == []


async def test_servfail_and_timeout_keep_it_pending(make_org, add, settings, dns):
    _, failing, failing_row = await pending(make_org, add, "failing.example")
    silent = (await add(failing_row.organization_id, "silent.example"))["domain"]
    dns.servfail(failing["record"]["name"])
    dns.silence(silent["record"]["name"])
    at = failing_row.next_check_at + timedelta(minutes=5)
    assert await recheck_due_domains(at, DnsConfig.from_settings(settings)) == 2
    rows = {d.domain: d for d in await Domain.all()}
    assert rows["failing.example"].state is DomainState.PENDING
    assert rows["failing.example"].failure_reason.startswith("SERVFAIL")
    assert rows["silent.example"].state is DomainState.PENDING
    assert rows["silent.example"].failure_reason.startswith("Timeout")


async def test_wrong_value_found_by_recheck_fails(make_org, add, settings, dns, domain_events):
    org, payload, row = await pending(make_org, add)
    dns.publish(payload["record"]["name"], "gatehouse-verification=someone-else")
    await recheck_due_domains(row.next_check_at, DnsConfig.from_settings(settings))
    assert (await Domain.get(id=row.id)).state is DomainState.FAILED
    assert (await domain_events(org.id))[-1] == "organization_domain.verification_failed"


async def test_a_claim_is_checked_once_per_round(make_org, add, settings, dns):
    # a second round at the same instant finds the row leased by the first
    _, payload, row = await pending(make_org, add)
    dns.servfail(payload["record"]["name"])
    config = DnsConfig.from_settings(settings)
    results = await asyncio.gather(
        recheck_due_domains(row.next_check_at, config),
        recheck_due_domains(row.next_check_at, config),
    )
    assert sorted(results) == [0, 1]


async def test_app_lifespan_runs_the_recheck_loop(make_org, add, publish, settings):
    # given a pending domain already due, its record published
    _, payload, row = await pending(make_org, add)
    await Domain.filter(id=row.id).update(next_check_at=row.created_at - timedelta(minutes=1))
    publish(payload)
    looping = Settings(
        **{
            **settings.model_dump(by_alias=True),
            "GATEHOUSE_DOMAIN_RECHECKS": True,
            "GATEHOUSE_DOMAIN_RECHECK_INTERVAL_SECONDS": 0.05,
        }
    )
    app = create_app(looping, manage_db=False)
    # when the app runs, the loop verifies it (polled with a deadline, no fixed sleep)
    async with app.router.lifespan_context(app):
        async with asyncio.timeout(20):
            while (await Domain.get(id=row.id)).state is not DomainState.VERIFIED:
                await asyncio.sleep(0.05)
    assert (await Domain.get(id=row.id)).state is DomainState.VERIFIED
