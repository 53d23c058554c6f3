"""SSO connections: create (SAML from metadata or fields, OIDC by discovery), update, lifecycle."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gatehouse.auth import crypto
from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal, operator_principal
from gatehouse.events import record_event
from gatehouse.models import Connection, ConnectionState, ConnectionType
from gatehouse.models.base import column_length
from gatehouse.resolvers.access import locked_for_change, require, visible_organization
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator, not_found
from gatehouse.resolvers.organizations import UNSET, organization_for_change
from gatehouse.resolvers.sso.certificates import record_renewals
from gatehouse.resolvers.sso.config import (
    SamlIdp,
    certificate_info,
    discover_oidc,
    fetch_saml_metadata,
    parse_saml_metadata,
)
from gatehouse.resolvers.sso.sp_keys import new_sp_key
from gatehouse.resolvers.validation import clean_name

log = logging.getLogger("gatehouse.sso")


def now() -> datetime:
    return datetime.now(UTC)


DEFAULT_SCOPES = ["openid", "email", "profile"]


def connection_data(conn: Connection) -> dict[str, Any]:
    return {
        "id": conn.id,
        "organization_id": conn.organization_id,
        "name": conn.name,
        "type": conn.type.value,
        "state": conn.state.value,
    }


async def get_connection(principal: Principal, connection_id: str) -> Connection | None:
    require(principal, Permission.CONNECTIONS_READ)
    conn = await Connection.get_or_none(id=connection_id)
    if conn is None or not visible_organization(principal, conn.organization_id):
        return None
    return conn


async def connection_for_change(principal: Principal, connection_id: str) -> Connection:
    return await locked_for_change(
        principal, Connection, connection_id, "conn", "Connection", "connectionId"
    )


def _check_url(v: Validator, value: str | None, *field: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value.startswith(("https://", "http://")) or len(value) > 2048:
        v.add(ErrorCode.INVALID_URL, "Enter an absolute http(s) URL.", *field)
    return value


MAX_ENTITY_ID = column_length(Connection, "saml_idp_entity_id")
MAX_NAME_ID_FORMAT = column_length(Connection, "saml_name_id_format")
MAX_CLIENT_ID = column_length(Connection, "oidc_client_id")


def _check_idp(
    v: Validator, idp: SamlIdp, entity_id_field: str, *, name_id_format: bool = True
) -> str | None:
    """The IdP's entity ID, stripped; it and the NameID format (where it is stored) must fit
    their columns, whether an admin typed them or the IdP's metadata said them. The SSO URL is
    `_check_url`'s."""
    entity_id = (idp.entity_id or "").strip() or None
    if entity_id is not None and len(entity_id) > MAX_ENTITY_ID:
        v.add(ErrorCode.TOO_LONG, f"Entity ID over {MAX_ENTITY_ID} characters.", entity_id_field)
    format_ = idp.name_id_format
    if name_id_format and format_ is not None and len(format_) > MAX_NAME_ID_FORMAT:
        v.add(ErrorCode.TOO_LONG, "NameID format is too long.", "metadataXml")
    return entity_id


def _certificates(v: Validator, certs: list[str]) -> list[dict[str, Any]]:
    out = []
    for i, pem in enumerate(certs):
        try:
            out.append(certificate_info(pem, "certificates", str(i)))
        except DomainError as e:
            v.errors.extend(e.errors)
    return out


