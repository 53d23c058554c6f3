"""DNS verification against a real DNS server: publish, verify, and every way it can fail."""

from __future__ import annotations

import asyncio

from gatehouse.models import Domain, DomainState
from gatehouse.resolvers.domains.dns import DnsConfig, Outcome, check_txt


async def test_published_record_verifies_and_records_event(
    make_org, add, verify, publish, domain_events
):
    # given a claimed domain whose exact record is published
    org = await make_org("Acme")
    added = await add(org.id, "acme.com")
    assert added["userErrors"] == []
    domain = added["domain"]
    assert domain["state"] == "PENDING"
    assert domain["record"]["type"] == "TXT"
    assert domain["record"]["name"] == "_gatehouse-challenge.acme.com"
    assert domain["record"]["value"].startswith("gatehouse-verification=")
    assert len(domain["record"]["value"]) > len("gatehouse-verification=") + 40
    publish(domain)
    # when it is verified
    result = await verify(domain["id"])
    # then it is VERIFIED, with the event
    assert result["userErrors"] == []
    assert result["domain"]["state"] == "VERIFIED"
    assert result["domain"]["strategy"] == "DNS"
    assert result["domain"]["verifiedAt"] is not None
    assert result["domain"]["failureReason"] is None
    assert await domain_events(org.id) == [
        "organization_domain.created",
        "organization_domain.verified",
    ]
    row = await Domain.get(id=domain["id"])
    assert row.verified_domain == "acme.com"


async def test_wrong_value_fails_with_reason(make_org, add, verify, dns, domain_events):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    dns.publish(domain["record"]["name"], "gatehouse-verification=not-the-token", "v=spf1 -all")
    result = await verify(domain["id"])
    assert result["userErrors"] == []
    assert result["domain"]["state"] == "FAILED"
    assert "Wrong value" in result["domain"]["failureReason"]
    assert await domain_events(org.id) == [
        "organization_domain.created",
        "organization_domain.verification_failed",
    ]
    assert (await Domain.get(id=domain["id"])).verified_domain is None


async def test_value_at_another_name_does_not_verify(make_org, add, verify, dns):
    # the exact value, but at the bare domain instead of the challenge name
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    dns.publish("acme.com", domain["record"]["value"])
    result = await verify(domain["id"])
    assert result["domain"]["state"] == "PENDING"
    assert result["domain"]["failureReason"].startswith("NXDOMAIN")


async def test_value_with_extra_text_does_not_verify(make_org, add, verify, dns):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    dns.publish(domain["record"]["name"], domain["record"]["value"] + "x")
    result = await verify(domain["id"])
    assert result["domain"]["state"] == "FAILED"


async def test_split_txt_strings_are_joined(make_org, add, verify, dns):
    # a record split into several character-strings (RFC 7208 §3.3), among other records
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    value = domain["record"]["value"]
    dns.publish(domain["record"]["name"], "v=spf1 -all", [value[:10], value[10:30], value[30:]])
    result = await verify(domain["id"])
    assert result["domain"]["state"] == "VERIFIED"


async def test_many_records_answer_over_tcp(make_org, add, verify, dns):
    # an answer too big for UDP comes back truncated; the lookup retries over TCP
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    noise = [f"site-verification={i:04d}-" + "x" * 200 for i in range(12)]
    dns.publish(domain["record"]["name"], *noise, domain["record"]["value"])
    result = await verify(domain["id"])
    assert result["domain"]["state"] == "VERIFIED"
    assert domain["record"]["name"] in dns.zone.tcp_queries


async def test_nxdomain_stays_pending_with_reason(make_org, add, verify, domain_events):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    result = await verify(domain["id"])
    assert result["domain"]["state"] == "PENDING"
    assert result["domain"]["failureReason"].startswith("NXDOMAIN")
    assert result["domain"]["lastCheckedAt"] is not None
    assert result["domain"]["nextCheckAt"] is not None
    assert await domain_events(org.id) == ["organization_domain.created"]


async def test_name_without_txt_stays_pending(make_org, add, verify, dns):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    dns.exists_without_txt(domain["record"]["name"])
    result = await verify(domain["id"])
    assert result["domain"]["state"] == "PENDING"
    assert result["domain"]["failureReason"].startswith("No TXT record")


