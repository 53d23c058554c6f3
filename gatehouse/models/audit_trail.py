"""What every event insert adds beside the event: its audit entry and, for a membership event,
the membership's new period. Runs on the event's own connection, inside its transaction.

Batched, because directory sync inserts thousands of membership events in one statement:
a fixed number of queries per batch, whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise.models import Model

from gatehouse.models import batch
from gatehouse.models.audit import AuditEntry, AuditSource, MembershipPeriod
from gatehouse.models.ids import PREFIXES, prefix_of
from gatehouse.models.user import Member

if TYPE_CHECKING:
    from gatehouse.models.event import Event

MEMBERSHIP_PREFIX = "organization_membership."


@dataclass(frozen=True, slots=True)
class HeldMember:
    """A member the writing transaction already holds: created by it (`fresh`: no period can
    be open yet) or locked by it (SELECT … FOR UPDATE), with its role at that moment."""

    role_id: str
    fresh: bool = False


@dataclass(slots=True)
class _Holding:
    members: dict[str, HeldMember] = field(default_factory=dict)
    events: dict[str, HeldMember] = field(default_factory=dict)  # event id → its member then


_holding: ContextVar[_Holding | None] = ContextVar("gatehouse_held_members", default=None)


@contextmanager
def holding_members() -> Iterator[None]:
    """Within the block writers may `hold_member`; the membership events recorded after it
    then skip the member lock and, for a new member, the open-period read."""
    token = _holding.set(_Holding())
    try:
        yield
    finally:
        _holding.reset(token)


def hold_member(member_id: str, role_id: str, *, fresh: bool = False) -> None:
    """Call after creating or locking the member, and again after changing its role."""
    holding = _holding.get()
    if holding is not None:
        was = holding.members.get(member_id)
        holding.members[member_id] = HeldMember(role_id, fresh or (was is not None and was.fresh))


def note_held(events: Sequence[Event]) -> None:
    """At record time: each membership event remembers its member's role as of now."""
    holding = _holding.get()
    if holding is None or not holding.members:
        return
    for event in events:
        member = holding.members.get(str((event.data or {}).get("id")))
        if member is not None:
            holding.events[event.id] = member


def _targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The object an event is about, named by its id's prefix (`om_…` → Member)."""
    target_id = data.get("id")
    if not isinstance(target_id, str):
        return []
    prefix = prefix_of(target_id)
    return [{"type": PREFIXES[prefix] if prefix else "unknown", "id": target_id, "name": None}]


def entry_for(event: Event) -> AuditEntry:
    actor = event.actor or {}
    context = event.context or {}
    return AuditEntry(
        organization_id=event.organization_id,
        action=event.type,
        occurred_at=event.occurred_at,
        source=AuditSource.GATEHOUSE,
        actor={"type": actor.get("kind"), "id": actor.get("id"), "name": None},
        actor_id=actor.get("id"),
        targets=_targets(event.data),
        context={
            "location": context.get("ip_address"),
            "user_agent": context.get("user_agent"),
            "request_id": context.get("request_id"),
        },
        metadata=event.data,
        event_id=event.id,
    )


def _membership_state(event: Event) -> dict[str, Any] | None:
    """The membership an event states (id, status, role, source), or None for other events."""
    data = event.data
    if not event.type.startswith(MEMBERSHIP_PREFIX) or event.organization_id is None:
        return None
    member_id = data.get("id")
    if not isinstance(member_id, str) or prefix_of(member_id) != "om":
        return None
    if not event.type.endswith(".deleted") and not isinstance(data.get("status"), str):
        return None
    return data


async def _read_members(
    states: list[tuple[Event, dict[str, Any]]],
) -> tuple[dict[str, HeldMember], dict[str, str], dict[str, MembershipPeriod]]:
    """What the periods need: the writer's hints, the role of each member it does not hold
    (locking it), and each member's open period (none for a member created just now)."""
    holding = _holding.get()
    hints = holding.events if holding is not None else {}
    unlocked = sorted({str(s["id"]) for e, s in states if e.id not in hints})
    role_ids: dict[str, str] = {}
    if unlocked:
        # Locking the members serializes period writes per membership on PostgreSQL: a second
        # transaction changing the same member reads the first one's period after it commits.
        role_ids = dict(
            await Member.filter(id__in=unlocked)
            .order_by("id")
            .select_for_update()
            .values_list("id", "role_id")
        )
    fresh = {str(s["id"]) for e, s in states if e.id in hints and hints[e.id].fresh}
    readable = sorted({str(s["id"]) for _, s in states} - fresh)
    open_rows: dict[str, MembershipPeriod] = {}
    if readable:
        periods = MembershipPeriod.filter(member_id__in=readable, valid_to__isnull=True)
        open_rows = {p.member_id: p for p in await periods}
    return hints, role_ids, open_rows


async def _apply_periods(events: Sequence[Event]) -> list[MembershipPeriod]:
    """Closes the periods the events end (an UPDATE); returns the periods they open."""
    states = [(e, s) for e in events if (s := _membership_state(e)) is not None]
    if not states:
        return []
    hints, role_ids, open_rows = await _read_members(states)
    closing: dict[int, datetime] = {}
    opening: dict[str, MembershipPeriod] = {}
    finished: list[MembershipPeriod] = []
    for event, state in states:
        member_id = str(state["id"])
        at = event.occurred_at
        current = opening.get(member_id) or open_rows.get(member_id)
        deleted = event.type.endswith(".deleted")
        if (
            current is not None
            and not deleted
            and (
                current.status,
                current.role_slug,
                current.source,
            )
            == (state["status"], state.get("role"), state.get("source"))
        ):
            continue  # nothing about access changed (e.g. the SSO bypass flag)
        if current is not None:
            if member_id in opening:  # opened earlier in this batch: it ends here
                current.valid_to = at
                finished.append(opening.pop(member_id))
            else:
                closing[current.id] = at
        if deleted:
            continue
        opening[member_id] = MembershipPeriod(
            organization_id=event.organization_id,
            member_id=member_id,
            user_id=str(state.get("user_id") or ""),
            role_id=hints[event.id].role_id if event.id in hints else role_ids.get(member_id),
            role_slug=state.get("role"),
            status=state["status"],
            source=str(state.get("source") or ""),
            valid_from=at,
        )
    by_time: dict[datetime, list[int]] = {}
    for period_id, at in closing.items():
        by_time.setdefault(at, []).append(period_id)
    for at, ids in by_time.items():
        await MembershipPeriod.filter(id__in=ids).update(valid_to=at)
    return [*finished, *opening.values()]


async def audit_rows(events: Sequence[Event]) -> list[Model]:
    """The rows inserted beside the events: their audit entries and the membership periods
    they open (the periods they end are closed here)."""
    entries: list[Model] = [entry_for(e) for e in events if e.organization_id is not None]
    return [*entries, *await _apply_periods(events)]


async def record_audit(events: Sequence[Event]) -> None:
    """After the events' INSERT: their audit entries and periods, in one more statement."""
    await batch.insert(await audit_rows(events))
