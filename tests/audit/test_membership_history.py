"""Access as of any moment: a scripted history of joins, role changes, deactivations and
removals over simulated days, and `members(asOf:)` at each instant equals the expected set
exactly; the same under changes committed concurrently (PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Member, MembershipPeriod, MemberStatus
from gatehouse.resolvers import members

AS_OF = """query($id: ID!, $at: DateTime!, $after: String) { organization(id: $id) {
  members(asOf: $at, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id status source role { slug } user { email } } } } } }"""
HISTORY = """query($id: ID!) { node(id: $id) { ... on Member {
  history { from to status role source } } } }"""


async def _as_of(gql, token, org_id, at: datetime) -> tuple[set[tuple[str, str, str]], int]:
    """Every page of members(asOf:) (pages of 2, to walk the cursor too)."""
    found: set[tuple[str, str, str]] = set()
    after, total = None, -1
    while True:
        body = await gql(AS_OF, {"id": org_id, "at": at.isoformat(), "after": after}, token=token)
        assert body.get("errors") is None, body
        page = body["data"]["organization"]["members"]
        total = page["totalCount"]
        for e in page["edges"]:
            n = e["node"]
            found.add((n["user"]["email"], n["role"]["slug"], n["status"]))
        if not page["pageInfo"]["hasNextPage"]:
            return found, total
        after = page["pageInfo"]["endCursor"]


async def test_members_as_of_every_instant_of_a_scripted_history(
    gql, operator_token, make_org, clock
):
    op = operator_principal()
    org = await make_org("Acme")
    state: dict[str, tuple[str, str]] = {}  # email -> (role, status)
    expected: list[tuple[datetime, dict[str, tuple[str, str]]]] = []
    ids: dict[str, str] = {}

    async def step(days: float, change) -> None:
        at = clock.advance(days=days)
        await change()
        expected.append((at, dict(state)))  # the new state holds from the instant itself

    async def join(email: str, role: str) -> None:
        ids[email] = (await members.create_member(op, org.id, email, role)).id
        state[email] = (role, "ACTIVE")

    async def role(email: str, slug: str) -> None:
        await members.update_member_role(op, ids[email], slug)
        state[email] = (slug, state[email][1])

    async def status(email: str, value: MemberStatus) -> None:
        await members.set_member_status(op, ids[email], value)
        state[email] = (state[email][0], value.value)

    async def remove(email: str) -> None:
        await members.remove_member(op, ids[email])
        del state[email]

    before_anything = clock.advance(hours=-1)
    clock.advance(hours=1)
    await step(0, lambda: join("boss@acme.example", "admin"))
    await step(1, lambda: join("ada@acme.example", "member"))
    await step(1, lambda: join("bob@acme.example", "member"))
    await step(2, lambda: role("ada@acme.example", "admin"))
    await step(0.5, lambda: status("bob@acme.example", MemberStatus.INACTIVE))
    await step(3, lambda: status("bob@acme.example", MemberStatus.ACTIVE))
    await step(1, lambda: role("ada@acme.example", "member"))
    await step(1, lambda: remove("bob@acme.example"))
    await step(2, lambda: join("bob@acme.example", "admin"))  # rejoins: a new membership
    await step(1, lambda: status("ada@acme.example", MemberStatus.INACTIVE))
    await step(1, lambda: remove("ada@acme.example"))
    clock.advance(days=1)

    empty, total = await _as_of(gql, operator_token, org.id, before_anything)
    assert (empty, total) == (set(), 0)
    for i, (at, snapshot) in enumerate(expected):
        wanted = {(email, r, s) for email, (r, s) in snapshot.items()}
        # At the change itself, half a day later, and a microsecond before the next one.
        instants = [at, at + timedelta(hours=12) if i + 1 == len(expected) else at]
        if i + 1 < len(expected):
            instants.append(expected[i + 1][0] - timedelta(microseconds=1))
        for instant in instants:
            found, total = await _as_of(gql, operator_token, org.id, instant)
            assert found == wanted, (i, instant)
            assert total == len(wanted)

    # Now, asOf answers what `members` answers.
    now_set, _ = await _as_of(gql, operator_token, org.id, clock.now())
    rows = await Member.filter(organization_id=org.id).prefetch_related("user", "role")
    assert now_set == {(m.user.email, m.role.slug, m.status.value) for m in rows}


async def test_member_history_lists_every_state(gql, operator_token, make_org, clock):
    op = operator_principal()
    org = await make_org("Acme")
    await members.create_member(op, org.id, "boss@acme.example", "admin")
    t0 = clock.advance(minutes=1)
    member = await members.create_member(op, org.id, "ada@acme.example", "member")
    t1 = clock.advance(days=2)
    await members.update_member_role(op, member.id, "admin")
    t2 = clock.advance(days=3)
    await members.set_member_status(op, member.id, MemberStatus.INACTIVE)
    body = await gql(HISTORY, {"id": member.id}, token=operator_token)
    history = body["data"]["node"]["history"]
    assert [(h["status"], h["role"], h["source"]) for h in history] == [
        ("ACTIVE", "member", "MANUAL"),
        ("ACTIVE", "admin", "MANUAL"),
        ("INACTIVE", "admin", "MANUAL"),
    ]
    iso = [datetime.fromisoformat(h["from"]) for h in history]
    assert iso == [t0, t1, t2]
    assert [h["to"] and datetime.fromisoformat(h["to"]) for h in history] == [t1, t2, None]


async def test_concurrent_changes_keep_history_exact(gql, operator_token, make_org):
    """Changes committed concurrently (truly so on PostgreSQL): every membership has one
    open period, its periods never overlap, and asOf at each change replays the events."""
    op = operator_principal()
    org = await make_org("Acme")
    await members.create_member(op, org.id, "boss@acme.example", "admin")
    people = [f"p{i}@acme.example" for i in range(12)]
    created = await asyncio.gather(
        *(members.create_member(op, org.id, email, "member") for email in people)
    )

    async def churn(member_id: str, i: int) -> None:
        await members.update_member_role(op, member_id, "admin")
        await members.set_member_status(op, member_id, MemberStatus.INACTIVE)
        if i % 3 == 0:
            await members.remove_member(op, member_id)
        elif i % 3 == 1:
            await members.set_member_status(op, member_id, MemberStatus.ACTIVE)

    # The same member from two tasks at once, too: its changes serialize on the member row.
    await asyncio.gather(
        *(churn(m.id, i) for i, m in enumerate(created)),
        *(members.update_member_role(op, m.id, "member") for m in created[1::3]),
        return_exceptions=True,
    )
    periods = await MembershipPeriod.filter(organization_id=org.id).order_by("valid_from", "id")
    by_member: dict[str, list[MembershipPeriod]] = {}
    for p in periods:
        by_member.setdefault(p.member_id, []).append(p)
    current = {m.id: m for m in await Member.filter(organization_id=org.id)}
    for member_id, rows in by_member.items():
        open_rows = [p for p in rows if p.valid_to is None]
        assert len(open_rows) == (1 if member_id in current else 0), member_id
        for a, b in itertools.pairwise(rows):
            assert a.valid_to is not None
            assert a.valid_to <= b.valid_from
        if member_id in current:
            m = current[member_id]
            assert (open_rows[0].status, open_rows[0].role_id) == (m.status.value, m.role_id)
    # At every instant where something changed, asOf equals the periods that hold.
    instants = sorted({p.valid_from for p in periods} | {p.valid_to for p in periods if p.valid_to})
    for at in instants[:: max(1, len(instants) // 15)]:
        wanted = {
            p.member_id
            for p in periods
            if p.valid_from <= at and (p.valid_to is None or p.valid_to > at)
        }
        page = await members_page(gql, operator_token, org.id, at)
        assert page == wanted
    assert await members_page(gql, operator_token, org.id, datetime.now(UTC)) == set(current)


async def members_page(gql, token, org_id, at) -> set[str]:
    body = await gql(
        """query($id: ID!, $at: DateTime!) { organization(id: $id) {
             members(asOf: $at, first: 100) { edges { node { id } } } } }""",
        {"id": org_id, "at": at.isoformat()},
        token=token,
    )
    assert body.get("errors") is None, body
    return {e["node"]["id"] for e in body["data"]["organization"]["members"]["edges"]}


async def test_an_erased_person_leaves_members_as_of_answerable(
    gql, operator_token, make_org, clock
):
    op = operator_principal()
    org = await make_org("Acme")
    kept = await members.create_member(op, org.id, "kept@acme.example", "member")
    gone = await members.create_member(op, org.id, "gone@acme.example", "member")
    at = clock.advance(days=1)  # both were members then
    clock.advance(days=1)

    body = await gql(
        "mutation($i: DeleteUserInput!) { deleteUser(input: $i) { userErrors { code } } }",
        {"i": {"userId": gone.user_id}},
        token=operator_token,
    )
    assert body["data"]["deleteUser"]["userErrors"] == []

    # the erased person's periods keep their ids for the audit trail, but are not listed
    assert await MembershipPeriod.filter(member_id=gone.id).exists()
    found, total = await _as_of(gql, operator_token, org.id, at)
    assert found == {("kept@acme.example", "member", "ACTIVE")}
    assert total == 1
    assert kept.id != gone.id
