"""The SP's own key pairs, one set per SAML connection: published in its metadata for signing
(AuthnRequests) and encryption (assertions), the private keys stored encrypted with the server
key (auth/crypto.py, bound to the connection's ID).

Rotation overlaps (SECURITY 12's rule, for our side): `rotate_sp_key` adds a key, both are
published and both decrypt, the old one still signs (the IdP may not have the new certificate
yet); `retire_sp_key` drops the old one and the new one signs from then on.
"""

from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from tortoise.transactions import in_transaction

from gatehouse.auth import crypto
from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import Connection, ConnectionType
from gatehouse.resolvers.access import locked_for_change, require
from gatehouse.resolvers.errors import DomainError, ErrorCode

log = logging.getLogger("gatehouse.sso")
KEY_BITS = 2048
CERTIFICATE_LIFETIME = timedelta(days=10 * 365)


@dataclass(frozen=True, slots=True)
class SpKey:
    id: str
    certificate: str  # base64 DER, as in metadata
    private_key_pem: str
    not_after: datetime


def _aad(connection_id: str, key_id: str) -> str:
    return f"saml-sp-key:{connection_id}:{key_id}"


def new_sp_key(secret_key: str, connection_id: str, now: datetime | None = None) -> dict[str, Any]:
    """A fresh RSA key pair and self-signed certificate (IdPs pin the certificate from the
    metadata; no CA is involved), in its stored form."""
    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Gatehouse SP {connection_id}")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CERTIFICATE_LIFETIME)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key_id = "spk_" + uuid.uuid4().hex[:16]
    return {
        "id": key_id,
        "certificate": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
        "private_key": crypto.encrypt(secret_key, pem, _aad(connection_id, key_id)),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "created_at": now.isoformat(),
    }


def sp_keys(conn: Connection, secret_key: str) -> list[SpKey]:
    """The connection's keys, decrypted, the signing one first. A key that no longer decrypts
    (GATEHOUSE_SECRET_KEY changed) is left out and logged: sign-ins then fail with a reason,
    never a 500, until the key is rotated."""
    out = []
    for row in conn.saml_sp_keys or []:
        try:
            pem = crypto.decrypt(secret_key, row["private_key"], _aad(conn.id, row["id"]))
        except (InvalidTag, ValueError):
            log.warning("SP key %s of %s does not decrypt with the server key", row["id"], conn.id)
            continue
        out.append(
            SpKey(
                id=row["id"],
                certificate=row["certificate"],
                private_key_pem=pem,
                not_after=datetime.fromisoformat(row["not_after"]),
            )
        )
    return out


def public_keys(conn: Connection) -> list[dict[str, Any]]:
    """What may be shown: certificates and dates, never the private key."""
    return [
        {k: row[k] for k in ("id", "certificate", "not_after", "created_at")}
        for row in conn.saml_sp_keys or []
    ]


async def ensure_sp_keys(conn: Connection, secret_key: str) -> Connection:
    """Connections made before SP keys existed get theirs on first use; the row lock makes
    concurrent first uses agree on one key."""
    if conn.type is not ConnectionType.SAML or conn.saml_sp_keys or not secret_key:
        return conn
    async with in_transaction():
        locked = await Connection.filter(id=conn.id).select_for_update().first()
        if locked is None:
            return conn
        if not locked.saml_sp_keys:
            locked.saml_sp_keys = [new_sp_key(secret_key, conn.id)]
            await locked.save(update_fields=["saml_sp_keys", "updated_at"])
    return locked


def _key_data(conn: Connection, action: str, principal: Principal) -> dict[str, Any]:
    return {
        "connection_id": conn.id,
        "organization_id": conn.organization_id,
        "action": action,
        "keys": [{"id": k["id"], "not_after": k["not_after"]} for k in conn.saml_sp_keys or []],
        "actor": principal.actor,
    }


async def _saml_for_change(principal: Principal, connection_id: str) -> Connection:
    conn = await locked_for_change(
        principal, Connection, connection_id, "conn", "Connection", "connectionId"
    )
    if conn.type is not ConnectionType.SAML:
        raise DomainError.of(
            ErrorCode.WRONG_CONNECTION_TYPE, "Only SAML connections have SP keys.", "connectionId"
        )
    return conn


async def rotate_sp_key(principal: Principal, connection_id: str, secret_key: str) -> Connection:
    """Add a new key. Rotating again before the old one is retired replaces the newer key."""
    require(principal, Permission.CONNECTIONS_WRITE)
    async with in_transaction():
        conn = await _saml_for_change(principal, connection_id)
        current = (conn.saml_sp_keys or [])[:1] or [new_sp_key(secret_key, conn.id)]
        conn.saml_sp_keys = [*current, new_sp_key(secret_key, conn.id)]
        await conn.save()
        await record_event(
            "connection.saml_sp_key_rotated",
            conn.organization_id,
            _key_data(conn, "rotated", principal),
        )
    return conn


async def retire_sp_key(principal: Principal, connection_id: str) -> Connection:
    """Drop the old key: the new one signs, and only it decrypts."""
    require(principal, Permission.CONNECTIONS_WRITE)
    async with in_transaction():
        conn = await _saml_for_change(principal, connection_id)
        if len(conn.saml_sp_keys or []) < 2:
            raise DomainError.of(
                ErrorCode.NO_ROTATION_IN_PROGRESS,
                "This connection has one SP key; rotate it first.",
                "connectionId",
            )
        conn.saml_sp_keys = (conn.saml_sp_keys or [])[1:]
        await conn.save()
        await record_event(
            "connection.saml_sp_key_retired",
            conn.organization_id,
            _key_data(conn, "retired", principal),
        )
    return conn
