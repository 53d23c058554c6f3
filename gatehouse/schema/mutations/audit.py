"""Audit log mutations: the product's own audit events and their schemas, retention,
exports and access reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.resolvers.audit import actions, entries, exports
from gatehouse.resolvers.audit.entries import EntryFilter, NewAuditEvent, Party
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.types.audit import AuditLogEntry, AuditLogExport
from gatehouse.schema.types.common import UserError


@strawberry.input(description="An actor or target of an audit event, as the product names it.")
class AuditPartyInput:
    type: str = strawberry.field(description="Its type, e.g. `user`, `document` (1-64).")
    id: str = strawberry.field(description="Its id in the product (1-200).")
    name: str | None = strawberry.field(default=None, description="A display name.")

    def party(self) -> Party:
        return Party(self.type, self.id, self.name)


@strawberry.input(description="Where the action came from.")
class AuditContextInput:
    location: str | None = strawberry.field(default=None, description="IP address or place.")
    user_agent: str | None = strawberry.field(default=None, description="The User-Agent.")


@strawberry.input(description="An audit event from the operator's product.")
class CreateAuditEventInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    action: str = strawberry.field(description="A registered action (`registerAuditAction`).")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    actor: AuditPartyInput = strawberry.field(description="Who did it.")
    targets: list[AuditPartyInput] = strawberry.field(
        description="What it was done to; each type must be one the action names."
    )
    context: AuditContextInput | None = strawberry.field(
        default=None, description="Where it came from."
    )
    metadata: JSON | None = strawberry.field(
        default=None, description="Details, checked against the action's metadata schema."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retried call with the same key and content writes nothing new and "
        "answers the first entry; the same key with other content is IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.type(description="Result of `createAuditEvent`.")
class CreateAuditEventPayload:
    entry: AuditLogEntry | None = strawberry.field(description="The entry written.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="The schema of an action the product reports.")
class RegisterAuditActionInput:
    action: str = strawberry.field(description="Dotted lowercase name, e.g. `document.shared`.")
    target_types: list[str] = strawberry.field(description="The target types it may name.")
    metadata_schema: JSON | None = strawberry.field(
        default=None, description="A JSON Schema (2020-12) its metadata must match."
    )


@strawberry.type(description="A registered audit action.")
class AuditAction:
    action: str = strawberry.field(description="Its name.")
    target_types: list[str] = strawberry.field(description="The target types it may name.")
    metadata_schema: JSON | None = strawberry.field(description="Its metadata's JSON Schema.")
    version: int = strawberry.field(description="1, then + 1 each time it is registered again.")

    @classmethod
    def from_model(cls, row: models.AuditAction) -> AuditAction:
        return cls(
            action=row.action,
            target_types=list(row.target_types),
            metadata_schema=JSON(row.metadata_schema) if row.metadata_schema else None,
            version=row.version,
        )


@strawberry.type(description="Result of `registerAuditAction`.")
class RegisterAuditActionPayload:
    audit_action: AuditAction | None = strawberry.field(description="The action's schema.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="How long an organization's audit trail is kept.")
class SetAuditLogRetentionInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    retention_days: int = strawberry.field(description="1-3650 days (default 365).")


@strawberry.type(description="Result of `setAuditLogRetention`.")
class SetAuditLogRetentionPayload:
    retention_days: int | None = strawberry.field(description="The retention now.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Which entries to export.")
class CreateAuditLogExportInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    range_start: datetime = strawberry.field(description="Entries at or after (UTC).")
    range_end: datetime = strawberry.field(description="Entries before (UTC).")
    actions: list[str] | None = strawberry.field(default=None, description="Only these.")
    actor_ids: list[str] | None = strawberry.field(default=None, description="Only by these.")


@strawberry.type(description="Result of `createAuditLogExport` and `accessReview`.")
class AuditLogExportPayload:
    export: AuditLogExport | None = strawberry.field(description="The files.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="The instant to review.")
class AccessReviewInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    at: datetime = strawberry.field(description="The instant (UTC), within the audit retention.")


def _export_payload(
    info: Info, export: models.AuditExport | None, errors: list[UserError]
) -> AuditLogExportPayload:
    if export is None:
        return AuditLogExportPayload(export=None, user_errors=errors)
    settings = info.context.settings
    links = exports.links_for(export, settings.secret_key, settings.base_url)
    return AuditLogExportPayload(
        export=AuditLogExport(
            id=strawberry.ID(export.id),
            kind=export.kind.value,
            entry_count=export.entry_count,
            csv_url=links.csv_url,
            jsonl_url=links.jsonl_url,
            urls_expire_at=links.expires_at,
            created_at=export.created_at,
        ),
        user_errors=[],
    )


@strawberry.type
class AuditMutations:
    @strawberry.mutation(
        description="Record an audit event from the operator's product (as WorkOS Audit Logs "
        "does), checked against its registered action. Requires `audit_logs:write`."
    )
    async def create_audit_event(
        self,
        info: Info,
        input: Annotated[
            CreateAuditEventInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> CreateAuditEventPayload:
        context = input.context or AuditContextInput()
        new = NewAuditEvent(
            organization_id=str(input.organization_id),
            action=input.action,
            occurred_at=input.occurred_at,
            actor=input.actor.party(),
            targets=[t.party() for t in input.targets],
            location=context.location,
            user_agent=context.user_agent,
            metadata=input.metadata,
            idempotency_key=input.idempotency_key,
        )
        entry, errors = await mutate(entries.create_audit_event(info.context.principal, new))
        return CreateAuditEventPayload(
            entry=AuditLogEntry.from_model(entry) if entry else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Register (or replace) the schema of an audit action: its target types and "
        "the JSON Schema of its metadata. Operators only; requires `audit_logs:write`."
    )
    async def register_audit_action(
        self,
        info: Info,
        input: Annotated[
            RegisterAuditActionInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RegisterAuditActionPayload:
        row, errors = await mutate(
            actions.register_audit_action(
                info.context.principal, input.action, input.target_types, input.metadata_schema
            )
        )
        return RegisterAuditActionPayload(
            audit_action=AuditAction.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Set how long the organization's audit trail is kept (independent of "
        "event delivery retention). Operators only; requires `audit_logs:write`."
    )
    async def set_audit_log_retention(
        self,
        info: Info,
        input: Annotated[
            SetAuditLogRetentionInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SetAuditLogRetentionPayload:
        result, errors = await mutate(
            entries.set_audit_log_retention(
                info.context.principal, str(input.organization_id), input.retention_days
            )
        )
        return SetAuditLogRetentionPayload(
            retention_days=result[1] if result else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Export the organization's audit entries in [rangeStart, rangeEnd) as CSV "
        "and JSON lines; writes `audit_log_export.ready`. Requires `audit_logs:read`."
    )
    async def create_audit_log_export(
        self,
        info: Info,
        input: Annotated[
            CreateAuditLogExportInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AuditLogExportPayload:
        where = EntryFilter(input.range_start, input.range_end, input.actions, input.actor_ids)
        export, errors = await mutate(
            exports.create_audit_log_export(
                info.context.principal, str(input.organization_id), where
            )
        )
        return _export_payload(info, export, errors)

    @strawberry.mutation(
        description="Who had access at an instant: every membership with its role, status and "
        "source then, as CSV and JSON lines; writes `audit_log_export.ready`. Requires "
        "`members:read` and `audit_logs:read`."
    )
    async def access_review(
        self,
        info: Info,
        input: Annotated[
            AccessReviewInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AuditLogExportPayload:
        export, errors = await mutate(
            exports.access_review(info.context.principal, str(input.organization_id), input.at)
        )
        return _export_payload(info, export, errors)
