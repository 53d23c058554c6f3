"""A test SAML IdP: builds responses and signs them for real with xmlsec and its own keys."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"


@dataclass
class KeyPair:
    key_pem: bytes
    cert_pem: bytes

    @property
    def cert_b64(self) -> str:
        return "".join(
            line for line in self.cert_pem.decode().splitlines() if not line.startswith("-----")
        )


def make_keypair(cn: str = "Test IdP", *, days: int = 365, expired: bool = False) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    start, end = (
        (now - timedelta(days=30), now - timedelta(days=1))
        if expired
        else (
            now - timedelta(days=1),
            now + timedelta(days=days),
        )
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert.public_bytes(serialization.Encoding.PEM),
    )


def t(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Assertion:
    """What the IdP asserts; every field can be bent by an attack test."""

    destination: str | None
    audience: str | None
    recipient: str | None
    name_id: str = "alice@acme.com"  # raw XML text: a test may inject a comment
    in_response_to: str | None = None
    issuer: str = "https://idp.test/metadata"
    not_before: datetime | None = None
    not_on_or_after: datetime | None = None
    omit_not_on_or_after: bool = False  # an assertion that never expires
    attributes: dict[str, str | list[str]] = field(
        default_factory=lambda: {"email": "alice@acme.com", "firstName": "Alice", "lastName": "A"}
    )
    response_id: str = field(default_factory=lambda: "_r" + uuid.uuid4().hex)
    assertion_id: str = field(default_factory=lambda: "_a" + uuid.uuid4().hex)


def build(a: Assertion) -> bytes:
    now = datetime.now(UTC)
    nb = a.not_before or now - timedelta(seconds=30)
    noa = a.not_on_or_after or now + timedelta(minutes=5)
    irt = f' InResponseTo="{a.in_response_to}"' if a.in_response_to else ""
    dest = f' Destination="{a.destination}"' if a.destination else ""
    recipient = f' Recipient="{a.recipient}"' if a.recipient else ""
    sc_noa = "" if a.omit_not_on_or_after else f' NotOnOrAfter="{t(noa)}"'
    audience = (
        f"<saml:AudienceRestriction><saml:Audience>{a.audience}</saml:Audience>"
        "</saml:AudienceRestriction>"
        if a.audience
        else ""
    )
    # A list is a multi-valued attribute (groups); an empty one an attribute with no value.
    attrs = "".join(
        f'<saml:Attribute Name="{k}">'
        + "".join(
            f"<saml:AttributeValue>{x}</saml:AttributeValue>"
            for x in (v if isinstance(v, list) else [v])
        )
        + "</saml:Attribute>"
        for k, v in a.attributes.items()
    )
    return f"""<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{a.response_id}" Version="2.0" IssueInstant="{t(now)}"{dest}{irt}><saml:Issuer>{a.issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="{a.assertion_id}" Version="2.0" IssueInstant="{t(now)}"><saml:Issuer>{a.issuer}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{a.name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData{irt}{sc_noa}{recipient}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{t(nb)}"{sc_noa}>{audience}</saml:Conditions><saml:AuthnStatement AuthnInstant="{t(now)}" SessionIndex="{a.assertion_id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attrs}</saml:AttributeStatement></saml:Assertion></samlp:Response>""".encode()


def sign_element(
    root: etree._Element, element: etree._Element, keys: KeyPair, *, sha1: bool = False
) -> None:
    """Enveloped XML-DSig over one element, inserted right after its Issuer (schema order)."""
    sig_alg = xmlsec.Transform.RSA_SHA1 if sha1 else xmlsec.Transform.RSA_SHA256
    digest = xmlsec.Transform.SHA1 if sha1 else xmlsec.Transform.SHA256
    signature = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N, sig_alg, ns="ds")
    element.insert(1, signature)
    ref = xmlsec.template.add_reference(signature, digest, uri="#" + element.get("ID"))
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    key_info = xmlsec.template.ensure_key_info(signature)
    xmlsec.template.add_x509_data(key_info)
    ctx = xmlsec.SignatureContext()
    key = xmlsec.Key.from_memory(keys.key_pem, xmlsec.KeyFormat.PEM)
    key.load_cert_from_memory(keys.cert_pem, xmlsec.KeyFormat.PEM)
    ctx.key = key
    ctx.register_id(element, "ID")
    ctx.sign(signature)


def assertion_of(root: etree._Element) -> etree._Element:
    return root.find(f"{{{SAML}}}Assertion")


