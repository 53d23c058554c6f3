"""An organization-scoped caller never reaches another organization's domains."""

from __future__ import annotations

from gatehouse.models import Domain, DomainState, Event

NODE = """query($id: ID!) { node(id: $id) { id ... on Domain { domain record { value } } } }"""
ORG_DOMAINS = """query($id: ID!) { organization(id: $id) { id domains { id domain } } }"""


async def two_tenants(make_org, add, org_token):
    a, b = await make_org("A"), await make_org("B")
    a_dom = (await add(a.id, "a.example"))["domain"]
    b_dom = (await add(b.id, "b.example"))["domain"]
    return a, b, a_dom, b_dom, await org_token(a.id)


async def test_scoped_key_manages_its_own_domains(
    make_org, add, verify, remove, publish, org_token
):
    a, _, a_dom, _, token = await two_tenants(make_org, add, org_token)
    added = await add(a.id, "more.example", token=token)
    assert added["userErrors"] == []
    publish(a_dom)
    assert (await verify(a_dom["id"], token=token))["domain"]["state"] == "VERIFIED"
    assert (await remove(added["domain"]["id"], token=token))["userErrors"] == []


async def test_cannot_add_to_another_organization(make_org, add, org_token):
    _, b, _, _, token = await two_tenants(make_org, add, org_token)
    before = (await Domain.all().count(), await Event.all().count())
    refused = await add(b.id, "sneaky.example", token=token)
    assert refused["domain"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    assert (await Domain.all().count(), await Event.all().count()) == before


async def test_cannot_verify_another_organizations_domain(
    make_org, add, verify, publish, org_token
):
    _, _, _, b_dom, token = await two_tenants(make_org, add, org_token)
    publish(b_dom)
    events_before = await Event.all().count()
    for strategy in (None, "MANUAL"):
        refused = await verify(b_dom["id"], token=token, strategy=strategy)
        assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    row = await Domain.get(id=b_dom["id"])
    assert row.state is DomainState.PENDING
    assert row.last_checked_at is None
    assert await Event.all().count() == events_before


async def test_cannot_remove_another_organizations_domain(make_org, add, remove, org_token):
    _, _, _, b_dom, token = await two_tenants(make_org, add, org_token)
    events_before = await Event.all().count()
    refused = await remove(b_dom["id"], token=token)
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    assert await Domain.filter(id=b_dom["id"]).exists()
    assert await Event.all().count() == events_before


async def test_cannot_see_another_organizations_domains(make_org, add, org_token, gql):
    a, b, a_dom, b_dom, token = await two_tenants(make_org, add, org_token)
    # by node
    assert (await gql(NODE, {"id": b_dom["id"]}, token=token))["data"]["node"] is None
    own = (await gql(NODE, {"id": a_dom["id"]}, token=token))["data"]["node"]
    assert own["domain"] == "a.example"
    # by root field, and nested
    assert (await gql(ORG_DOMAINS, {"id": b.id}, token=token))["data"]["organization"] is None
    mine = (await gql(ORG_DOMAINS, {"id": a.id}, token=token))["data"]["organization"]
    assert [d["domain"] for d in mine["domains"]] == ["a.example"]


async def test_domain_permissions_are_required(make_org, add, org_token, gql, verify, remove):
    a, _, a_dom, _, _ = await two_tenants(make_org, add, org_token)
    reader = await org_token(a.id, "organizations:read")
    body = await gql(ORG_DOMAINS, {"id": a.id}, token=reader)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql(NODE, {"id": a_dom["id"]}, token=reader))["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"
    read_only = await org_token(a.id, "organizations:read", "domains:read")
    before = await Domain.all().count()
    add_op = """mutation($i: AddDomainInput!) { addDomain(input: $i) { userErrors { code } } }"""
    remove_op = """mutation($i: RemoveDomainInput!) {
      removeDomain(input: $i) { userErrors { code } } }"""
    for op, variables in (
        (add_op, {"i": {"organizationId": a.id, "domain": "x.example"}}),
        (remove_op, {"i": {"domainId": a_dom["id"]}}),
    ):
        body = await gql(op, variables, token=read_only)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Domain.all().count() == before


async def test_anonymous_caller_gets_nothing(make_org, add, org_token, gql):
    _, _, a_dom, _, _ = await two_tenants(make_org, add, org_token)
    body = await gql(NODE, {"id": a_dom["id"]})
    assert body["data"] is None or body["data"]["node"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
