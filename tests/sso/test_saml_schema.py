"""python3-saml's XML Schema check runs with each schema compiled once (sso/saml_schema.py),
and answers as the library's own check does. The ACS's refusal of a response outside the
schema is in test_saml_attacks.py."""

from __future__ import annotations

import pytest
from lxml import etree

from gatehouse.sso.saml_schema import LIBRARY_VALIDATE_XML, compiled, validate_xml
from tests.sso.saml_idp import Assertion, build

PROTOCOL = "saml-schema-protocol-2.0.xsd"
METADATA = "saml-schema-metadata-2.0.xsd"


def _response(**kw) -> bytes:
    return build(Assertion(destination="https://sp.test/acs", audience="sp", recipient="x", **kw))


DOCUMENTS = {
    "valid": _response(),
    # xs:ID is an NCName: it cannot start with a digit
    "bad_id": _response(response_id="1-not-an-ncname"),
    "unknown_element": _response().replace(b"<samlp:Status>", b"<samlp:Bogus/><samlp:Status>", 1),
    "not_xml": b"<samlp:Response",
}


@pytest.mark.parametrize("case", DOCUMENTS)
def test_answers_as_the_librarys_check(case):
    mine = validate_xml(DOCUMENTS[case], PROTOCOL)
    library = LIBRARY_VALIDATE_XML(DOCUMENTS[case], PROTOCOL)
    if isinstance(library, str):
        assert mine == library
    else:
        assert etree.tostring(mine) == etree.tostring(library)
    assert isinstance(mine, str) == (case != "valid")


def test_each_schema_is_compiled_once():
    compiled.cache_clear()
    for _ in range(3):
        for document in DOCUMENTS.values():
            validate_xml(document, PROTOCOL)
    assert compiled.cache_info().misses == 1
    assert compiled(METADATA) is compiled(METADATA)
    assert compiled.cache_info().misses == 2
