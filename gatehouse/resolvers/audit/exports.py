"""Exports of the audit trail and access reviews: a CSV and a JSON-lines file, kept as
written and served by Gatehouse through short-lived signed URLs that need no other credential.

The signature is an HMAC-SHA256, under a key derived from GATEHOUSE_SECRET_KEY for this one
purpose, over the export id, the file format and the expiry: a URL cannot be moved to another
export or format, nor kept past its time.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tortoise.transactions import in_transaction

from gatehouse.auth.crypto import derive_key
from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import AuditEntry, AuditExport, AuditExportKind, User, acting
from gatehouse.resolvers.access import require
from gatehouse.resolvers.audit.entries import EntryFilter, entries_query, visible_org
from gatehouse.resolvers.audit.history import snapshot
from gatehouse.resolvers.errors import DomainError, ErrorCode

URL_TTL = timedelta(minutes=15)
FORMATS = ("csv", "jsonl")
MAX_FILTER_VALUES = 100
ENTRY_COLUMNS = [
    "id",
    "occurred_at",
    "action",
    "source",
    "actor_type",
    "actor_id",
    "actor_name",
    "targets",
    "location",
    "user_agent",
    "request_id",
    "metadata",
]
REVIEW_COLUMNS = ["member_id", "user_id", "email", "role", "status", "source", "since"]


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "organization_id": entry.organization_id,
        "occurred_at": entry.occurred_at.isoformat(),
        "action": entry.action,
        "source": entry.source.value,
        "actor": entry.actor,
        "targets": entry.targets,
        "context": entry.context,
        "metadata": entry.metadata,
    }


def _entry_row(entry: AuditEntry) -> list[Any]:
    actor, context = entry.actor or {}, entry.context or {}
    return [
        entry.id,
        entry.occurred_at.isoformat(),
        entry.action,
        entry.source.value,
        actor.get("type"),
        actor.get("id"),
        actor.get("name"),
        json.dumps(entry.targets, separators=(",", ":")),
        context.get("location"),
        context.get("user_agent"),
        context.get("request_id"),
        json.dumps(entry.metadata, separators=(",", ":")),
    ]


def _files(
    columns: list[str], rows: list[list[Any]], items: list[dict[str, Any]]
) -> tuple[str, str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        # Spreadsheet formula injection (OWASP CSV injection): a cell that would start a
        # formula is prefixed with a quote.
        writer.writerow(
            "'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row
        )
    jsonl = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in items)
    return out.getvalue(), jsonl


def sign(secret_key: str, export_id: str, fmt: str, expires: int) -> str:
    message = f"{export_id}.{fmt}.{expires}".encode()
    return hmac.new(
        derive_key(secret_key, b"audit-export-url"), message, hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True, slots=True)
class ExportLinks:
    export: AuditExport
    csv_url: str
    jsonl_url: str
    expires_at: datetime


def links_for(export: AuditExport, secret_key: str, base_url: str) -> ExportLinks:
    expires_at = acting.now() + URL_TTL
    expires = int(expires_at.timestamp())

    def url(fmt: str) -> str:
        query = urlencode(
            {"expires": expires, "signature": sign(secret_key, export.id, fmt, expires)}
        )
        return f"{base_url.rstrip('/')}/audit/exports/{export.id}.{fmt}?{query}"

    return ExportLinks(export, url("csv"), url("jsonl"), expires_at)


async def signed_file(
    export_id: str, fmt: str, expires: str, signature: str, secret_key: str
) -> AuditExport | None:
    """The export a URL names, if its signature holds and it has not expired; else None (the
    same answer for a wrong signature, an expired URL and an unknown export)."""
    # ASCII digits: `isdigit` admits "²", which int() refuses.
    if fmt not in FORMATS or not (expires.isascii() and expires.isdigit()) or len(signature) != 64:
        return None
    if not hmac.compare_digest(signature, sign(secret_key, export_id, fmt, int(expires))):
        return None
    if int(expires) <= acting.now().timestamp():
        return None
    return await AuditExport.get_or_none(id=export_id)


def _check_lists(where: EntryFilter) -> None:
    for values, field in ((where.actions, "actions"), (where.actor_ids, "actorIds")):
        if values is not None and len(values) > MAX_FILTER_VALUES:
            raise DomainError.of(ErrorCode.TOO_LONG, f"At most {MAX_FILTER_VALUES} values.", field)


async def create_audit_log_export(
    principal: Principal, organization_id: str, where: EntryFilter
) -> AuditExport:
    """Every entry of the organization in [rangeStart, rangeEnd) matching the filters, oldest
    first; `audit_log_export.ready` is written with it."""
    require(principal, Permission.AUDIT_LOGS_READ)
    org = await visible_org(principal, organization_id, "organizationId")
    if where.range_start is None or where.range_end is None:
        raise DomainError.of(
            ErrorCode.REQUIRED, "rangeStart and rangeEnd are required.", "rangeStart"
        )
    where.check()
    _check_lists(where)
    async with in_transaction():
        entries = await entries_query(org.id, where).order_by("occurred_at", "id")
        csv_text, jsonl = _files(
            ENTRY_COLUMNS, [_entry_row(e) for e in entries], [entry_json(e) for e in entries]
        )
        export = await AuditExport.create(
            organization_id=org.id,
            kind=AuditExportKind.AUDIT_LOG,
            filters=where.as_json(),
            entry_count=len(entries),
            csv=csv_text,
            jsonl=jsonl,
        )
        await record_event("audit_log_export.ready", org.id, export_data(export))
    return export


def export_data(export: AuditExport) -> dict[str, Any]:
    # No URL here: a URL is a credential, and events go to webhooks and log streams.
    return {
        "id": export.id,
        "organization_id": export.organization_id,
        "kind": export.kind.value,
        "entry_count": export.entry_count,
        **export.filters,
    }


async def access_review(principal: Principal, organization_id: str, at: datetime) -> AuditExport:
    """Who had access at `at`, with which role, status and source, as an export."""
    require(principal, Permission.MEMBERS_READ)
    require(principal, Permission.AUDIT_LOGS_READ)
    org = await visible_org(principal, organization_id, "organizationId")
    if at > acting.now():
        raise DomainError.of(ErrorCode.INVALID_RANGE, "`at` is in the future.", "at")
    async with in_transaction():
        periods = await snapshot(org.id, at)
        emails = dict(
            await User.filter(id__in=[p.user_id for p in periods]).values_list("id", "email")
        )
        items = [
            {
                "member_id": p.member_id,
                "user_id": p.user_id,
                # An erased person keeps their ids here, never their address.
                "email": emails.get(p.user_id),
                "role": p.role_slug,
                "status": p.status,
                "source": p.source,
                "since": p.valid_from.isoformat(),
            }
            for p in periods
        ]
        csv_text, jsonl = _files(
            REVIEW_COLUMNS, [[i[c] for c in REVIEW_COLUMNS] for i in items], items
        )
        export = await AuditExport.create(
            organization_id=org.id,
            kind=AuditExportKind.ACCESS_REVIEW,
            filters={"at": at.isoformat()},
            entry_count=len(items),
            csv=csv_text,
            jsonl=jsonl,
        )
        await record_event("audit_log_export.ready", org.id, export_data(export))
    return export