async def test_servfail_stays_pending_with_reason(make_org, add, verify, dns, domain_events):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    dns.servfail(domain["record"]["name"])
    result = await verify(domain["id"])
    assert result["userErrors"] == []
    assert result["domain"]["state"] == "PENDING"
    assert result["domain"]["failureReason"].startswith("SERVFAIL")
    assert await domain_events(org.id) == ["organization_domain.created"]


async def test_timeout_stays_pending_and_returns(make_org, add, verify, dns, domain_events):
    # given a DNS server that never answers this name (the configured timeout is 0.5 s)
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    dns.silence(domain["record"]["name"])
    # when verified, the request comes back (the guard is far above the DNS timeout)
    async with asyncio.timeout(15):
        result = await verify(domain["id"])
    # then PENDING, with the reason, no crash
    assert result["userErrors"] == []
    assert result["domain"]["state"] == "PENDING"
    assert result["domain"]["failureReason"].startswith("Timeout")
    assert await domain_events(org.id) == ["organization_domain.created"]


async def test_failed_domain_can_be_verified_again(make_org, add, verify, dns, publish):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    dns.publish(domain["record"]["name"], "gatehouse-verification=stale")
    assert (await verify(domain["id"]))["domain"]["state"] == "FAILED"
    dns.clear()
    publish(domain)
    result = await verify(domain["id"])
    assert result["domain"]["state"] == "VERIFIED"


async def test_verify_is_idempotent_once_verified(make_org, add, verify, publish, domain_events):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    publish(domain)
    await verify(domain["id"])
    again = await verify(domain["id"])
    assert again["domain"]["state"] == "VERIFIED"
    assert (await domain_events(org.id)).count("organization_domain.verified") == 1


async def test_unicode_domain_stored_as_punycode_and_verified(make_org, add, verify, dns):
    # given résumé.example, typed in unicode and upper case
    org = await make_org()
    added = await add(org.id, "RÉSUMÉ.example.")
    domain = added["domain"]
    # then stored as punycode, shown both ways, with a punycode record name
    assert domain["domain"] == "xn--rsum-bpad.example"
    assert domain["unicodeDomain"] == "résumé.example"
    assert domain["record"]["name"] == "_gatehouse-challenge.xn--rsum-bpad.example"
    row = await Domain.get(id=domain["id"])
    assert row.domain == "xn--rsum-bpad.example"
    # when published under the punycode name and verified
    dns.publish("_gatehouse-challenge.xn--rsum-bpad.example", domain["record"]["value"])
    result = await verify(domain["id"])
    assert result["domain"]["state"] == "VERIFIED"
    assert "_gatehouse-challenge.xn--rsum-bpad.example" in dns.zone.queries


async def test_manual_verification_needs_operator(make_org, add, verify, org_token, domain_events):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    token = await org_token(org.id)
    # an organization key may not vouch for its own domain
    refused = await verify(domain["id"], token=token, strategy="MANUAL")
    assert refused["domain"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["OPERATOR_ONLY"]
    assert (await Domain.get(id=domain["id"])).state is DomainState.PENDING
    assert await domain_events(org.id) == ["organization_domain.created"]
    # the operator may, without DNS
    result = await verify(domain["id"], strategy="MANUAL")
    assert result["domain"]["state"] == "VERIFIED"
    assert result["domain"]["strategy"] == "MANUAL"
    assert await domain_events(org.id) == [
        "organization_domain.created",
        "organization_domain.verified",
    ]


async def test_dead_first_nameserver_falls_over_to_the_next(dns, dead_nameserver):
    # GATEHOUSE_DNS_NAMESERVERS=dead,good: the timeout budget is shared, the second answers
    dns.publish("_gatehouse-challenge.acme.com", "gatehouse-verification=abc")
    config = DnsConfig([dead_nameserver, f"127.0.0.1:{dns.port}"], 1.0)
    result = await check_txt(config, "_gatehouse-challenge.acme.com", "gatehouse-verification=abc")
    assert result.outcome is Outcome.MATCH


async def test_only_dead_nameservers_time_out(dead_nameserver):
    config = DnsConfig([dead_nameserver], 0.3)
    async with asyncio.timeout(10):
        result = await check_txt(config, "_gatehouse-challenge.acme.com", "x")
    assert result.outcome is Outcome.TIMEOUT
    assert result.reason.startswith("Timeout")
