"""No N+1: the statements for a members page do not grow with the number of members."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import Tortoise

from gatehouse.models import Member, MemberSource, Role, User

MEMBERS_PAGE = """query($id: ID!) { organization(id: $id) { name
  members(first: 100) { totalCount edges { node { id status
    user { email firstName } role { slug permissions } organization { name } } } } } }"""


async def _org_with_members(make_org, n: int):
    org = await make_org(f"Org {n}")
    roles = {r.slug: r for r in await Role.filter(organization_id=org.id)}
    users = [User(email=f"user{i}@n{n}.example") for i in range(n)]
    await User.bulk_create(users)
    created = await User.filter(email__endswith=f"@n{n}.example")
    await Member.bulk_create(
        [
            Member(
                organization_id=org.id,
                user_id=u.id,
                role_id=roles["admin" if i % 2 else "member"].id,
                source=MemberSource.MANUAL,
            )
            for i, u in enumerate(created)
        ]
    )
    return org


async def test_members_page_statement_count_is_constant(
    gql, operator_token, make_org, count_queries
):
    small = await _org_with_members(make_org, 10)
    large = await _org_with_members(make_org, 100)
    await gql("{ viewer { kind } }", token=operator_token)  # settles the key's last_used_at
    counts = {}
    for org, expected in ((small, 10), (large, 100)):
        with count_queries() as counter:
            body = await gql(MEMBERS_PAGE, {"id": org.id}, token=operator_token)
        members = body["data"]["organization"]["members"]
        assert members["totalCount"] == expected
        assert len(members["edges"]) == expected
        assert {e["node"]["role"]["slug"] for e in members["edges"]} == {"admin", "member"}
        counts[expected] = counter.count
    assert counts[10] == counts[100]
    # Credential lookup, organization, page, total, users, roles: a handful, not hundreds.
    assert counts[100] < 10


async def test_members_page_loads_users_and_roles_once_each(
    gql, operator_token, make_org, count_queries
):
    org = await _org_with_members(make_org, 30)
    await gql("{ viewer { kind } }", token=operator_token)  # settles the key's last_used_at
    query = """query($id: ID!, $search: String) { organization(id: $id) {
      members(first: 5, search: $search) { totalCount edges { node {
        user { email } role { slug } } } } } }"""
    with count_queries() as counter:
        body = await gql(query, {"id": org.id, "search": "user1"}, token=operator_token)
    members = body["data"]["organization"]["members"]
    # user1 and user10..user19 match; the page holds five of them, with people and roles
    assert members["totalCount"] == 11
    emails = {e["node"]["user"]["email"] for e in members["edges"]}
    assert len(emails) == 5
    assert emails <= {"user1@n30.example", *(f"user1{i}@n30.example" for i in range(10))}
    assert {e["node"]["role"]["slug"] for e in members["edges"]} == {"admin", "member"}
    # Credential, organization, the page, its users, its roles, the total; on PostgreSQL the
    # users come joined into the page (resolvers/members.py says why), the roles never.
    postgres = Tortoise.get_connection("default").capabilities.dialect == "postgres"
    assert counter.count == (5 if postgres else 6)


async def test_a_pooled_connection_goes_back_without_a_reset_round_trip(db):
    client = Tortoise.get_connection("default")
    if client.capabilities.dialect != "postgres":
        pytest.skip("the connection pool is PostgreSQL's")
    sent: list[str] = []

    def log(record) -> None:
        sent.append(record.query)

    async with client.acquire_connection() as proxy:
        connection = proxy._con  # the pooled connection itself, which outlives the proxy
        connection.add_query_logger(log)
        await proxy.fetchval("SELECT 1")
    # asyncpg's default release sends `... RESET ALL` here; query loggers run on the next tick
    await asyncio.sleep(0.05)
    connection.remove_query_logger(log)
    assert sent == ["SELECT 1"]
