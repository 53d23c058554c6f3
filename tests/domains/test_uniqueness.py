"""One verified owner per domain: first to verify wins, subdomains follow their parent."""

from __future__ import annotations

import asyncio

from gatehouse.models import Domain, DomainState, Event, Organization
from gatehouse.resolvers.domains import verification as domain_verification

CREATE = """mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) {
  organization { id domains { domain state record { name } } }
  userErrors { field code message } } }"""


async def test_two_claims_first_to_verify_wins(make_org, add, verify, publish, domain_events):
    # given two organizations claiming acme.com (both may hold a PENDING claim)
    acme, shadow = await make_org("Acme"), await make_org("Shadow")
    mine = (await add(acme.id, "acme.com"))["domain"]
    theirs = (await add(shadow.id, "acme.com"))["domain"]
    assert theirs["state"] == "PENDING"
    assert mine["record"]["value"] != theirs["record"]["value"]
    # when Acme publishes its record and verifies first
    publish(mine)
    assert (await verify(mine["id"]))["domain"]["state"] == "VERIFIED"
    # then Shadow's claim failed, with a clear reason and its own event
    lost = await Domain.get(id=theirs["id"])
    assert lost.state is DomainState.FAILED
    assert lost.failure_reason == "Verified by another organization first."
    assert await domain_events(shadow.id) == [
        "organization_domain.created",
        "organization_domain.verification_failed",
    ]
    # and verifying it later is refused with DOMAIN_TAKEN, changing nothing
    publish(theirs)
    events_before = await Event.all().count()
    again = await verify(theirs["id"])
    assert again["domain"] is None
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [
        (["domainId"], "DOMAIN_TAKEN")
    ]
    assert (await Domain.get(id=theirs["id"])).state is DomainState.FAILED
    assert await Event.all().count() == events_before


async def test_concurrent_verifications_one_winner(make_org, add, verify, publish):
    acme, shadow = await make_org("Acme"), await make_org("Shadow")
    a = (await add(acme.id, "acme.com"))["domain"]
    b = (await add(shadow.id, "acme.com"))["domain"]
    publish(a)
    publish(b)
    results = await asyncio.gather(verify(a["id"]), verify(b["id"]))
    states = sorted(
        r["domain"]["state"] if r["domain"] else r["userErrors"][0]["code"] for r in results
    )
    assert states.count("VERIFIED") == 1
    assert await Domain.filter(state=DomainState.VERIFIED).count() == 1


async def test_unique_column_decides_when_the_check_misses(
    make_org, add, verify, publish, monkeypatch
):
    # given the application-level check blinded (as in a race between two transactions)
    acme, shadow = await make_org("Acme"), await make_org("Shadow")
    a = (await add(acme.id, "acme.com"))["domain"]
    b = (await add(shadow.id, "acme.com"))["domain"]
    publish(a)
    publish(b)
    assert (await verify(a["id"]))["domain"]["state"] == "VERIFIED"
    await Domain.filter(id=b["id"]).update(state=DomainState.PENDING, failure_reason=None)

    async def blind(*_args):
        return False

    monkeypatch.setattr(domain_verification, "verified_elsewhere", blind)
    # when the second organization verifies, the unique index refuses the second owner
    result = await verify(b["id"])
    assert result["domain"]["state"] == "FAILED"
    assert result["domain"]["failureReason"] == "Verified by another organization first."
    assert await Domain.filter(state=DomainState.VERIFIED).count() == 1


async def test_verified_domain_and_subdomains_cannot_be_added_elsewhere(
    make_org, add, verify, publish
):
    acme, shadow = await make_org("Acme"), await make_org("Shadow")
    domain = (await add(acme.id, "acme.com"))["domain"]
    publish(domain)
    await verify(domain["id"])
    events_before = await Event.all().count()
    for value in ("acme.com", "ACME.com.", "eu.acme.com", "deep.eu.acme.com"):
        refused = await add(shadow.id, value)
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            (["domain"], "DOMAIN_TAKEN")
        ], value
    assert await Domain.filter(organization_id=shadow.id).count() == 0
    assert await Event.all().count() == events_before
    # the owner itself may add a subdomain; a sibling domain is free for anyone
    assert (await add(acme.id, "eu.acme.com"))["userErrors"] == []
    assert (await add(shadow.id, "acme.org"))["userErrors"] == []


