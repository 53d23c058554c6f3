"""SAML 2.0 service provider, one per connection, on python3-saml in strict mode.

python3-saml checks signatures, XSW shapes, conditions and algorithms; Gatehouse adds what it
leaves optional (SECURITY 13a-13c): Destination, Audience and Recipient must be present and
equal this connection's own URLs, InResponseTo must name a request this SP sent for this
connection, and the SP URLs come from GATEHOUSE_BASE_URL, never from the request's Host.

Either the Assertion or the Response must carry a valid signature (SAML profiles 4.1.3.5: a
Response signature covers the assertion inside it); whichever it is, every value is read from
the element that signature covers (python3-saml's `_query_assertion`). The checks run in three
steps so a refusal names its cause: the signatures alone (python3-saml, not strict), then
Gatehouse's own conditions, then python3-saml's strict checks.

An `EncryptedAssertion` is decrypted with the connection's own SP keys (resolvers/sso/sp_keys.py;
every key of a rotation is tried), with AES-GCM or AES-CBC content and RSA-OAEP key transport
only (no RSA 1.5: Bleichenbacher), and the decrypted document goes through the same XML gate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.metadata import OneLogin_Saml2_Metadata
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import (
    OneLogin_Saml2_Error,
    OneLogin_Saml2_Utils,
    OneLogin_Saml2_ValidationError,
)

from gatehouse.models import Connection, SamlAssertionId
from gatehouse.models.base import column_length
from gatehouse.resolvers.sso.endpoints import SpUrls, sp_urls
from gatehouse.resolvers.sso.sign_in import SignInRefused, SsoProfile
from gatehouse.resolvers.sso.sp_keys import SpKey, sp_keys
from gatehouse.settings import Settings
from gatehouse.sso.saml_schema import use_compiled_schemas
from gatehouse.sso.saml_xml import (
    DecryptionRefused,
    UnsafeXml,
    check_document,
    decode_response,
    decrypt_assertion,
)

use_compiled_schemas()  # before any response is validated: python3-saml's own check, cached

MAX_ASSERTION_ID = column_length(SamlAssertionId, "assertion_id")  # the replay cache
NS = {"samlp": C.NS_SAMLP, "saml": C.NS_SAML}
# Default attribute names, first match wins: the short names, the WS-Federation claims (Entra,
# ADFS), and the `urn:oid:` names of X.500/LDAP and eduPerson (Shibboleth, SimpleSAMLphp,
# pysaml2 send these by default). eduPersonPrincipalName is scoped `user@domain`: an email only
# when nothing better is sent.
EMAIL_ATTRIBUTES = (
    "email",
    "mail",
    "emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",  # mail
    "eduPersonPrincipalName",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",  # eduPersonPrincipalName
)
FIRST_NAME_ATTRIBUTES = (
    "firstName",
    "givenName",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",  # givenName
)
LAST_NAME_ATTRIBUTES = (
    "lastName",
    "sn",
    "surname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",  # sn
)
GROUP_ATTRIBUTES = (
    "groups",
    "memberOf",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    "urn:oid:1.2.840.113556.1.2.102",  # memberOf
    "isMemberOf",
    "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",  # isMemberOf
)
E = OneLogin_Saml2_ValidationError
# python3-saml's refusal codes, as the reasons in the HTTP answer and the sso_failed event.
REASONS = {
    E.UNSUPPORTED_SAML_VERSION: "malformed_response",
    E.MISSING_ID: "malformed_response",
    E.INVALID_XML_FORMAT: "malformed_response",
    E.MISSING_STATUS: "malformed_response",
    E.MISSING_STATUS_CODE: "malformed_response",
    E.STATUS_CODE_IS_NOT_SUCCESS: "idp_error",
    E.WRONG_NUMBER_OF_ASSERTIONS: "wrong_number_of_assertions",
    E.WRONG_SIGNED_ELEMENT: "invalid_signed_element",
    E.ID_NOT_FOUND_IN_SIGNED_ELEMENT: "invalid_signed_element",
    E.DUPLICATED_ID_IN_SIGNED_ELEMENTS: "invalid_signed_element",
    E.INVALID_SIGNED_ELEMENT: "invalid_signed_element",
    E.DUPLICATED_REFERENCE_IN_SIGNED_ELEMENTS: "invalid_signed_element",
    E.UNEXPECTED_SIGNED_ELEMENTS: "invalid_signed_element",
    E.WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE: "invalid_signed_element",
    E.WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION: "invalid_signed_element",
    E.WRONG_NUMBER_OF_SIGNATURES: "invalid_signed_element",
    E.NO_SIGNATURE_FOUND: "unsigned_response",
    E.NO_SIGNED_ASSERTION: "unsigned_response",
    E.NO_SIGNED_MESSAGE: "unsigned_response",
    E.INVALID_SIGNATURE: "invalid_signature",
    E.DEPRECATED_SIGNATURE_METHOD: "deprecated_algorithm",
    E.DEPRECATED_DIGEST_METHOD: "deprecated_algorithm",
    E.WRONG_INRESPONSETO: "wrong_in_response_to",
    E.MISSING_CONDITIONS: "missing_conditions",
    E.ASSERTION_TOO_EARLY: "not_yet_valid",
    E.ASSERTION_EXPIRED: "assertion_expired",
    E.RESPONSE_EXPIRED: "assertion_expired",
    E.SESSION_EXPIRED: "session_expired",
    E.WRONG_NUMBER_OF_AUTHSTATEMENTS: "missing_authn_statement",
    E.ENCRYPTED_ATTRIBUTES: "encrypted_attributes_unsupported",
    E.WRONG_DESTINATION: "wrong_destination",
    E.EMPTY_DESTINATION: "wrong_destination",
    E.WRONG_AUDIENCE: "wrong_audience",
    E.ISSUER_MULTIPLE_IN_RESPONSE: "wrong_issuer",
    E.ISSUER_NOT_FOUND_IN_ASSERTION: "wrong_issuer",
    E.WRONG_ISSUER: "wrong_issuer",
    E.WRONG_SUBJECTCONFIRMATION: "invalid_subject_confirmation",
    E.KEYINFO_NOT_FOUND_IN_ENCRYPTED_DATA: "decryption_failed",
    E.CHILDREN_NODE_NOT_FOUND_IN_KEYINFO: "decryption_failed",
    E.UNSUPPORTED_RETRIEVAL_METHOD: "decryption_failed",
    E.NO_NAMEID: "missing_name_id",
    E.EMPTY_NAMEID: "missing_name_id",
    E.DUPLICATED_ATTRIBUTE_NAME_FOUND: "malformed_response",
}


def _settings(
    conn: Connection, settings: Settings, signing: SpKey | None = None
) -> OneLogin_Saml2_Settings:
    urls = sp_urls(settings, conn.id)
    certs = [c["certificate"] for c in conn.saml_idp_certificates]
    sp: dict[str, Any] = {
        "entityId": urls.entity_id,
        "assertionConsumerService": {"url": urls.acs_url, "binding": C.BINDING_HTTP_POST},
        "NameIDFormat": conn.saml_name_id_format or C.NAMEID_UNSPECIFIED,
    }
    if signing is not None:
        sp["x509cert"] = signing.certificate
        sp["privateKey"] = signing.private_key_pem
    data: dict[str, Any] = {
        "strict": True,
        "debug": False,
        "sp": sp,
        "idp": {
            "entityId": conn.saml_idp_entity_id or "",
            "singleSignOnService": {
                "url": conn.saml_idp_sso_url or "",
                "binding": C.BINDING_HTTP_REDIRECT,
            },
            # Several certificates: either one's signature is accepted (rotation, SECURITY 12).
            "x509certMulti": {"signing": certs},
        },
        "security": {
            # The Response's or the Assertion's signature (checked in `validate`, step 1).
            "wantAssertionsSigned": False,
            "wantMessagesSigned": False,
            # HTTP-Redirect binding signature over SAMLRequest, RelayState, SigAlg (§3.4.4.1).
            "authnRequestsSigned": bool(conn.saml_sign_authn_requests and signing),
            "wantNameId": True,
            "wantAttributeStatement": False,
            "rejectDeprecatedAlgorithm": not conn.saml_allow_sha1,
            "requestedAuthnContext": False,
            "signatureAlgorithm": C.RSA_SHA256,
            "digestAlgorithm": C.SHA256,
        },
    }
    return OneLogin_Saml2_Settings(data, sp_validation_only=True)


def _request_data(
    settings: Settings, url: str, post: dict[str, str] | None = None
) -> dict[str, Any]:
    """python3-saml's view of "this request", built from the configured URL only."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    return {
        "https": "on" if https else "off",
        "http_host": parts.netloc,
        "script_name": parts.path,
        "get_data": {},
        "post_data": post or {},
    }