async def create_saml_connection(
    principal: Principal,
    organization_id: str,
    name: str,
    *,
    metadata_xml: str | None = None,
    metadata_url: str | None = None,
    allow_private_urls: bool = False,
    idp: SamlIdp | None = None,
    attribute_mapping: dict[str, str] | None = None,
    allow_idp_initiated: bool = False,
    allow_sha1: bool = False,
    sign_authn_requests: bool = False,
    secret_key: str = "",
) -> Connection:
    """From IdP metadata XML, or from the fields an admin copies out of the IdP's console.
    The connection gets its own SP key pair now (without `secret_key`, on first use)."""
    require(principal, Permission.CONNECTIONS_WRITE)
    v = Validator()
    name = clean_name(v, name, "name")
    if metadata_xml:
        idp = parse_saml_metadata(metadata_xml)
        metadata_url = None
    elif metadata_url:
        metadata_url = _check_url(v, metadata_url, "metadataUrl")  # stored as checked: stripped
        if not v.errors:
            idp = await fetch_saml_metadata(metadata_url or "", allow_private=allow_private_urls)
    idp = idp or SamlIdp()
    entity_id = _check_idp(v, idp, "metadataXml" if metadata_xml else "idpEntityId")
    sso_url = _check_url(v, idp.sso_url, "ssoUrl")
    certs = _certificates(v, idp.certificates)
    v.check()
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        conn = Connection(
            organization=org,
            name=name,
            type=ConnectionType.SAML,
            saml_idp_entity_id=entity_id,
            saml_idp_sso_url=sso_url,
            saml_idp_certificates=certs,
            saml_metadata_url=metadata_url,
            saml_metadata_refreshed_at=now() if metadata_url else None,
            saml_name_id_format=idp.name_id_format,
            saml_attribute_mapping=attribute_mapping or {},
            saml_allow_idp_initiated=allow_idp_initiated,
            saml_allow_sha1=allow_sha1,
            saml_sign_authn_requests=sign_authn_requests,
        )
        conn.saml_sp_keys = [new_sp_key(secret_key, conn.id)] if secret_key else []
        await conn.save()
        # Dashboards follow setup by events (the onboarding subscription): a new connection
        # is a step begun.
        await record_event("connection.created", org.id, connection_data(conn))
    return conn


async def create_oidc_connection(
    principal: Principal,
    organization_id: str,
    name: str,
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    secret_key: str,
    scopes: list[str] | None = None,
    allow_private_urls: bool = False,
) -> Connection:
    require(principal, Permission.CONNECTIONS_WRITE)
    v = Validator()
    name = clean_name(v, name, "name")
    issuer = _check_url(v, issuer, "issuer") or ""
    if not client_id.strip():
        v.add(ErrorCode.REQUIRED, "Client ID is required.", "clientId")
    elif len(client_id.strip()) > MAX_CLIENT_ID:
        v.add(ErrorCode.TOO_LONG, f"Client ID over {MAX_CLIENT_ID} characters.", "clientId")
    if not client_secret:
        v.add(ErrorCode.REQUIRED, "Client secret is required.", "clientSecret")
    v.check()
    if not visible_organization(principal, organization_id):
        raise not_found("Organization", "organizationId")
    # Outside the transaction: a slow IdP must not hold a row lock.
    discovery = await discover_oidc(issuer, allow_private=allow_private_urls)
    scopes = scopes or DEFAULT_SCOPES
    if "openid" not in scopes:
        scopes = ["openid", *scopes]
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        conn = Connection(
            organization=org,
            name=name,
            type=ConnectionType.OIDC,
            oidc_issuer=issuer,
            oidc_client_id=client_id.strip(),
            oidc_scopes=scopes,
            oidc_discovery=discovery,
        )
        conn.oidc_client_secret_encrypted = crypto.encrypt(secret_key, client_secret, conn.id)
        await conn.save()
        await record_event("connection.created", org.id, connection_data(conn))
    return conn


IDP_FIELDS = {"saml_idp_entity_id", "saml_idp_sso_url", "saml_idp_certificates"}


