"""Access as of any moment: membership periods, written with each membership event in its
transaction (models/audit_trail.py), read back exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.models import Member, MembershipPeriod, MemberSource, MemberStatus, User
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.pagination import Page, check_page_size, decode_cursor


def _at(at: datetime) -> datetime:
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def periods_at(organization_id: str, at: datetime) -> QuerySet[MembershipPeriod]:
    """The one period per membership that holds at `at`: [valid_from, valid_to)."""
    at = _at(at)
    return MembershipPeriod.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=at),
        organization_id=organization_id,
        valid_from__lte=at,
    )


def _as_member(period: MembershipPeriod, created_at: datetime | None) -> Member:
    """The membership as it stood (not saved: the row may be gone, or differ now)."""
    return Member(
        id=period.member_id,
        organization_id=period.organization_id,
        user_id=period.user_id,
        role_id=period.role_id,
        status=MemberStatus(period.status),
        source=MemberSource(period.source),
        may_bypass_sso=False,
        created_at=created_at or period.valid_from,
        updated_at=period.valid_from,
    )


async def members_as_of(
    principal: Principal,
    organization_id: str,
    at: datetime,
    first: int | None,
    after: str | None,
    status: MemberStatus | None = None,
) -> Page[Member]:
    """Who was a member at `at`, with the role, status and source they had, in member id
    order (the same order as `members`)."""
    require(principal, Permission.MEMBERS_READ)
    size = check_page_size(first)
    # A person erased since (deleteUser) has no user to show: their periods keep the ids for
    # the audit trail and access reviews, but are not members to list.
    query = periods_at(organization_id, at).filter(user_id__in=Subquery(User.all().values("id")))
    if not visible_organization(principal, organization_id):
        query = MembershipPeriod.filter(id__isnull=True)
    if status is not None:
        query = query.filter(status=status.value)
    window = query
    if after:
        window = window.filter(member_id__gt=decode_cursor(after))
    rows = await window.order_by("member_id").limit(size + 1)
    page = rows[:size]
    # Creation times of the memberships that still exist (a primary-key lookup); a removed
    # one shows the start of the state it had.
    started = dict(
        await Member.filter(id__in=[p.member_id for p in page]).values_list("id", "created_at")
    )
    return Page(
        items=[_as_member(p, started.get(p.member_id)) for p in page],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
        total_count_query=cast("QuerySet[Member]", query),
    )


async def member_history(member: Member) -> list[MembershipPeriod]:
    """Every state of the membership within retention, oldest first."""
    return list(await MembershipPeriod.filter(member_id=member.id).order_by("valid_from", "id"))


async def snapshot(organization_id: str, at: datetime) -> list[MembershipPeriod]:
    return list(await periods_at(organization_id, at).order_by("member_id"))
