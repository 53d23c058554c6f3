"""The gate in front of python3-saml (SECURITY 10): size, DTDs, entities, depth, transforms,
repeated IDs.

Runs on the raw bytes before any SAML library parses them, so a billion-laughs document or an
XSLT transform is refused without expanding or executing anything.
"""

from __future__ import annotations

import base64
import binascii
import copy
import io
import re
import uuid

from lxml import etree

MAX_DEPTH = 40
DS = "http://www.w3.org/2000/09/xmldsig#"
# XML-DSig transforms SAML profiles use (SAML bindings 2.0 §5.4.4); XSLT/XPath never.
ALLOWED_TRANSFORMS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    }
)
TRANSFORM = f"{{{DS}}}Transform"
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXml(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_response(value: str, max_bytes: int) -> bytes:
    if len(value) > max_bytes * 4 // 3 + 4:
        raise UnsafeXml("response_too_large")
    try:
        raw = base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        raise UnsafeXml("malformed_response") from None
    if len(raw) > max_bytes:
        raise UnsafeXml("response_too_large")
    return raw


def check_document(raw: bytes) -> etree._Element:
    """Refuse DTDs and entities outright (SAML never needs them), then parse as a stream with
    every network and entity feature off, stopping at the first element past the depth limit."""
    if _DTD.search(raw):
        raise UnsafeXml("dtd_forbidden")
    depth, ids = 0, set()
    events = etree.iterparse(
        io.BytesIO(raw),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for event, element in events:
            if event == "end":
                depth -= 1
                continue
            depth += 1
            if depth > MAX_DEPTH:
                raise UnsafeXml("too_deep")
            if element.tag == TRANSFORM and element.get("Algorithm") not in ALLOWED_TRANSFORMS:
                raise UnsafeXml("transform_forbidden")
            # An ID names one element (xs:ID, collapsed as the schema reads it). With two,
            # which one a signature reference finds depends on which check registered IDs
            # first: the signature check registers every ID, the schema check only typed ones.
            if (value := element.get("ID")) is not None:
                if (key := value.strip()) in ids:
                    raise UnsafeXml("duplicate_id")
                ids.add(key)
    except etree.XMLSyntaxError:
        raise UnsafeXml("malformed_response") from None
    return events.root


XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
# What an EncryptedAssertion may use: AES-GCM or AES-CBC for the content, RSA-OAEP to carry the
# key. RSA PKCS#1 v1.5 key transport is refused (Bleichenbacher's oracle), as are named keys.
CONTENT_ALGORITHMS = frozenset(
    {
        XENC + "aes128-cbc",
        XENC + "aes192-cbc",
        XENC + "aes256-cbc",
        XENC11 + "aes128-gcm",
        XENC11 + "aes192-gcm",
        XENC11 + "aes256-gcm",
    }
)
KEY_TRANSPORT_ALGORITHMS = frozenset({XENC + "rsa-oaep-mgf1p", XENC11 + "rsa-oaep"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_ENC_NS = {"saml": SAML, "samlp": SAMLP, "xenc": XENC, "ds": DS}


class DecryptionRefused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _algorithm(node: etree._Element) -> str | None:
    method = node.find(f"{{{XENC}}}EncryptionMethod")
    return method.get("Algorithm") if method is not None else None


def _check_algorithms(encrypted: etree._Element) -> None:
    data = encrypted.find(f"{{{XENC}}}EncryptedData")
    if data is None:
        raise DecryptionRefused("decryption_failed", "EncryptedAssertion has no EncryptedData.")
    if _algorithm(data) not in CONTENT_ALGORITHMS:
        raise DecryptionRefused(
            "unsupported_encryption_algorithm", "The assertion's cipher is not AES-GCM or AES-CBC."
        )
    keys = encrypted.xpath(".//xenc:EncryptedKey", namespaces=_ENC_NS)
    if not keys:
        raise DecryptionRefused("decryption_failed", "The assertion carries no EncryptedKey.")
    if any(_algorithm(k) not in KEY_TRANSPORT_ALGORITHMS for k in keys):
        raise DecryptionRefused(
            "unsupported_encryption_algorithm", "The assertion's key transport is not RSA-OAEP."
        )


def _decrypt_with(document: etree._Element, pem: str) -> etree._Element | None:
    """A decrypted copy of the document, or None when this key does not open it."""
    import xmlsec  # python3-saml's own dependency, untyped

    candidate = copy.deepcopy(document)
    node = candidate.xpath("/samlp:Response/saml:EncryptedAssertion", namespaces=_ENC_NS)[0]
    data = node.find(f"{{{XENC}}}EncryptedData")
    key_info = data.find(f"{{{DS}}}KeyInfo")
    if key_info is None:
        key_info = etree.SubElement(data, f"{{{DS}}}KeyInfo")
    # Okta and pysaml2 put EncryptedKey beside EncryptedData, not inside its KeyInfo.
    for sibling in node.findall(f"{{{XENC}}}EncryptedKey"):
        key_info.append(sibling)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(pem.encode(), xmlsec.constants.KeyDataFormatPem, None))
    try:
        decrypted = xmlsec.EncryptionContext(manager).decrypt(data)
    except xmlsec.Error:
        return None
    if getattr(decrypted, "tag", None) != f"{{{SAML}}}Assertion":
        raise DecryptionRefused("decryption_failed", "The encrypted content is no Assertion.")
    # The decrypted Assertion took EncryptedData's place; it replaces its envelope too. Not with
    # lxml's replace(): moving the element re-prefixes its names onto the ancestors'
    # declarations, and a signature over exclusive c14n (which keeps prefixes) then breaks
    # (pysaml2 declares its own). The document is rebuilt from text instead.
    assertion = etree.tostring(decrypted)  # first: detaching the envelope re-prefixes too
    marker = f"gatehouse-decrypted-{uuid.uuid4().hex}"
    node.getparent().replace(node, etree.Comment(marker))
    text = etree.tostring(candidate).replace(f"<!--{marker}-->".encode(), assertion, 1)
    return etree.fromstring(text, _PARSER)


def decrypt_assertion(document: etree._Element, private_keys_pem: list[str]) -> etree._Element:
    """The Response with its one EncryptedAssertion replaced by the decrypted Assertion, trying
    each key in turn (a rotation's old and new key). The result passes `check_document` again:
    anyone holding our public certificate can encrypt, so the inside is as untrusted as the
    outside until its signature is checked."""
    encrypted = document.xpath("/samlp:Response/saml:EncryptedAssertion", namespaces=_ENC_NS)
    if len(encrypted) != 1:
        raise DecryptionRefused("wrong_number_of_assertions", "One EncryptedAssertion expected.")
    _check_algorithms(encrypted[0])
    for pem in private_keys_pem:
        candidate = _decrypt_with(document, pem)
        if candidate is not None:
            check_document(etree.tostring(candidate))
            return candidate
    raise DecryptionRefused(
        "decryption_failed", "The assertion is encrypted to a key this connection does not have."
    )
