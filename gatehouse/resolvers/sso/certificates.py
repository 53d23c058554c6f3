"""IdP certificate lifecycle: renewal without a cut-over, and warnings before expiry.

A new certificate is added beside the old one (`add_certificate`, or a metadata refresh that
finds one), so responses signed by either are accepted while the IdP switches; each new one is
a `connection.saml_certificate_renewed` event. The SSO upkeep job (upkeep.py) runs
`check_expiring_certificates` over every SAML connection, whatever the source of its
certificates: `connection.saml_certificate_expiring` at 90, 30 and 7 days before expiry and on
expiry, each once per certificate. A certificate already inside a threshold when it is added
gets that threshold's event, never the earlier ones (a certificate with 20 days left warns at
30, then at 7).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import Connection, ConnectionState, ConnectionType
from gatehouse.resolvers.access import locked_for_change, require, visible_organization
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.sso.config import certificate_info, parse_saml_metadata

log = logging.getLogger("gatehouse.sso")

# Days before expiry, largest first; 0 is "has expired".
THRESHOLDS = (90, 30, 7, 0)
BATCH = 200
MAX_LISTED = 100


def fingerprint(info: dict[str, Any]) -> str:
    """SHA-256 of the DER certificate, lowercase hex (what IdP consoles show, without colons)."""
    return hashlib.sha256(base64.b64decode(info["certificate"])).hexdigest()


def not_after(info: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(info["not_after"])


def due_threshold(info: dict[str, Any], at: datetime) -> int | None:
    """The smallest threshold this certificate is inside at `at`, if any."""
    left = not_after(info) - at
    inside = [t for t in THRESHOLDS if left <= timedelta(days=t)]
    return min(inside) if inside else None


def _certificate_data(conn: Connection, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "connection_id": conn.id,
        "organization_id": conn.organization_id,
        "fingerprint": fingerprint(info),
        "subject": info.get("subject"),
        "not_after": info["not_after"],
    }


async def record_renewals(
    conn: Connection, before: list[dict[str, Any]], after: list[dict[str, Any]], source: str
) -> None:
    """Inside the change's transaction: one renewed event for each certificate that is new."""
    known = {fingerprint(c) for c in before}
    for info in after:
        if fingerprint(info) not in known:
            await record_event(
                "connection.saml_certificate_renewed",
                conn.organization_id,
                {**_certificate_data(conn, info), "source": source},
            )


async def _saml_for_change(principal: Principal, connection_id: str) -> Connection:
    conn = await locked_for_change(
        principal, Connection, connection_id, "conn", "Connection", "connectionId"
    )
    if conn.type is not ConnectionType.SAML:
        raise DomainError.of(
            ErrorCode.WRONG_CONNECTION_TYPE, "Only SAML connections have certificates."
        )
    return conn


async def add_certificate(
    principal: Principal,
    connection_id: str,
    *,
    certificate: str | None = None,
    metadata_xml: str | None = None,
) -> Connection:
    """Add the IdP's new certificate (or every certificate of its new metadata) beside the
    current ones; nothing stops working. The connection is no longer refreshed from its
    metadata URL afterwards: what an admin set by hand is not undone by the daily job."""
    require(principal, Permission.CONNECTIONS_WRITE)
    if metadata_xml:
        new = [
            certificate_info(c, "metadataXml")
            for c in parse_saml_metadata(metadata_xml).certificates
        ]
    elif certificate:
        new = [certificate_info(certificate, "certificate")]
    else:
        raise DomainError.of(
            ErrorCode.REQUIRED, "Paste the new certificate or metadata.", "certificate"
        )
    if not new:
        raise DomainError.of(
            ErrorCode.INVALID_SAML_METADATA, "The metadata has no certificate.", "metadataXml"
        )
    async with in_transaction():
        conn = await _saml_for_change(principal, connection_id)
        before = list(conn.saml_idp_certificates)
        known = {fingerprint(c) for c in before}
        added = [c for c in new if fingerprint(c) not in known]
        conn.saml_idp_certificates = before + added
        conn.saml_metadata_url = None
        conn.saml_metadata_refreshed_at = None
        await conn.save()
        await record_renewals(conn, before, conn.saml_idp_certificates, "manual")
    return conn


