"""The gate in front of python3-saml (SECURITY 10): size, DTDs, entities, depth, transforms.

Runs on the raw bytes before any SAML library parses them, so a billion-laughs document or an
XSLT transform is refused without expanding or executing anything.
"""

from __future__ import annotations

import base64
import binascii
import io
import re

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
    depth = 0
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
    except etree.XMLSyntaxError:
        raise UnsafeXml("malformed_response") from None
    return events.root
