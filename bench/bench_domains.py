"""Domains benchmark: normalization throughput, verifyDomain against a local DNS server,
and one background re-check round over many PENDING domains. Prints its figures."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Domain, DomainState
from gatehouse.resolvers import organizations
from gatehouse.resolvers.domains import lifecycle as domains
from gatehouse.resolvers.domains import verification as domain_verification
from gatehouse.resolvers.domains.dns import DnsConfig, record_name, record_value
from gatehouse.resolvers.domains.names import InvalidDomain, normalize_domain
from gatehouse.server.db import close_db, init_db, migrate

VERIFY_COUNT = 200
RECHECK_COUNT = 500
PER_ORG = 100  # the per-organization limit


class Zone(BaseResolver):
    def __init__(self) -> None:
        self.txt: dict[str, str] = {}

    def resolve(self, request, handler):
        name = str(request.q.qname).rstrip(".")
        reply = request.reply()
        if name in self.txt:
            reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(self.txt[name]), ttl=0))
        else:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


def bench_normalize() -> None:
    samples = ["Acme.COM.", "résumé.example", "eu.acme.co.uk", "gmail.com", "https://x.com/"] * 4000
    start = time.perf_counter()
    for value in samples:
        with contextlib.suppress(InvalidDomain):
            normalize_domain(value)
    elapsed = time.perf_counter() - start
    print(f"normalize_domain: {len(samples) / elapsed:,.0f} domains/s ({len(samples)} samples)")


async def bench_dns(dns: DnsConfig, zone: Zone) -> None:
    op = operator_principal()
    orgs = [
        await organizations.create_organization(op, organizations.NewOrganization(f"Bench {i}"))
        for i in range(VERIFY_COUNT // PER_ORG + 1)
    ]
    latencies = []
    for i in range(VERIFY_COUNT):
        domain = await domains.add_domain(op, orgs[i // PER_ORG].id, f"d{i}.bench.example")
        zone.txt[record_name(domain.domain)] = record_value(domain.token)
        start = time.perf_counter()
        verified = await domain_verification.verify_domain(op, domain.id, dns)
        latencies.append((time.perf_counter() - start) * 1000)
        assert verified.state is DomainState.VERIFIED
    latencies.sort()
    print(
        f"verifyDomain (resolver + DNS + SQLite write), {VERIFY_COUNT} sequential: "
        f"median {statistics.median(latencies):.1f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)]:.1f} ms"
    )
    others = [
        await organizations.create_organization(op, organizations.NewOrganization(f"Pending {i}"))
        for i in range(RECHECK_COUNT // PER_ORG + 1)
    ]
    for i in range(RECHECK_COUNT):
        await domains.add_domain(op, others[i // PER_ORG].id, f"p{i}.pending.example")
    at = domain_verification.now() + timedelta(minutes=2)
    start = time.perf_counter()
    checked = 0
    while batch := await domain_verification.recheck_due_domains(at, dns):
        checked += batch
    elapsed = time.perf_counter() - start
    still = await Domain.filter(state=DomainState.PENDING).count()
    print(
        f"recheck_due_domains: {checked} PENDING domains (NXDOMAIN) in {elapsed:.2f} s "
        f"({checked / elapsed:,.0f}/s); {still} still PENDING with their next check scheduled"
    )


async def main() -> None:
    bench_normalize()
    zone = Zone()
    server = DNSServer(
        zone,
        address="127.0.0.1",
        port=0,
        logger=DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data"),
    )
    server.start_thread()
    dns = DnsConfig([f"127.0.0.1:{server.server.server_address[1]}"], 2.0)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.db'}"
        await migrate(url)
        await init_db(url)
        try:
            await bench_dns(dns, zone)
        finally:
            await close_db()
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