async def remove_certificate(principal: Principal, connection_id: str, fp: str) -> Connection:
    """Drop a certificate once the IdP signs with the new one."""
    require(principal, Permission.CONNECTIONS_WRITE)
    async with in_transaction():
        conn = await _saml_for_change(principal, connection_id)
        kept = [c for c in conn.saml_idp_certificates if fingerprint(c) != fp.strip().lower()]
        if len(kept) == len(conn.saml_idp_certificates):
            raise DomainError.of(ErrorCode.NOT_FOUND, "No such certificate.", "fingerprint")
        if not kept and conn.state in (ConnectionState.ACTIVE, ConnectionState.VALIDATING):
            raise DomainError.of(
                ErrorCode.CONNECTION_INCOMPLETE,
                "An active connection needs a certificate; add the new one first.",
                "fingerprint",
            )
        conn.saml_idp_certificates = kept
        conn.saml_metadata_url = None
        conn.saml_metadata_refreshed_at = None
        await conn.save()
        await record_event(
            "connection.saml_certificate_removed",
            conn.organization_id,
            {"connection_id": conn.id, "organization_id": conn.organization_id, "fingerprint": fp},
        )
    return conn


async def _check_connection(connection_id: str, at: datetime) -> int:
    """One connection, locked so concurrent upkeep runs send each notice once."""
    sent = 0
    async with in_transaction():
        conn = await Connection.filter(id=connection_id).select_for_update().first()
        if conn is None:
            return 0
        notices: dict[str, list[int]] = {
            k: list(v) for k, v in (conn.saml_certificate_notices or {}).items()
        }
        current = {fingerprint(c): c for c in conn.saml_idp_certificates}
        changed = set(notices) - set(current)  # certificates removed since: forget them
        for fp in changed:
            del notices[fp]
        for fp, info in current.items():
            threshold = due_threshold(info, at)
            if threshold is None or threshold in notices.get(fp, []):
                continue
            # This threshold and every earlier one count as sent: never warn "90 days" after
            # "30 days", nor for thresholds already passed when the certificate was added.
            notices[fp] = sorted({*notices.get(fp, []), *(t for t in THRESHOLDS if t >= threshold)})
            await record_event(
                "connection.saml_certificate_expiring",
                conn.organization_id,
                {
                    **_certificate_data(conn, info),
                    "threshold_days": threshold,
                    "expired": threshold == 0,
                    "days_left": max(0, (not_after(info) - at).days),
                },
            )
            sent += 1
            changed.add(fp)
        if changed:
            conn.saml_certificate_notices = notices
            await conn.save(update_fields=["saml_certificate_notices"])
    return sent


async def check_expiring_certificates(
    at: datetime, stopping: Callable[[], bool] | None = None
) -> int:
    """The upkeep job's step: every SAML connection, in batches by ID."""
    sent = 0
    after = ""
    while True:
        ids = [
            str(i)
            for i in await Connection.filter(type=ConnectionType.SAML, id__gt=after)
            .order_by("id")
            .limit(BATCH)
            .values_list("id", flat=True)
        ]
        if not ids:
            return sent
        for connection_id in ids:
            if stopping is not None and stopping():
                return sent
            sent += await _check_connection(connection_id, at)
        after = ids[-1]


async def connections_with_expiring_certificates(
    principal: Principal, within_days: int, at: datetime
) -> list[Connection]:
    """SAML connections the caller may see with a certificate expiring within `within_days`
    (or expired), soonest first; at most 100."""
    require(principal, Permission.CONNECTIONS_READ)
    if not 0 <= within_days <= 3650:
        raise DomainError.of(ErrorCode.OUT_OF_RANGE, "withinDays must be 0-3650.", "withinDays")
    query = Connection.filter(type=ConnectionType.SAML)
    if principal.organization_id is not None:
        query = query.filter(organization_id=principal.organization_id)
    horizon = at + timedelta(days=within_days)
    found: list[tuple[datetime, Connection]] = []
    for conn in await query.order_by("id"):
        if not visible_organization(principal, conn.organization_id):
            continue
        soonest = min((not_after(c) for c in conn.saml_idp_certificates), default=None)
        if soonest is not None and soonest <= horizon:
            found.append((soonest, conn))
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    return [conn for _, conn in found[:MAX_LISTED]]