def signed(
    a: Assertion,
    keys: KeyPair,
    *,
    sign_assertion: bool = True,
    sign_response: bool = False,
    sha1: bool = False,
) -> bytes:
    root = etree.fromstring(build(a))
    if sign_assertion:
        sign_element(root, assertion_of(root), keys, sha1=sha1)
    if sign_response:
        sign_element(root, root, keys, sha1=sha1)
    return etree.tostring(root)


def b64(xml: bytes) -> str:
    return base64.b64encode(xml).decode()


def verify_signature(xml: bytes, keys: KeyPair) -> None:
    """Bare xmlsec verification of the assertion signature (the benchmark's baseline)."""
    root = etree.fromstring(xml)
    assertion = assertion_of(root)
    signature = assertion.find(f"{{{DS}}}Signature")
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(keys.cert_pem, xmlsec.KeyFormat.CERT_PEM)
    ctx.register_id(assertion, "ID")
    ctx.verify(signature)


XENC = "http://www.w3.org/2001/04/xmlenc#"
CIPHERS = {
    "aes128-cbc": xmlsec.Transform.AES128,
    "aes256-cbc": xmlsec.Transform.AES256,
    "aes128-gcm": xmlsec.Transform.AES128_GCM,
    "aes256-gcm": xmlsec.Transform.AES256_GCM,
}
KEY_TRANSPORTS = {"rsa-oaep": xmlsec.Transform.RSA_OAEP, "rsa-1_5": xmlsec.Transform.RSA_PKCS1}


def pem_certificate(cert_b64: str) -> bytes:
    lines = [cert_b64[i : i + 64] for i in range(0, len(cert_b64), 64)]
    return (
        "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
    ).encode()


def encrypt_assertion(
    xml: bytes, sp_cert_b64: str, *, cipher: str = "aes256-gcm", key_transport: str = "rsa-oaep"
) -> bytes:
    """Replace the (already signed) Assertion with an EncryptedAssertion for the SP's
    certificate, as Okta, Entra and ADFS do: a fresh AES session key, RSA-wrapped."""
    root = etree.fromstring(xml)
    assertion = assertion_of(root)
    envelope = etree.Element(f"{{{SAML}}}EncryptedAssertion")
    assertion.addprevious(envelope)
    envelope.append(assertion)
    template = xmlsec.template.encrypted_data_create(
        root, CIPHERS[cipher], type=xmlsec.EncryptionType.ELEMENT, ns="xenc"
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, KEY_TRANSPORTS[key_transport])
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
    manager = xmlsec.KeysManager()
    manager.add_key(
        xmlsec.Key.from_memory(pem_certificate(sp_cert_b64), xmlsec.KeyFormat.CERT_PEM, None)
    )
    ctx = xmlsec.EncryptionContext(manager)
    bits = int(cipher[3:6])
    ctx.key = xmlsec.Key.generate(xmlsec.KeyData.AES, bits, xmlsec.KeyDataType.SESSION)
    ctx.encrypt_xml(template, assertion)
    return etree.tostring(root)


def sp_certificates(metadata_xml: str, use: str) -> list[str]:
    """The SP's certificates for `use` (signing or encryption), as the IdP reads its metadata."""
    root = etree.fromstring(metadata_xml.encode())
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    return [
        "".join(node.text.split())
        for node in root.iterfind(
            f".//{{{md}}}KeyDescriptor[@use='{use}']//{{{DS}}}X509Certificate"
        )
    ]


def verify_redirect_signature(location: str, sp_cert_b64: str) -> str:
    """What an IdP requiring signed requests does (SAML bindings §3.4.4.1): rebuild the signed
    octets from the query exactly as sent (SAMLRequest, RelayState, SigAlg, still URL-encoded)
    and check Signature with the SP's published certificate. Returns the SigAlg."""
    from urllib.parse import unquote_plus, urlsplit

    from cryptography.hazmat.primitives.asymmetric import padding

    raw = dict(part.split("=", 1) for part in urlsplit(location).query.split("&"))
    signed_octets = "&".join(
        f"{name}={raw[name]}" for name in ("SAMLRequest", "RelayState", "SigAlg") if name in raw
    ).encode()
    cert = x509.load_der_x509_certificate(base64.b64decode(sp_cert_b64))
    signature = base64.b64decode(unquote_plus(raw["Signature"]))
    sig_alg = unquote_plus(raw["SigAlg"])
    assert sig_alg == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", sig_alg
    cert.public_key().verify(signature, signed_octets, padding.PKCS1v15(), hashes.SHA256())
    return sig_alg