async def update_connection(
    principal: Principal,
    connection_id: str,
    *,
    name: Any = UNSET,
    idp_entity_id: Any = UNSET,
    idp_sso_url: Any = UNSET,
    certificates: Any = UNSET,
    attribute_mapping: Any = UNSET,
    allow_idp_initiated: Any = UNSET,
    client_secret: Any = UNSET,
    jit_provisioning: Any = UNSET,
    groups_claim: Any = UNSET,
    sign_authn_requests: Any = UNSET,
    secret_key: str = "",
) -> Connection:
    require(principal, Permission.CONNECTIONS_WRITE)
    v = Validator()
    cleaners: dict[str, tuple[Any, Callable[[Any], Any]]] = {
        "name": (name, lambda x: clean_name(v, x, "name")),
        "saml_idp_entity_id": (idp_entity_id, lambda x: (x or "").strip()[:1024] or None),
        "saml_idp_sso_url": (idp_sso_url, lambda x: _check_url(v, x, "idpSsoUrl")),
        "saml_idp_certificates": (certificates, lambda x: _certificates(v, x or [])),
        "saml_attribute_mapping": (attribute_mapping, lambda x: dict(x or {})),
        "saml_allow_idp_initiated": (allow_idp_initiated, bool),
        "jit_provisioning": (jit_provisioning, bool),
        "groups_claim": (groups_claim, lambda x: (x or "").strip()[:256] or None),
        "saml_sign_authn_requests": (sign_authn_requests, bool),
    }
    changes = {key: clean(value) for key, (value, clean) in cleaners.items() if value is not UNSET}
    v.check()
    if changes.keys() & IDP_FIELDS:
        # Settings edited by hand (a certificate rotation, a removed key) must not be undone by
        # the daily metadata refresh: the connection is no longer managed by its URL.
        changes["saml_metadata_url"] = None
        changes["saml_metadata_refreshed_at"] = None
    async with in_transaction():
        conn = await connection_for_change(principal, connection_id)
        if conn.type is ConnectionType.OIDC and any(k.startswith("saml_") for k in changes):
            raise DomainError.of(
                ErrorCode.WRONG_CONNECTION_TYPE, "Those settings are for SAML connections."
            )
        if client_secret is not UNSET:
            if conn.type is not ConnectionType.OIDC or not client_secret:
                raise DomainError.of(
                    ErrorCode.WRONG_CONNECTION_TYPE, "Only OIDC connections have a client secret."
                )
            conn.oidc_client_secret_encrypted = crypto.encrypt(secret_key, client_secret, conn.id)
        before = list(conn.saml_idp_certificates)
        changed = sorted(key for key, value in changes.items() if getattr(conn, key) != value) + (
            ["oidc_client_secret"] if client_secret is not UNSET else []
        )
        for key, value in changes.items():
            setattr(conn, key, value)
        await conn.save()
        if "saml_idp_certificates" in changes and before:
            await record_renewals(conn, before, conn.saml_idp_certificates, "manual")
        if changed:
            # Which settings changed, never their values (a client secret, a certificate): the
            # audit trail shows who loosened sign-in for an organization, and when.
            await record_event(
                "connection.updated",
                conn.organization_id,
                {**connection_data(conn), "changed": changed},
            )
    return conn


async def refresh_saml_metadata(
    principal: Principal, connection_id: str, *, allow_private_urls: bool = False
) -> Connection:
    """Re-read a connection's metadata URL: new certificates and endpoints take effect at once
    (the IdP rotated), without anyone pasting anything. Run by an admin or a periodic job."""
    require(principal, Permission.CONNECTIONS_WRITE)
    conn = await Connection.get_or_none(id=connection_id)
    if conn is None or not visible_organization(principal, conn.organization_id):
        raise not_found("Connection", "connectionId")
    if not conn.saml_metadata_url:
        raise DomainError.of(
            ErrorCode.CONNECTION_INCOMPLETE, "This connection has no metadata URL.", "connectionId"
        )
    # Fetched outside the transaction: a slow IdP must not hold the row lock.
    idp = await fetch_saml_metadata(conn.saml_metadata_url, allow_private=allow_private_urls)
    v = Validator()
    # What the IdP serves now is checked as an admin's input would be: a refresh keeps the
    # settings that work rather than store what cannot be stored. It does not store the NameID
    # format, so that one must not block a certificate rotation.
    entity_id = _check_idp(v, idp, "metadataUrl", name_id_format=False)
    sso_url = _check_url(v, idp.sso_url, "metadataUrl")
    certs = _certificates(v, idp.certificates)
    v.check()
    async with in_transaction():
        conn = await connection_for_change(principal, connection_id)
        before = list(conn.saml_idp_certificates)
        conn.saml_idp_entity_id = entity_id or conn.saml_idp_entity_id
        conn.saml_idp_sso_url = sso_url or conn.saml_idp_sso_url
        conn.saml_idp_certificates = certs or conn.saml_idp_certificates
        conn.saml_metadata_refreshed_at = now()
        await conn.save()
        if before:
            await record_renewals(conn, before, conn.saml_idp_certificates, "metadata")
    return conn


METADATA_REFRESH_BATCH = 20


