"""The audit trail: entries, exports, and membership history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.resolvers.pagination import Page
from gatehouse.schema.types.common import PageInfo
from gatehouse.schema.types.member import MemberSource, MemberStatus
from gatehouse.schema.types.pagination import page_parts


@strawberry.type(description="Who did it, or what it was done to, as the writer named it.")
class AuditParty:
    type: str = strawberry.field(
        description="For Gatehouse's own entries the actor kind (`OPERATOR_KEY`, `DIRECTORY`, …) "
        "or the target's type (`Member`, …); for the product's, the type it sent (`user`)."
    )
    id: str | None = strawberry.field(description="Its id.")
    name: str | None = strawberry.field(description="A display name, if one was given.")

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> AuditParty:
        data = data or {}
        return cls(type=str(data.get("type") or ""), id=data.get("id"), name=data.get("name"))


@strawberry.type(description="Where an audited action came from.")
class AuditContext:
    location: str | None = strawberry.field(description="The client's IP address or location.")
    user_agent: str | None = strawberry.field(description="The client's User-Agent.")
    request_id: str | None = strawberry.field(description="Gatehouse's request id, if any.")


@strawberry.type(
    description="One entry of an organization's audit trail: a Gatehouse event or an event "
    "the operator's product reported (`createAuditEvent`). Kept for the organization's "
    "retention (default 365 days), apart from event delivery. Requires `audit_logs:read`."
)
class AuditLogEntry:
    # Not a Node: entries are read in their organization's trail, never one by one.
    id: strawberry.ID = strawberry.field(description="`audit_…`.")
    action: str = strawberry.field(
        description="Dotted name, e.g. `organization_membership.updated`."
    )
    occurred_at: datetime = strawberry.field(description="When it happened (UTC).")
    source: str = strawberry.field(description="GATEHOUSE or OPERATOR (`createAuditEvent`).")
    actor: AuditParty = strawberry.field(description="Who did it.")
    targets: list[AuditParty] = strawberry.field(description="What it was done to.")
    context: AuditContext = strawberry.field(description="Where it came from.")
    metadata: JSON = strawberry.field(description="Details (a Gatehouse event's payload).")

    @classmethod
    def from_model(cls, entry: models.AuditEntry) -> AuditLogEntry:
        context = entry.context or {}
        return cls(
            id=strawberry.ID(entry.id),
            action=entry.action,
            occurred_at=entry.occurred_at,
            source=entry.source.value,
            actor=AuditParty.from_json(entry.actor),
            targets=[AuditParty.from_json(t) for t in entry.targets or []],
            context=AuditContext(
                location=context.get("location"),
                user_agent=context.get("user_agent"),
                request_id=context.get("request_id"),
            ),
            metadata=JSON(entry.metadata or {}),
        )


@strawberry.type(description="An edge in an audit log page.")
class AuditLogEntryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")
    node: AuditLogEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of audit log entries, in the order they were recorded.")
class AuditLogEntryPage:
    edges: list[AuditLogEntryEdge] = strawberry.field(description="Entries on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @classmethod
    def from_page(cls, page: Page[Any]) -> AuditLogEntryPage:
        edges, info = page_parts(page, AuditLogEntry.from_model)
        return cls(
            edges=[AuditLogEntryEdge(cursor=c, node=n) for c, n in edges],
            page_info=info,
            _page=page,
        )

    @strawberry.field(description="Entries matching the filters, across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()


@strawberry.type(
    description="A finished export: a CSV and a JSON-lines file, each behind a signed URL "
    "that works without a credential until `urlsExpireAt` (15 minutes)."
)
class AuditLogExport:
    id: strawberry.ID = strawberry.field(description="`aexp_…`.")
    kind: str = strawberry.field(description="AUDIT_LOG or ACCESS_REVIEW.")
    entry_count: int = strawberry.field(description="Rows in each file.")
    csv_url: str = strawberry.field(description="The CSV file (signed, short-lived).")
    jsonl_url: str = strawberry.field(description="The JSON-lines file (signed, short-lived).")
    urls_expire_at: datetime = strawberry.field(description="When both URLs stop working.")
    created_at: datetime = strawberry.field(description="When it was written (UTC).")


@strawberry.type(description="One state of a membership, over [from, to).")
class MembershipPeriod:
    from_: datetime = strawberry.field(name="from", description="When this state began (UTC).")
    to: datetime | None = strawberry.field(description="When it ended (UTC); null while it holds.")
    status: MemberStatus = strawberry.field(description="The status it had.")
    role: str | None = strawberry.field(description="The role's slug at the time.")
    source: MemberSource = strawberry.field(description="How the membership came to be.")

    @classmethod
    def from_model(cls, period: models.MembershipPeriod) -> MembershipPeriod:
        return cls(
            from_=period.valid_from,
            to=period.valid_to,
            status=MemberStatus(period.status),
            role=period.role_slug,
            source=MemberSource(period.source),
        )
