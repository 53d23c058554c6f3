"""Organization.domains batches through a dataloader; event payloads carry no token."""

from __future__ import annotations

from gatehouse.models import Domain, Event

ORGS = """{ organizations(first: 50) { edges { node { id
  domains { id domain state record { name value } organization { id name } } } } } }"""


async def test_domains_of_many_organizations_in_constant_queries(
    make_org, add, gql, operator_token, count_queries
):
    async def seed(n: int) -> None:
        for i in range(n):
            org = await make_org(f"Org {i}")
            for j in range(3):
                await add(org.id, f"d{j}.org{i}-{n}.example")

    await seed(2)
    with count_queries() as few:
        body = await gql(ORGS, token=operator_token)
    assert "errors" not in body
    await seed(6)
    with count_queries() as many:
        body = await gql(ORGS, token=operator_token)
    edges = body["data"]["organizations"]["edges"]
    assert sum(len(e["node"]["domains"]) for e in edges) == 24
    assert many.count == few.count


async def test_domain_events_never_carry_the_token(make_org, add, verify, remove, publish):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    publish(domain)
    await verify(domain["id"])
    token = (await Domain.get(id=domain["id"])).token
    await remove(domain["id"])
    events = await Event.filter(type__startswith="organization_domain.").order_by("id")
    assert [e.type for e in events] == [
        "organization_domain.created",
        "organization_domain.verified",
        "organization_domain.deleted",
    ]
    for event in events:
        assert token not in str(event.data)
        assert event.data["domain"] == "acme.com"
        assert event.data["organization_id"] == org.id