def _signing_key(conn: Connection, settings: Settings) -> SpKey | None:
    keys = sp_keys(conn, settings.secret_key)
    return keys[0] if keys else None


def authn_request(conn: Connection, settings: Settings, login_hint: str | None) -> tuple[str, str]:
    """SP-initiated: the IdP URL carrying an AuthnRequest (HTTP-Redirect binding) and its ID,
    signed with the connection's current SP key where the connection asks for it."""
    urls = sp_urls(settings, conn.id)
    signing = _signing_key(conn, settings) if conn.saml_sign_authn_requests else None
    auth = OneLogin_Saml2_Auth(
        _request_data(settings, urls.acs_url), _settings(conn, settings, signing)
    )
    # RelayState carries nothing: the redirect target comes from the stored request (13c).
    url = auth.login(return_to="", name_id_value_req=login_hint or None)
    return url, auth.get_last_request_id()


def metadata_xml(conn: Connection, settings: Settings) -> str:
    """SP metadata with a signing and an encryption KeyDescriptor for each of the connection's
    keys (both during a rotation), the signing key first."""
    sp = _settings(conn, settings).get_sp_data()
    xml = OneLogin_Saml2_Metadata.builder(
        sp, authnsign=bool(conn.saml_sign_authn_requests), wsign=True
    )
    # Each call inserts at the top: the last one added ends up first.
    for row in reversed(conn.saml_sp_keys or []):
        xml = OneLogin_Saml2_Metadata.add_x509_key_descriptors(
            xml, row["certificate"], add_encryption=True
        )
    return xml.decode() if isinstance(xml, bytes) else str(xml)