async def refresh_due_metadata(
    at: datetime,
    every: timedelta,
    *,
    allow_private_urls: bool,
    stopping: Callable[[], bool] | None = None,
) -> int:
    """The periodic job (upkeep.py): re-read the metadata URL of connections last read
    `every` ago or more, so a rotated IdP certificate is picked up without anyone acting.
    Each one is claimed first (compare-and-set on the timestamp), so processes running the job
    at once fetch each URL once, and a failing IdP is retried at the next interval, not at once.
    """
    due = Q(saml_metadata_refreshed_at__isnull=True) | Q(saml_metadata_refreshed_at__lte=at - every)
    candidates = (
        Connection.filter(due, saml_metadata_url__isnull=False)
        .order_by("saml_metadata_refreshed_at", "id")
        .limit(METADATA_REFRESH_BATCH)
    )
    refreshed = 0
    for row_id in await candidates.values_list("id", flat=True):
        if stopping is not None and stopping():
            break  # the process is shutting down: the rest stay due for the next round
        connection_id = str(row_id)
        if not await Connection.filter(due, id=connection_id).update(saml_metadata_refreshed_at=at):
            continue  # another process claimed it
        try:
            await refresh_saml_metadata(
                operator_principal(), connection_id, allow_private_urls=allow_private_urls
            )
        except DomainError as e:
            # The IdP is down or now serves something unusable: keep the settings that work.
            log.warning("metadata refresh failed for %s: %s", connection_id, e.errors[0].code.value)
            continue
        refreshed += 1
    return refreshed


def _missing_settings(conn: Connection) -> str | None:
    if conn.type is ConnectionType.SAML:
        if not (conn.saml_idp_entity_id and conn.saml_idp_sso_url and conn.saml_idp_certificates):
            return "A SAML connection needs the IdP entity ID, SSO URL and a certificate."
    elif not (conn.oidc_issuer and conn.oidc_client_id and conn.oidc_discovery):
        return "An OIDC connection needs an issuer and a client."
    return None


async def activate_connection(principal: Principal, connection_id: str) -> Connection:
    """Operators activate at once; an organization's admin moves it to VALIDATING, and the
    first successful test sign-in through it makes it ACTIVE (`complete_validation`)."""
    require(principal, Permission.CONNECTIONS_WRITE)
    async with in_transaction():
        conn = await connection_for_change(principal, connection_id)
        if conn.state is ConnectionState.ACTIVE:
            raise DomainError.of(ErrorCode.ALREADY_ACTIVE, "Connection is already active.")
        missing = _missing_settings(conn)
        if missing:
            raise DomainError.of(ErrorCode.CONNECTION_INCOMPLETE, missing, "connectionId")
        if principal.is_operator:
            conn.state = ConnectionState.ACTIVE
            await conn.save()
            await record_event(
                "connection.activated",
                conn.organization_id,
                {**connection_data(conn), "actor": principal.actor},
            )
        else:
            conn.state = ConnectionState.VALIDATING
            await conn.save()
    return conn


async def complete_validation(conn: Connection) -> None:
    """A test sign-in succeeded through a VALIDATING connection: it becomes ACTIVE.

    Called inside the sign-in's transaction, on a row it locked.
    """
    conn.state = ConnectionState.ACTIVE
    await conn.save()
    await record_event(
        "connection.activated",
        conn.organization_id,
        {**connection_data(conn), "actor": {"kind": "TEST_SIGN_IN"}},
    )


async def deactivate_connection(principal: Principal, connection_id: str) -> Connection:
    require(principal, Permission.CONNECTIONS_WRITE)
    async with in_transaction():
        conn = await connection_for_change(principal, connection_id)
        if conn.state is ConnectionState.INACTIVE:
            raise DomainError.of(ErrorCode.ALREADY_INACTIVE, "Connection is already inactive.")
        conn.state = ConnectionState.INACTIVE
        await conn.save()
        await record_event(
            "connection.deactivated",
            conn.organization_id,
            {**connection_data(conn), "actor": principal.actor},
        )
    return conn


async def delete_connection(principal: Principal, connection_id: str) -> str:
    require(principal, Permission.CONNECTIONS_WRITE)
    async with in_transaction():
        conn = await connection_for_change(principal, connection_id)
        data = {**connection_data(conn), "actor": principal.actor}
        await conn.delete()
        await record_event("connection.deleted", data["organization_id"], data)
    return connection_id
