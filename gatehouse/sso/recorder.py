"""The SSO side of the request recorder: what an IdP's response said about itself (issuer,
NameID format, subject, attributes), read from the XML before validation or from verified
OIDC claims, never used to decide anything; stored masked with the attempt's outcome."""

from __future__ import annotations

import logging
from typing import Any

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C

from gatehouse.models import Connection, SignInOutcome
from gatehouse.resolvers.recording.attempts import Observed, record_attempt
from gatehouse.resolvers.sso.sign_in import SignInRefused, SsoProfile
from gatehouse.settings import Settings
from gatehouse.sso.saml_xml import UnsafeXml, check_document, decode_response

log = logging.getLogger("gatehouse.sso")
NS = {"samlp": C.NS_SAMLP, "saml": C.NS_SAML}
MAX_ATTRIBUTES = 50


def _text(nodes: Any) -> str | None:
    return str(nodes[0]).strip() if nodes else None


def saml_response(raw_b64: str, settings: Settings) -> Observed:
    """Issuer, NameID (and its Format) and attributes of a SAML response; empty when the
    document is refused as unsafe (it is not parsed further)."""
    try:
        root = check_document(decode_response(raw_b64, settings.sso_max_response_bytes))
    except (UnsafeXml, ValueError):
        return Observed()
    issuer = _text(root.xpath("/samlp:Response/saml:Issuer/text()", namespaces=NS)) or _text(
        root.xpath("//saml:Assertion/saml:Issuer/text()", namespaces=NS)
    )
    name_ids = root.xpath("//saml:Assertion/saml:Subject/saml:NameID", namespaces=NS)
    attributes: dict[str, Any] = {}
    for node in root.xpath("//saml:Assertion//saml:Attribute", namespaces=NS)[:MAX_ATTRIBUTES]:
        values = [str(v.text or "") for v in node.xpath("saml:AttributeValue", namespaces=NS)]
        attributes[str(node.get("Name", ""))[:256]] = values[:20]
    return Observed(
        issuer=issuer,
        name_id_format=str(name_ids[0].get("Format"))
        if name_ids and name_ids[0].get("Format")
        else None,
        subject=str(name_ids[0].text or "").strip() if name_ids else None,
        attributes=attributes,
    )


def _with_profile(observed: Observed, profile: SsoProfile | None) -> Observed:
    """A verified profile's claims fill in what the raw response did not say (OIDC)."""
    if profile is None:
        return observed
    claims = dict(list(profile.raw_attributes.items())[:MAX_ATTRIBUTES])
    return Observed(
        issuer=observed.issuer,
        name_id_format=observed.name_id_format,
        subject=observed.subject or profile.subject,
        attributes=observed.attributes or claims,
    )


async def record(
    settings: Settings,
    connection: Connection,
    observed: Observed | None,
    profile: SsoProfile | None,
    refusal: SignInRefused | None,
) -> None:
    """Store one attempt; a failure to record never changes the sign-in's answer."""
    try:
        await record_attempt(
            connection,
            SignInOutcome.FAILED if refusal is not None else SignInOutcome.SUCCEEDED,
            _with_profile(observed or Observed(), profile),
            keep=settings.recorder_size,
            mask=settings.recorder_mask_values,
            reason=refusal.reason if refusal is not None else None,
            message=refusal.message if refusal is not None else None,
        )
    except Exception:
        log.warning("could not record a sign-in attempt", exc_info=True)