class _Response(OneLogin_Saml2_Response):
    """python3-saml's Response, decrypting with any of the connection's SP keys."""

    def __init__(self, settings: OneLogin_Saml2_Settings, raw_b64: str, keys: list[SpKey]) -> None:
        self._sp_keys = keys
        super().__init__(settings, raw_b64)

    def _decrypt_assertion(self, xml: Any) -> Any:
        if not self._sp_keys:
            raise SignInRefused(
                "no_decryption_key", "The assertion is encrypted but this connection has no key."
            )
        try:
            return decrypt_assertion(xml, [k.private_key_pem for k in self._sp_keys])
        except DecryptionRefused as e:
            raise SignInRefused(e.reason, e.message) from None


def _check(response: _Response, request_data: dict[str, Any], request_id: str | None) -> None:
    try:
        response.is_valid(request_data, request_id=request_id, raise_exceptions=True)
    except OneLogin_Saml2_ValidationError as e:
        raise SignInRefused(REASONS.get(e.code, "invalid_saml_response"), str(e)[:200]) from None
    except SignInRefused:
        raise
    except Exception as e:  # noqa: BLE001 - python3-saml raises several types; all mean "invalid"
        raise SignInRefused("invalid_saml_response", str(e)[:200]) from None


def _checked(
    response: _Response,
    saml_settings: OneLogin_Saml2_Settings,
    request_data: dict[str, Any],
    request_id: str | None,
    extra_checks: Callable[[], None],
) -> None:
    """Refuse with the first reason of, in order: (1) the signatures (a forged or altered
    response is refused as such, before its conditions are looked at), (2) Gatehouse's own
    conditions, read from the signed element, (3) everything else python3-saml checks in
    strict mode (issuer, InResponseTo, schema, statements).

    Strict mode checks the signatures too, after the rest, so a response that passes it
    passes (1): a valid response takes one pass, not two (each verifies every signature). A
    refused one is checked again without strict mode, to learn whether its signatures were
    the reason."""
    saml_settings.set_strict(True)
    try:
        _check(response, request_data, request_id)
    except SignInRefused:
        saml_settings.set_strict(False)
        _check(response, request_data, request_id)
        extra_checks()
        raise
    extra_checks()


@dataclass(frozen=True, slots=True)
class ValidatedAssertion:
    profile: SsoProfile
    assertion_id: str
    expires_at: datetime


def unverified_in_response_to(raw_b64: str, settings: Settings) -> str | None:
    """InResponseTo read before validation, only to find the stored request it names."""
    root = check_document(decode_response(raw_b64, settings.sso_max_response_bytes))
    value = root.get("InResponseTo")
    if value is None:
        nodes = root.xpath(
            "/samlp:Response/saml:Assertion/saml:Subject/saml:SubjectConfirmation"
            "/saml:SubjectConfirmationData/@InResponseTo",
            namespaces=NS,
        )
        value = str(nodes[0]) if nodes else None
    return value


def _first(
    attributes: dict[str, list[str]], names: tuple[str, ...], mapped: str | None
) -> str | None:
    for name in (mapped, *names) if mapped else names:
        values = attributes.get(name)
        if values:
            return str(values[0])
    return None


