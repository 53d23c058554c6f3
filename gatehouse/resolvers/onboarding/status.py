"""How far an organization is with setup: five steps, each with its state and the facts behind it.

One computation serves the `Organization.onboarding` field, the `organizations(onboarding:)`
filter, the live `onboarding` subscription and the Admin Portal's checklist. It reads a batch of
organizations in a fixed number of queries (one per table, grouped), whatever the batch's size.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.functions import Count, Max

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.models import (
    Connection,
    ConnectionState,
    Directory,
    DirectoryState,
    Domain,
    DomainState,
    Invitation,
    InvitationState,
    LinkedIdentity,
    LogStream,
    Member,
    MemberStatus,
    Organization,
    TargetState,
)
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.pagination import Page, paginate

# A signing certificate this close to its end needs the customer's IdP admin now.
CERTIFICATE_WARNING = timedelta(days=30)


class StepState(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"


class StepName(StrEnum):
    DOMAINS = "DOMAINS"
    SSO = "SSO"
    DIRECTORY = "DIRECTORY"
    LOG_STREAMS = "LOG_STREAMS"
    MEMBERS = "MEMBERS"


@dataclass(frozen=True, slots=True)
class DomainFacts:
    verified: int = 0
    pending: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class SsoFacts:
    connections: int = 0
    active: int = 0
    # The most advanced connection's state: ACTIVE over VALIDATING over DRAFT over INACTIVE.
    state: ConnectionState | None = None
    last_sign_in_at: datetime | None = None
    # The earliest end of a signing certificate of an active SAML connection.
    certificate_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DirectoryFacts:
    directories: int = 0
    state: DirectoryState | None = None
    last_sync_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LogStreamFacts:
    streams: int = 0
    failing: int = 0
    disabled: int = 0


@dataclass(frozen=True, slots=True)
class MemberFacts:
    active: int = 0
    pending: int = 0
    inactive: int = 0
    pending_invitations: int = 0
    # Pending invitations whose email could not be delivered (still retried).
    undelivered_invitations: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    name: StepName
    state: StepState
    # The step's goal is reached (it may still need attention, e.g. a certificate expiring).
    completed: bool
    facts: Any


@dataclass(frozen=True, slots=True)
class OnboardingStatus:
    organization_id: str
    steps: tuple[Step, ...]

    @property
    def completed_steps(self) -> int:
        return sum(1 for s in self.steps if s.completed)

    @property
    def total_steps(self) -> int:
        return len(self.steps)

    @property
    def state(self) -> StepState:
        states = {s.state for s in self.steps}
        if StepState.NEEDS_ATTENTION in states:
            return StepState.NEEDS_ATTENTION
        if states == {StepState.DONE}:
            return StepState.DONE
        if states == {StepState.NOT_STARTED}:
            return StepState.NOT_STARTED
        return StepState.IN_PROGRESS

    def step(self, name: StepName) -> Step:
        return next(s for s in self.steps if s.name is name)


async def get_onboarding(principal: Principal, organization_id: str) -> OnboardingStatus | None:
    """One organization's status; null when it is outside the caller's scope."""
    require(principal, Permission.ORGANIZATIONS_READ)
    if not visible_organization(principal, organization_id):
        return None
    if not await Organization.filter(id=organization_id).exists():
        return None
    return (await compute_statuses([organization_id]))[organization_id]


async def compute_statuses(organization_ids: list[str]) -> dict[str, OnboardingStatus]:
    now = datetime.now(UTC)
    ids = list(dict.fromkeys(organization_ids))
    domains = await _domain_facts(ids)
    sso = await _sso_facts(ids, now)
    directories = await _directory_facts(ids)
    streams = await _log_stream_facts(ids)
    members = await _member_facts(ids, now)
    return {
        org: OnboardingStatus(
            org,
            (
                _domain_step(domains.get(org, DomainFacts())),
                _sso_step(sso.get(org, SsoFacts()), now),
                _directory_step(directories.get(org, DirectoryFacts())),
                _log_stream_step(streams.get(org, LogStreamFacts())),
                _member_step(members.get(org, MemberFacts())),
            ),
        )
        for org in ids
    }


def _domain_step(f: DomainFacts) -> Step:
    if f.failed:
        state = StepState.NEEDS_ATTENTION
    elif f.verified:
        state = StepState.DONE
    elif f.pending:
        state = StepState.IN_PROGRESS
    else:
        state = StepState.NOT_STARTED
    return Step(StepName.DOMAINS, state, f.verified > 0, f)


def _sso_step(f: SsoFacts, now: datetime) -> Step:
    expiring = f.certificate_expires_at is not None and (
        f.certificate_expires_at <= now + CERTIFICATE_WARNING
    )
    if f.active and expiring:
        state = StepState.NEEDS_ATTENTION
    elif f.active:
        state = StepState.DONE
    elif f.connections:
        state = StepState.IN_PROGRESS
    else:
        state = StepState.NOT_STARTED
    return Step(StepName.SSO, state, f.active > 0, f)


def _directory_step(f: DirectoryFacts) -> Step:
    synced = f.last_sync_at is not None
    if synced and f.state is DirectoryState.UNLINKED:
        # It was provisioning, and now its token is refused: the IdP's pushes fail.
        state = StepState.NEEDS_ATTENTION
    elif synced:
        state = StepState.DONE
    elif f.directories:
        state = StepState.IN_PROGRESS
    else:
        state = StepState.NOT_STARTED
    return Step(StepName.DIRECTORY, state, synced, f)


def _log_stream_step(f: LogStreamFacts) -> Step:
    if f.failing or f.disabled:
        state = StepState.NEEDS_ATTENTION
    elif f.streams:
        state = StepState.DONE
    else:
        state = StepState.NOT_STARTED
    return Step(StepName.LOG_STREAMS, state, f.streams > 0, f)


def _member_step(f: MemberFacts) -> Step:
    if f.undelivered_invitations:
        state = StepState.NEEDS_ATTENTION
    elif f.active:
        state = StepState.DONE
    elif f.pending or f.pending_invitations:
        state = StepState.IN_PROGRESS
    else:
        state = StepState.NOT_STARTED
    return Step(StepName.MEMBERS, state, f.active > 0, f)


async def _domain_facts(ids: list[str]) -> dict[str, DomainFacts]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    rows = await Domain.filter(organization_id__in=ids).values_list("organization_id", "state")
    for org, state in rows:
        counts[str(org)][str(state)] += 1
    return {
        org: DomainFacts(
            verified=c[DomainState.VERIFIED],
            pending=c[DomainState.PENDING],
            failed=c[DomainState.FAILED],
        )
        for org, c in counts.items()
    }


_CONNECTION_RANK = {
    ConnectionState.ACTIVE: 3,
    ConnectionState.VALIDATING: 2,
    ConnectionState.DRAFT: 1,
    ConnectionState.INACTIVE: 0,
}


async def _sso_facts(ids: list[str], now: datetime) -> dict[str, SsoFacts]:
    connections = await Connection.filter(organization_id__in=ids).only(
        "id", "organization_id", "state", "saml_idp_certificates"
    )
    by_org: dict[str, list[Connection]] = defaultdict(list)
    for c in connections:
        by_org[c.organization_id].append(c)
    last_sign_in = dict(
        await LinkedIdentity.filter(connection__organization_id__in=ids)
        .annotate(last=Max("last_sign_in_at"))
        .group_by("connection__organization_id")
        .values_list("connection__organization_id", "last")
    )
    facts = {}
    for org, rows in by_org.items():
        active = [c for c in rows if c.state is ConnectionState.ACTIVE]
        ends = [
            datetime.fromisoformat(cert["not_after"])
            for c in active
            for cert in c.saml_idp_certificates
            if isinstance(cert, dict) and cert.get("not_after")
        ]
        # Several certificates allow rotation: the connection works until the last one ends.
        best = max(rows, key=lambda c: _CONNECTION_RANK[c.state])
        facts[org] = SsoFacts(
            connections=len(rows),
            active=len(active),
            state=best.state,
            last_sign_in_at=last_sign_in.get(org),
            certificate_expires_at=max(ends) if ends else None,
        )
    return facts


async def _directory_facts(ids: list[str]) -> dict[str, DirectoryFacts]:
    rows = await Directory.filter(organization_id__in=ids).values_list(
        "organization_id", "state", "last_activity_at"
    )
    by_org: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for org, state, last in rows:
        by_org[str(org)].append((DirectoryState(state), last))
    facts = {}
    for org, dirs in by_org.items():
        synced = [d for d in dirs if d[1] is not None]
        # The directory that provisions (the latest to push) speaks for the step.
        lead = max(synced, key=lambda d: d[1]) if synced else dirs[0]
        facts[org] = DirectoryFacts(directories=len(dirs), state=lead[0], last_sync_at=lead[1])
    return facts


async def _log_stream_facts(ids: list[str]) -> dict[str, LogStreamFacts]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    rows = await LogStream.filter(organization_id__in=ids).values_list("organization_id", "state")
    for org, state in rows:
        counts[str(org)][str(state)] += 1
    return {
        org: LogStreamFacts(
            streams=sum(c.values()),
            failing=c[TargetState.FAILING],
            disabled=c[TargetState.DISABLED],
        )
        for org, c in counts.items()
    }


async def _member_facts(ids: list[str], now: datetime) -> dict[str, MemberFacts]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    members = (
        await Member.filter(organization_id__in=ids)
        .annotate(n=Count("id"))
        .group_by("organization_id", "status")
        .values_list("organization_id", "status", "n")
    )
    for org, status, n in members:
        counts[str(org)][str(status)] += int(n)
    pending = Invitation.filter(
        organization_id__in=ids, state=InvitationState.PENDING, expires_at__gt=now
    )
    invitations = (
        await pending.annotate(n=Count("id"))
        .group_by("organization_id")
        .values_list("organization_id", "n")
    )
    undelivered = (
        await pending.filter(failed_send_attempts__gt=0)
        .annotate(n=Count("id"))
        .group_by("organization_id")
        .values_list("organization_id", "n")
    )
    for org, n in invitations:
        counts[str(org)]["invitations"] += int(n)
    for org, n in undelivered:
        counts[str(org)]["undelivered"] += int(n)
    return {
        org: MemberFacts(
            active=c[MemberStatus.ACTIVE],
            pending=c[MemberStatus.PENDING],
            inactive=c[MemberStatus.INACTIVE],
            pending_invitations=c["invitations"],
            undelivered_invitations=c["undelivered"],
        )
        for org, c in counts.items()
    }


FILTER_BATCH = 500


async def organizations_in_state(principal: Principal, state: StepState) -> list[str]:
    """The ids of the organizations the caller sees whose overall state is `state`, computed
    in batches (a fixed number of queries per batch)."""
    require(principal, Permission.ORGANIZATIONS_READ)
    query = Organization.all()
    if principal.organization_id is not None:
        query = query.filter(id=principal.organization_id)
    ids = [str(i) for i in await query.order_by("id").values_list("id", flat=True)]
    matching: list[str] = []
    for start in range(0, len(ids), FILTER_BATCH):
        statuses = await compute_statuses(ids[start : start + FILTER_BATCH])
        matching.extend(org for org, status in statuses.items() if status.state is state)
    return matching


async def list_organizations_in_state(
    principal: Principal,
    state: StepState,
    first: int | None,
    after: str | None,
    search: str | None,
) -> Page[Organization]:
    """`organizations(onboarding: …)`: e.g. NEEDS_ATTENTION, who is stuck."""
    ids = await organizations_in_state(principal, state)
    query = Organization.filter(id__in=ids)
    if search and search.strip():
        query = query.filter(name_search__contains=search.strip().lower())
    return await paginate(query, first, after)
