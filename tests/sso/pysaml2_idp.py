"""A second, independent SAML IdP for the tests: pysaml2 (which signs and encrypts by running
the xmlsec1 program), so interoperability is not only checked against our own fixture.

It is set up as an admin would: Gatehouse's connection is created from pysaml2's own IdP
metadata, and pysaml2 learns the SP (its ACS, its signing and encryption certificates) from
the metadata Gatehouse publishes."""

from __future__ import annotations

import base64
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.sigver import TRIPLE_DES_CBC
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from tests.sso.saml_idp import KeyPair, make_keypair

XMLSEC1 = shutil.which("xmlsec1")
ENTITY_ID = "https://pysaml2-idp.test/metadata"
SSO_URL = "https://pysaml2-idp.test/sso"
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
# pysaml2 encrypts with 3DES unless told otherwise; IdPs in the field use AES.
SESSION_KEYS = {
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc": "aes-128",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc": "aes-256",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm": "aes-128",
    "http://www.w3.org/2009/xmlenc11#aes256-gcm": "aes-256",
    TRIPLE_DES_CBC: "des-192",
}


@dataclass
class ParsedRequest:
    id: str
    signature_verified: bool


class Pysaml2Idp:
    def __init__(self, workdir: Path, keys: KeyPair | None = None) -> None:
        self.keys = keys or make_keypair("pysaml2 IdP")
        key_file, cert_file = workdir / "idp.key", workdir / "idp.crt"
        key_file.write_bytes(self.keys.key_pem)
        cert_file.write_bytes(self.keys.cert_pem)
        config = IdPConfig().load(
            {
                "entityid": ENTITY_ID,
                "xmlsec_binary": XMLSEC1,
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                "service": {
                    "idp": {
                        "endpoints": {"single_sign_on_service": [(SSO_URL, BINDING_HTTP_REDIRECT)]},
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                        "policy": {"default": {"lifetime": {"minutes": 5}}},
                        # Like an IdP set to require signed requests: an unsigned or badly
                        # signed AuthnRequest raises.
                        "want_authn_requests_signed": True,
                    }
                },
                "metadata": {},
                "delete_tmpfiles": True,
            }
        )
        self.server = Server(config=config)

    def metadata_xml(self) -> str:
        """The IdP metadata an admin downloads from the IdP and pastes into Gatehouse."""
        return str(create_metadata_string(None, config=self.server.config, sign=False).decode())

    def trust_sp(self, sp_metadata_xml: str) -> None:
        """What an admin does at the IdP: import the SP's metadata."""
        self.server.metadata.load("inline", sp_metadata_xml)

    def parse_request(self, location: str) -> ParsedRequest:
        """The AuthnRequest from an HTTP-Redirect URL; pysaml2 checks its signature, if any,
        with the signing certificate from the SP's metadata."""
        q = {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}
        request = self.server.parse_authn_request(
            q["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=q.get("RelayState"),
            sigalg=q.get("SigAlg"),
            signature=q.get("Signature"),
        )
        # want_authn_requests_signed: reaching here means the signature verified.
        return ParsedRequest(id=request.message.id, signature_verified=True)

    def respond(
        self,
        *,
        in_response_to: str | None,
        acs_url: str,
        sp_entity_id: str,
        identity: dict[str, list[str]],
        name_id: str = "alice@acme.com",
        encrypt: bool = False,
        cipher: str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
        sign_assertion: bool = True,
        sign_response: bool = False,
    ) -> bytes:
        """An AuthnResponse as pysaml2 builds it (attributes under their urn:oid names)."""
        if encrypt:
            self._encrypt_with(cipher)
        response = self.server.create_authn_response(
            identity,
            in_response_to,
            acs_url,
            sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=name_id),
            authn={"class_ref": PASSWORD_PROTECTED, "authn_auth": ENTITY_ID},
            sign_assertion=sign_assertion,
            sign_response=sign_response,
            encrypt_assertion=encrypt,
            encrypt_assertion_self_contained=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        return str(response).encode()

    def _encrypt_with(self, cipher: str) -> None:
        # pysaml2's own encryption (xmlsec1 --encrypt), with the cipher an IdP admin picks.
        sec = self.server.sec

        def encrypt(statement: Any, enc_key: str, template: Any, *_: Any, **kw: Any) -> Any:
            return sec.crypto.encrypt_assertion(
                statement,
                enc_key,
                str(template).replace(TRIPLE_DES_CBC, cipher),
                SESSION_KEYS[cipher],
                kw.get("node_xpath"),
            )

        sec.encrypt_assertion = encrypt


def b64(xml: bytes) -> str:
    return base64.b64encode(xml).decode()


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="pysaml2-idp-"))


__all__ = ["BINDING_HTTP_POST", "Pysaml2Idp", "b64", "workdir"]