def validate(
    conn: Connection, raw_b64: str, settings: Settings, request_id: str | None, now: datetime
) -> ValidatedAssertion:
    urls = sp_urls(settings, conn.id)
    check_document(decode_response(raw_b64, settings.sso_max_response_bytes))
    saml_settings = _settings(conn, settings)
    try:
        response = _Response(saml_settings, raw_b64, sp_keys(conn, settings.secret_key))
    except (SignInRefused, UnsafeXml):
        raise
    except OneLogin_Saml2_ValidationError as e:
        raise SignInRefused(REASONS.get(e.code, "decryption_failed"), str(e)[:200]) from None
    except (OneLogin_Saml2_Error, Exception) as e:  # noqa: BLE001 - never a 500 (issue 20)
        raise SignInRefused("malformed_response", str(e)[:200]) from None
    request_data = _request_data(settings, urls.acs_url, {"SAMLResponse": raw_b64})
    _checked(
        response,
        saml_settings,
        request_data,
        request_id,
        extra_checks=lambda: _extra_checks(response, urls, settings, now),
    )
    # python3-saml is untyped: attribute name → values (strings; dicts for NameID values).
    attributes: dict[str, list[Any]] = response.get_attributes()
    mapping = conn.saml_attribute_mapping or {}
    name_id = response.get_nameid()
    email = _first(attributes, EMAIL_ATTRIBUTES, mapping.get("email")) or name_id
    if not name_id or "@" not in (email or ""):
        raise SignInRefused("missing_email", "The assertion carries no email.")
    named = mapping.get("groups") or conn.groups_claim
    groups = (
        attributes.get(named, [])
        if named
        else next((attributes[g] for g in GROUP_ATTRIBUTES if g in attributes), [])
    )
    profile = SsoProfile(
        subject=name_id,
        email=email,
        # The organization's own IdP asserts it; linking still needs the org's verified domain.
        email_verified=True,
        first_name=_first(attributes, FIRST_NAME_ATTRIBUTES, mapping.get("first_name")),
        last_name=_first(attributes, LAST_NAME_ATTRIBUTES, mapping.get("last_name")),
        groups=[str(g) for g in groups],
        raw_attributes={k: [str(x) for x in v] for k, v in attributes.items()},
    )
    # Present: `_extra_checks` refuses a confirmation without it. The replay cache keeps the
    # assertion ID until the assertion can no longer be accepted.
    not_after = response.get_assertion_not_on_or_after()
    if not_after is None:
        raise SignInRefused(
            "missing_not_on_or_after", "SubjectConfirmationData has no NotOnOrAfter."
        )
    assertion_id = response.get_assertion_id()
    if len(assertion_id) > MAX_ASSERTION_ID:
        raise SignInRefused("malformed_response", "The assertion ID is too long.")
    return ValidatedAssertion(
        profile=profile,
        assertion_id=assertion_id,
        expires_at=datetime.fromtimestamp(not_after, UTC)
        + timedelta(seconds=settings.sso_clock_skew_seconds),
    )


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(OneLogin_Saml2_Utils.parse_SAML_to_time(value), UTC)
    except Exception:  # noqa: BLE001 - python3-saml raises a bare Exception for a bad format
        raise SignInRefused("malformed_response", "A time is not in SAML's format.") from None


def _extra_checks(
    response: OneLogin_Saml2_Response, urls: SpUrls, settings: Settings, now: datetime
) -> None:
    """What python3-saml checks only when present (13a), read from the signed assertion."""
    if response.document.get("Destination") != urls.acs_url:
        raise SignInRefused("wrong_destination", "Destination is missing or not this ACS.")
    audiences = response.get_audiences()
    if not audiences or urls.entity_id not in audiences:
        raise SignInRefused("wrong_audience", "Audience is missing or not this SP.")
    nodes = response._query_assertion(  # noqa: SLF001 - queries the signed assertion only
        "/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData"
    )
    if not nodes or any(n.get("Recipient") != urls.acs_url for n in nodes):
        raise SignInRefused("wrong_recipient", "Recipient is missing or not this ACS.")
    # SAML profiles 4.1.4.2: a bearer confirmation MUST carry NotOnOrAfter. Without it the
    # assertion never expires, and the replay cache (kept until then) could not protect it.
    if any(not n.get("NotOnOrAfter") for n in nodes):
        raise SignInRefused(
            "missing_not_on_or_after", "SubjectConfirmationData has no NotOnOrAfter."
        )
    # Our own skew (python3-saml's is a fixed 300 s): SAML core 2.5.1.2.
    skew = timedelta(seconds=settings.sso_clock_skew_seconds)
    for cond in response._query_assertion("/saml:Conditions"):  # noqa: SLF001
        not_before, not_after = _time(cond.get("NotBefore")), _time(cond.get("NotOnOrAfter"))
        if not_before and not_before > now + skew:
            raise SignInRefused("not_yet_valid", "The assertion is not valid yet.")
        if not_after and not_after + skew <= now:
            raise SignInRefused("assertion_expired", "The assertion has expired.")
