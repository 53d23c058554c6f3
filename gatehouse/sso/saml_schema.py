"""python3-saml's XML Schema check, with each schema compiled once instead of per response.

In strict mode python3-saml validates every SAML response against
saml-schema-protocol-2.0.xsd (and metadata against its own schema). Its `validate_xml` reads the
schema file and compiles it, with the assertion and XML-DSig schemas it imports, every time:
profiled on the ACS (bench/bench_sso.py) that compilation was the largest single cost of
validating a response, more than the signature check. The check itself is unchanged: the same
schema files, the same answers ('unloaded_xml', 'invalid_xml' or the parsed document), which
python3-saml turns into its own errors as before.

Compiled schemas are shared by every request of the process; lxml's XMLSchema keeps no state
between `validate` calls that one call could leave for the next, and the event loop makes them
one at a time (nothing here validates in a thread).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree
from onelogin.saml2 import xml_utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

SCHEMAS = Path(xml_utils.__file__).parent / "schemas"
LIBRARY_VALIDATE_XML = OneLogin_Saml2_XML.validate_xml  # the original, which tests compare with


@cache
def compiled(name: str) -> etree.XMLSchema:
    """The schema python3-saml names `name`, parsed with its imports and compiled."""
    # The path, not the text: imports resolve relative to the schema file, as the library's do.
    return OneLogin_Saml2_XML._schema_class(etree.parse(str(SCHEMAS / name)))  # noqa: SLF001


def validate_xml(xml: Any, schema: str, debug: bool = False) -> Any:
    """`OneLogin_Saml2_XML.validate_xml`'s contract, with the schema compiled once."""
    try:
        document = OneLogin_Saml2_XML.to_etree(xml)
    except Exception:  # noqa: BLE001 - the library answers any parse failure this way
        return "unloaded_xml"
    if not compiled(schema).validate(document):
        return "invalid_xml"
    return document


def use_compiled_schemas() -> None:
    """Route python3-saml's schema checks through `validate_xml` (it looks the method up on
    the class at each call)."""
    OneLogin_Saml2_XML.validate_xml = staticmethod(validate_xml)


__all__ = ["compiled", "use_compiled_schemas", "validate_xml"]
