"""Audit entries: the operator's own (`createAuditEvent`), listing with filters, retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.models import (
    AuditAction,
    AuditEntry,
    AuditSettings,
    AuditSource,
    Organization,
    acting,
)
from gatehouse.models.audit import DEFAULT_RETENTION_DAYS
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.audit.actions import check_against
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator, not_found
from gatehouse.resolvers.pagination import Page, empty, paginate
from gatehouse.resolvers.validation import check_id, clean_metadata

MAX_RETENTION_DAYS = 3650
MAX_TARGETS = 50
MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class Party:
    """An actor or a target as the operator names it."""

    type: str
    id: str
    name: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class NewAuditEvent:
    organization_id: str
    action: str
    occurred_at: datetime
    actor: Party
    targets: list[Party]
    location: str | None = None
    user_agent: str | None = None
    metadata: Any = None  # checked: a JSON object
    idempotency_key: str | None = None


async def visible_org(principal: Principal, organization_id: str, *field: str) -> Organization:
    check_id(organization_id, "org", "organization", *field)
    org = await Organization.get_or_none(id=organization_id)
    if org is None or not visible_organization(principal, org.id):
        raise not_found("Organization", *field)
    return org


def _check_party(v: Validator, party: Party, *field: str) -> None:
    if not party.type.strip() or len(party.type) > 64:
        v.add(ErrorCode.REQUIRED, "A type of 1-64 characters.", *field, "type")
    if not party.id.strip() or len(party.id) > 200:
        v.add(ErrorCode.REQUIRED, "An id of 1-200 characters.", *field, "id")
    if party.name is not None and len(party.name) > MAX_TEXT:
        v.add(ErrorCode.TOO_LONG, f"At most {MAX_TEXT} characters.", *field, "name")


def _same_entry(row: AuditEntry, fields: dict[str, Any]) -> bool:
    return all(getattr(row, k) == v for k, v in fields.items() if k != "occurred_at") and (
        row.occurred_at == fields["occurred_at"]
    )


def _validate(new: NewAuditEvent, action: AuditAction | None) -> tuple[dict[str, Any], datetime]:
    """Every field error of the input at once; the clean metadata and time."""
    v = Validator()
    if action is None:
        v.add(
            ErrorCode.AUDIT_ACTION_UNKNOWN,
            "No such action: register it first with `registerAuditAction`.",
            "action",
        )
    _check_party(v, new.actor, "actor")
    if len(new.targets) > MAX_TARGETS:
        v.add(ErrorCode.TOO_LONG, f"At most {MAX_TARGETS} targets.", "targets")
    for i, target in enumerate(new.targets):
        _check_party(v, target, "targets", str(i))
    metadata = clean_metadata(v, new.metadata, "metadata")
    if action is not None:
        check_against(v, action, [t.type for t in new.targets], metadata)
    for value, name in ((new.location, "location"), (new.user_agent, "userAgent")):
        if value is not None and len(value) > MAX_TEXT:
            v.add(ErrorCode.TOO_LONG, f"At most {MAX_TEXT} characters.", "context", name)
    key = new.idempotency_key
    if key is not None and not 1 <= len(key) <= 200:
        v.add(ErrorCode.TOO_LONG, "An idempotency key of 1-200 characters.", "idempotencyKey")
    occurred_at = new.occurred_at.astimezone(UTC)
    if occurred_at > acting.now() + timedelta(minutes=5):
        v.add(ErrorCode.INVALID_RANGE, "occurredAt is in the future.", "occurredAt")
    v.check()
    return metadata, occurred_at


async def create_audit_event(principal: Principal, new: NewAuditEvent) -> AuditEntry:
    """Validate against the registered action and write one entry. With an idempotency key, a
    retry with the same content answers the entry already written; other content is refused."""
    require(principal, Permission.AUDIT_LOGS_WRITE)
    org = await visible_org(principal, new.organization_id, "organizationId")
    action = await AuditAction.get_or_none(action=new.action.strip())
    metadata, occurred_at = _validate(new, action)
    key = new.idempotency_key
    fields: dict[str, Any] = {
        "organization_id": org.id,
        "action": new.action.strip(),
        "occurred_at": occurred_at,
        "source": AuditSource.OPERATOR,
        "actor": new.actor.as_json(),
        "actor_id": new.actor.id,
        "targets": [t.as_json() for t in new.targets],
        "context": {"location": new.location, "user_agent": new.user_agent, "request_id": None},
        "metadata": metadata,
        "idempotency_key": key,
    }
    if key is None:
        return await AuditEntry.create(**fields)
    try:
        # A savepoint, so a concurrent retry's unique violation does not end a caller's
        # transaction; then the row it wrote answers.
        async with in_transaction():
            existing = await AuditEntry.get_or_none(organization_id=org.id, idempotency_key=key)
            if existing is None:
                return await AuditEntry.create(**fields)
    except IntegrityError:
        existing = await AuditEntry.get(organization_id=org.id, idempotency_key=key)
    if not _same_entry(existing, fields):
        raise DomainError.of(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used for a different event.",
            "idempotencyKey",
        )
    return existing


@dataclass(frozen=True, slots=True)
class EntryFilter:
    range_start: datetime | None = None
    range_end: datetime | None = None
    actions: list[str] | None = None
    actor_ids: list[str] | None = None

    def check(self) -> None:
        if self.range_start and self.range_end and self.range_start >= self.range_end:
            raise DomainError.of(
                ErrorCode.INVALID_RANGE, "rangeStart must be before rangeEnd.", "rangeStart"
            )

    def apply(self, query: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """[rangeStart, rangeEnd): an entry at rangeEnd belongs to the next range."""
        if self.range_start:
            query = query.filter(occurred_at__gte=self.range_start)
        if self.range_end:
            query = query.filter(occurred_at__lt=self.range_end)
        if self.actions:
            query = query.filter(action__in=self.actions)
        if self.actor_ids:
            query = query.filter(actor_id__in=self.actor_ids)
        return query

    def as_json(self) -> dict[str, Any]:
        return {
            "range_start": self.range_start.isoformat() if self.range_start else None,
            "range_end": self.range_end.isoformat() if self.range_end else None,
            "actions": self.actions,
            "actor_ids": self.actor_ids,
        }


def entries_query(organization_id: str, where: EntryFilter) -> QuerySet[AuditEntry]:
    return where.apply(AuditEntry.filter(organization_id=organization_id))


async def list_audit_entries(
    principal: Principal,
    organization_id: str,
    where: EntryFilter,
    first: int | None,
    after: str | None,
) -> Page[AuditEntry]:
    """Oldest first, like the events query (ids sort by insert time, not `occurredAt`: the
    operator may report an event late)."""
    require(principal, Permission.AUDIT_LOGS_READ)
    where.check()
    query = entries_query(organization_id, where)
    if not visible_organization(principal, organization_id):
        query = empty(query)
    return await paginate(query, first, after)


async def retention_days(organization_id: str) -> int:
    row = await AuditSettings.get_or_none(organization_id=organization_id)
    return row.retention_days if row else DEFAULT_RETENTION_DAYS


async def set_audit_log_retention(
    principal: Principal, organization_id: str, days: int
) -> tuple[Organization, int]:
    """How long the organization's entries are kept: a term of the operator's contract with
    the customer, so the operator sets it (organization keys read it)."""
    require(principal, Permission.AUDIT_LOGS_WRITE)
    org = await visible_org(principal, organization_id, "organizationId")
    if not principal.is_operator:
        raise DomainError.of(ErrorCode.OPERATOR_ONLY, "Only an operator key sets retention.")
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise DomainError.of(
            ErrorCode.INVALID_RETENTION,
            f"Retention is 1-{MAX_RETENTION_DAYS} days.",
            "retentionDays",
        )
    async with in_transaction():
        row = await AuditSettings.filter(organization_id=org.id).select_for_update().first()
        if row is None:
            await AuditSettings.create(organization_id=org.id, retention_days=days)
        else:
            row.retention_days = days
            await row.save()
    return org, days
