"""models/reads.py: the hot reads return what Tortoise's own queries return, field for field."""

from __future__ import annotations

from tortoise import Tortoise

from gatehouse.models import (
    Directory,
    DirectoryType,
    Domain,
    DomainState,
    Member,
    Role,
    User,
    reads,
)


def _fields(row: object) -> dict[str, object]:
    meta = row._meta  # type: ignore[attr-defined]
    return {name: getattr(row, name) for name in meta.fields_db_projection}


async def test_first_builds_the_instance_tortoise_would(make_org, count_queries) -> None:
    org = await make_org()
    made = await Directory.create(
        organization=org, name="d", type=DirectoryType.ENTRA, token_hash="h", token_prefix="p"
    )
    expected = await Directory.get(id=made.id)
    with count_queries() as counter:
        found = await reads.first(Directory, id=made.id)
    assert found is not None
    assert _fields(found) == _fields(expected)  # enums, datetimes and hashes converted alike
    assert found._saved_in_db
    assert len(counter.statements) == 1
    assert await reads.first(Directory, id="dir_missing") is None


async def test_rows_match_lists_and_converted_values(make_org) -> None:
    org = await make_org()
    for name, state in (("a.example", DomainState.VERIFIED), ("b.a.example", DomainState.PENDING)):
        await Domain.create(
            organization=org, domain=name, verified_domain=name, state=state, token=name
        )
    found = await reads.rows(
        Domain,
        verified_domain=["b.a.example", "a.example", "x.example"],
        state=DomainState.VERIFIED,
    )
    assert [d.domain for d in found] == ["a.example"]
    assert found[0].state is DomainState.VERIFIED
    assert await reads.rows(Domain, verified_domain=[], state=DomainState.VERIFIED) == []


async def test_a_locked_read_locks_on_postgresql(make_org, count_queries) -> None:
    await make_org()
    user = await User.create(email="lock@reads.example")
    with count_queries() as counter:
        assert (await reads.first(User, lock=True, email="lock@reads.example")) == user
    postgres = Tortoise.get_connection("default").capabilities.dialect == "postgres"
    assert counter.statements[0].endswith(" FOR UPDATE") is postgres


async def test_a_nul_byte_names_no_row(make_org, count_queries) -> None:
    await make_org()
    # PostgreSQL refuses a NUL in text: sent, it would fail the request (the fuzz test's
    # `DELETE /scim/v2/…/Users/%00` answered 503); it matches nothing instead, unsent
    with count_queries() as counter:
        assert await reads.first(User, id="\x00") is None
        assert await reads.rows(Domain, verified_domain=["a.example", "b\x00"]) == []
    assert counter.statements == []


async def test_a_value_longer_than_its_column_names_no_row(make_org, count_queries) -> None:
    await make_org()
    # Tortoise's length check would raise on it (a SCIM path id of 60 characters was a 500);
    # no stored row holds it, so it matches nothing, unsent
    with count_queries() as counter:
        assert await reads.first(User, id="user_" + "x" * 60) is None
        assert await reads.rows(Domain, verified_domain=["a.example", "b" * 300]) == []
    assert counter.statements == []


async def test_first_joined_reads_the_row_and_its_relations_in_one_statement(
    make_org, count_queries
) -> None:
    org = await make_org()
    user = await User.create(email="joined@reads.example")
    role = await Role.get(organization_id=org.id, slug="member")
    made = await Member.create(organization_id=org.id, user_id=user.id, role_id=role.id)
    expected = await Member.filter(id=made.id).select_related("user", "role").get()
    with count_queries() as counter:
        found = await reads.first_joined(
            Member, ("user", "role"), lock=True, organization_id=org.id, user_id=user.id
        )
    assert found is not None
    assert _fields(found) == _fields(expected)
    # What select_related would have attached, with no further query
    assert _fields(found.user) == _fields(expected.user)
    assert _fields(found.role) == _fields(expected.role)
    assert len(counter.statements) == 1
    postgres = Tortoise.get_connection("default").capabilities.dialect == "postgres"
    assert counter.statements[0].endswith(' FOR UPDATE OF "t0"') is postgres
    assert await reads.first_joined(Member, ("user",), user_id="user_missing") is None
    with count_queries() as counter:
        assert await reads.first_joined(Member, ("user",), user_id="user_\x00") is None
    assert counter.statements == []
