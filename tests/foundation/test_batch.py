"""models/batch.py: new rows of several tables in one statement on PostgreSQL, parents before
children, all or nothing; queued rows written only when the block's insert runs."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gatehouse.models import Event, Member, MemberSource, MemberStatus, Role, User, batch


def _postgres() -> bool:
    return Tortoise.get_connection("default").capabilities.dialect == "postgres"


async def _rows(org: Any, email: str) -> tuple[User, Member, Event]:
    role = await Role.get(organization_id=org.id, slug="member")
    user = User(email=email)
    member = Member(
        organization_id=org.id,
        user_id=user.id,
        role_id=role.id,
        status=MemberStatus.ACTIVE,
        source=MemberSource.DIRECTORY,
    )
    event = Event(type="test.batch", organization_id=org.id, data={"id": member.id})
    event.stamp()
    return user, member, event


async def test_rows_of_three_tables_go_out_together(make_org, count_queries) -> None:
    org = await make_org()
    user, member, event = await _rows(org, "one@batch.example")
    with count_queries() as counter:
        await batch.insert([user, member, event])
    # one statement on PostgreSQL (the member names a user inserted by the same statement);
    # one per table elsewhere
    assert len(counter.statements) == (1 if _postgres() else 3)
    if _postgres():
        assert counter.statements[0].startswith('WITH "r0" AS (INSERT INTO "users"')
    stored = await Member.get(id=member.id).prefetch_related("user")
    assert stored.user.email == "one@batch.example"
    assert await Event.filter(id=event.id, type="test.batch").exists()
    # and the instances know they are stored: a later save is an UPDATE, not a second INSERT
    user.first_name = "One"
    await user.save()
    assert (await User.get(id=user.id)).first_name == "One"


async def test_a_refused_row_leaves_none_of_the_batch(make_org) -> None:
    org = await make_org()
    taken, _, _ = await _rows(org, "taken@batch.example")
    await taken.save()
    user, member, event = await _rows(org, "taken@batch.example")  # the same email: unique
    with pytest.raises(IntegrityError):
        async with in_transaction():
            await batch.insert([user, member, event])
    assert not await Member.filter(id=member.id).exists()
    assert not await Event.filter(id=event.id).exists()
    assert await User.filter(email="taken@batch.example").count() == 1


async def test_queued_rows_wait_for_the_insert_and_keep_their_values(make_org) -> None:
    org = await make_org()
    user, member, _ = await _rows(org, "queued@batch.example")
    async with in_transaction():
        with batch.deferring() as queued:
            await batch.create(user)
            await batch.create(member)
            assert user.created_at is not None  # stamped when queued, as save() would
            user.first_name = "Changed later"  # not written: values are taken when queued
            assert not await User.filter(id=user.id).exists()
            await batch.flush()
            assert queued == {}
            assert await Member.filter(id=member.id, user_id=user.id).exists()
    assert (await User.get(id=user.id)).first_name is None
    # outside deferring(), create inserts at once
    other, _, _ = await _rows(org, "direct@batch.example")
    await batch.create(other)
    assert await User.filter(id=other.id).exists()


async def test_a_batch_over_the_parameter_bound_goes_table_by_table(
    make_org, count_queries, monkeypatch
) -> None:
    org = await make_org()
    monkeypatch.setattr(batch, "MAX_PARAMETERS", 5)
    user, member, event = await _rows(org, "big@batch.example")
    with count_queries() as counter:
        await batch.insert([user, member, event])
    assert len(counter.statements) == 3
    assert await Member.filter(id=member.id).exists()


async def test_an_update_naming_a_queued_row_goes_out_after_it(make_org, count_queries) -> None:
    org = await make_org()
    user, member, _ = await _rows(org, "later@batch.example")
    stored = await User.create(email="stored@batch.example")
    async with in_transaction():
        with batch.deferring():
            await batch.create(user)
            await batch.create(member)
            # two loaded copies of one stored row: one UPDATE, the last values
            first, second = await User.get(id=stored.id), await User.get(id=stored.id)
            first.first_name = "First"
            await batch.save(first)
            second.first_name = "Second"
            await batch.save(second)
            with count_queries() as counter:
                await batch.flush()
    # on PostgreSQL the inserts and the update are one statement; on SQLite, inserts by table
    # (users, members), then the update
    assert len(counter.statements) == (1 if _postgres() else 3)
    assert (await User.get(id=stored.id)).first_name == "Second"
    assert await Member.filter(id=member.id, user_id=user.id).exists()


async def test_a_row_never_stored_is_inserted_by_save(make_org) -> None:
    await make_org()
    fresh = User(email="fresh@batch.example")
    async with in_transaction():
        with batch.deferring():
            await batch.save(fresh)
            await batch.flush()
    assert await User.filter(id=fresh.id).exists()


async def test_an_error_in_the_block_writes_none_of_the_queue(make_org) -> None:
    org = await make_org()
    user, member, _ = await _rows(org, "never@batch.example")

    async def failing_request() -> None:
        async with in_transaction():
            with batch.deferring():
                await batch.create(user)
                await batch.create(member)
                raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        await failing_request()
    assert not await User.filter(id=user.id).exists()
    assert not await Member.filter(id=member.id).exists()