async def test_verifying_parent_fails_others_pending_subdomain_claims(
    make_org, add, verify, publish
):
    acme, shadow = await make_org("Acme"), await make_org("Shadow")
    sub = (await add(shadow.id, "eu.acme.com"))["domain"]
    lookalike = (await add(shadow.id, "notacme.com"))["domain"]
    parent = (await add(acme.id, "acme.com"))["domain"]
    publish(parent)
    await verify(parent["id"])
    assert (await Domain.get(id=sub["id"])).state is DomainState.FAILED
    # a name that merely ends with the same letters is not a subdomain
    assert (await Domain.get(id=lookalike["id"])).state is DomainState.PENDING
    publish(sub)
    refused = await verify(sub["id"])
    assert [e["code"] for e in refused["userErrors"]] == ["DOMAIN_TAKEN"]


async def test_create_organization_claims_domains(gql, operator_token, domain_events):
    body = await gql(
        CREATE,
        {"i": {"name": "Acme", "domains": ["acme.com", "Résumé.example"]}},
        token=operator_token,
    )
    payload = body["data"]["createOrganization"]
    assert payload["userErrors"] == []
    org = payload["organization"]
    assert [(d["domain"], d["state"]) for d in org["domains"]] == [
        ("acme.com", "PENDING"),
        ("xn--rsum-bpad.example", "PENDING"),
    ]
    assert await domain_events(org["id"]) == ["organization_domain.created"] * 2


async def test_create_organization_with_a_domain_verified_elsewhere_is_refused(
    gql, operator_token, make_org, add, verify, publish
):
    acme = await make_org("Acme")
    domain = (await add(acme.id, "acme.com"))["domain"]
    publish(domain)
    await verify(domain["id"])
    orgs_before, events_before = await Organization.all().count(), await Event.all().count()
    body = await gql(
        CREATE,
        {"i": {"name": "Shadow Acme", "domains": ["shadow.example", "eu.acme.com", "gmail.com"]}},
        token=operator_token,
    )
    payload = body["data"]["createOrganization"]
    assert payload["organization"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["domains", "1"], "DOMAIN_TAKEN"),
        (["domains", "2"], "PUBLIC_EMAIL_PROVIDER"),
    ]
    assert await Organization.all().count() == orgs_before
    assert await Domain.all().count() == 1
    assert await Event.all().count() == events_before


async def test_create_organization_refuses_duplicates_in_the_list(gql, operator_token, db):
    body = await gql(
        CREATE, {"i": {"name": "Acme", "domains": ["acme.com", "ACME.COM."]}}, token=operator_token
    )
    payload = body["data"]["createOrganization"]
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["domains", "1"], "DOMAIN_ALREADY_ADDED")
    ]
    assert await Organization.all().count() == 0


async def test_remove_domain_frees_it_and_records_event(
    make_org, add, verify, remove, publish, domain_events
):
    acme, other = await make_org("Acme"), await make_org("Other")
    domain = (await add(acme.id, "acme.com"))["domain"]
    publish(domain)
    await verify(domain["id"])
    removed = await remove(domain["id"])
    assert removed == {"deletedId": domain["id"], "userErrors": []}
    assert await Domain.all().count() == 0
    assert (await domain_events(acme.id))[-1] == "organization_domain.deleted"
    # now another organization may claim it
    assert (await add(other.id, "acme.com"))["userErrors"] == []
    # removing twice: not found, no event
    events_before = await Event.all().count()
    again = await remove(domain["id"])
    assert [e["code"] for e in again["userErrors"]] == ["NOT_FOUND"]
    assert await Event.all().count() == events_before
