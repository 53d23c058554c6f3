"""SAML 2.0 service provider, one per connection, on python3-saml in strict mode.

python3-saml checks signatures, XSW shapes, conditions and algorithms; Gatehouse adds what it
leaves optional (SECURITY 13a-13c): Destination, Audience and Recipient must be present and
equal this connection's own URLs, InResponseTo must name a request this SP sent for this
connection, and the SP URLs come from GATEHOUSE_BASE_URL, never from the request's Host.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.metadata import OneLogin_Saml2_Metadata
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from gatehouse.models import Connection
from gatehouse.resolvers.sso.endpoints import SpUrls, sp_urls
from gatehouse.resolvers.sso.sign_in import SignInRefused, SsoProfile
from gatehouse.settings import Settings
from gatehouse.sso.saml_xml import check_document, decode_response

NS = {"samlp": C.NS_SAMLP, "saml": C.NS_SAML}
EMAIL_ATTRIBUTES = (
    "email",
    "mail",
    "emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
)
FIRST_NAME_ATTRIBUTES = (
    "firstName",
    "givenName",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
)
LAST_NAME_ATTRIBUTES = (
    "lastName",
    "sn",
    "surname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
)
GROUP_ATTRIBUTES = (
    "groups",
    "memberOf",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
)


def _settings(conn: Connection, settings: Settings) -> OneLogin_Saml2_Settings:
    urls = sp_urls(settings, conn.id)
    certs = [c["certificate"] for c in conn.saml_idp_certificates]
    data: dict[str, Any] = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": urls.entity_id,
            "assertionConsumerService": {"url": urls.acs_url, "binding": C.BINDING_HTTP_POST},
            "NameIDFormat": conn.saml_name_id_format or C.NAMEID_UNSPECIFIED,
        },
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
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,
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


def authn_request(conn: Connection, settings: Settings, login_hint: str | None) -> tuple[str, str]:
    """SP-initiated: the IdP URL carrying an AuthnRequest (HTTP-Redirect binding) and its ID."""
    urls = sp_urls(settings, conn.id)
    auth = OneLogin_Saml2_Auth(_request_data(settings, urls.acs_url), _settings(conn, settings))
    # RelayState carries nothing: the redirect target comes from the stored request (13c).
    url = auth.login(return_to="", name_id_value_req=login_hint or None)
    return url, auth.get_last_request_id()


def metadata_xml(conn: Connection, settings: Settings) -> str:
    sp = _settings(conn, settings).get_sp_data()
    return OneLogin_Saml2_Metadata.builder(sp, authnsign=False, wsign=True)


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
    response = OneLogin_Saml2_Response(_settings(conn, settings), raw_b64)
    try:
        response.is_valid(
            _request_data(settings, urls.acs_url, {"SAMLResponse": raw_b64}),
            request_id=request_id,
            raise_exceptions=True,
        )
    except Exception as e:  # noqa: BLE001 - python3-saml raises several types; all mean "invalid"
        raise SignInRefused("invalid_saml_response", str(e)[:200]) from None
    _extra_checks(response, urls, settings, now)
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
    return ValidatedAssertion(
        profile=profile,
        assertion_id=response.get_assertion_id(),
        expires_at=datetime.fromtimestamp(not_after, UTC)
        + timedelta(seconds=settings.sso_clock_skew_seconds),
    )


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(OneLogin_Saml2_Utils.parse_SAML_to_time(value), UTC)


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
            raise SignInRefused("expired", "The assertion has expired.")
