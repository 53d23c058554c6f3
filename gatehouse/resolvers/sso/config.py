"""Parsing what an admin pastes: SAML IdP metadata, certificates, OIDC discovery."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from gatehouse.outbound import OutboundError, request, request_json
from gatehouse.resolvers.errors import DomainError, ErrorCode

MAX_METADATA_BYTES = 200_000


@dataclass(frozen=True, slots=True)
class SamlIdp:
    entity_id: str | None = None
    sso_url: str | None = None
    certificates: list[str] = field(default_factory=list)
    name_id_format: str | None = None


def certificate_info(pem_or_b64: str, *field_path: str) -> dict[str, Any]:
    """The stored form of an IdP certificate: bare base64 DER plus its validity window."""
    body = "".join(
        line
        for line in pem_or_b64.strip().splitlines()
        if line.strip() and not line.startswith("-----")
    )
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(body, validate=True))
    except ValueError:
        raise DomainError.of(
            ErrorCode.INVALID_CERTIFICATE, "Not an X.509 certificate.", *field_path
        ) from None
    return {
        "certificate": body,
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "subject": cert.subject.rfc4514_string(),
    }


def certificate_expired(info: dict[str, Any], now: datetime | None = None) -> bool:
    return datetime.fromisoformat(info["not_after"]) <= (now or datetime.now(UTC))


def parse_saml_metadata(xml: str) -> SamlIdp:
    if len(xml.encode()) > MAX_METADATA_BYTES:
        raise DomainError.of(ErrorCode.TOO_LONG, "Metadata is too large.", "metadataXml")
    if "<!DOCTYPE" in xml.upper() or "<!ENTITY" in xml.upper():
        raise DomainError.of(
            ErrorCode.INVALID_SAML_METADATA, "Metadata must not have a DOCTYPE.", "metadataXml"
        )
    try:
        # python3-saml's parser forbids DTDs and entities (defusedxml-style) on its own too.
        data = OneLogin_Saml2_IdPMetadataParser.parse(xml)
    except Exception:  # noqa: BLE001 - any parse failure is the admin's input, not our bug
        raise DomainError.of(
            ErrorCode.INVALID_SAML_METADATA, "Not valid SAML IdP metadata.", "metadataXml"
        ) from None
    idp = data.get("idp", {})
    certs: list[str] = []
    multi = idp.get("x509certMulti", {}).get("signing")
    if multi:
        certs.extend(multi)
    elif idp.get("x509cert"):
        certs.append(idp["x509cert"])
    return SamlIdp(
        entity_id=idp.get("entityId"),
        sso_url=idp.get("singleSignOnService", {}).get("url"),
        certificates=certs,
        name_id_format=data.get("sp", {}).get("NameIDFormat"),
    )


async def fetch_saml_metadata(url: str, *, allow_private: bool) -> SamlIdp:
    """A customer-entered metadata URL, fetched with the outbound guards (SECURITY 13d)."""
    try:
        response = await request("GET", url, allow_private=allow_private)
    except (OutboundError, OSError) as e:
        reason = str(e).rstrip(".")
        raise DomainError.of(
            ErrorCode.METADATA_FETCH_FAILED, f"Metadata fetch failed: {reason}.", "metadataUrl"
        ) from None
    if response.status_code != 200:
        raise DomainError.of(
            ErrorCode.METADATA_FETCH_FAILED,
            f"Metadata URL answered {response.status_code}.",
            "metadataUrl",
        )
    return parse_saml_metadata(response.text)


async def discover_oidc(issuer: str, *, allow_private: bool) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §4: fetch and check the provider configuration."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        status, doc = await request_json("GET", url, allow_private=allow_private)
    except (OutboundError, OSError) as e:
        reason = str(e).rstrip(".")
        raise DomainError.of(
            ErrorCode.DISCOVERY_FAILED, f"Discovery failed: {reason}.", "issuer"
        ) from None
    if status != 200 or not isinstance(doc, dict):
        raise DomainError.of(ErrorCode.DISCOVERY_FAILED, "Discovery failed.", "issuer")
    # §4.3: the issuer in the document must be exactly the one we asked for.
    if doc.get("issuer") != issuer:
        raise DomainError.of(
            ErrorCode.DISCOVERY_FAILED, "Discovery document names another issuer.", "issuer"
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(doc.get(key), str):
            raise DomainError.of(ErrorCode.DISCOVERY_FAILED, f"Discovery lacks {key}.", "issuer")
    return {
        k: doc[k]
        for k in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "userinfo_endpoint",
            "id_token_signing_alg_values_supported",
            "authorization_response_iss_parameter_supported",
        )
        if k in doc
    }
