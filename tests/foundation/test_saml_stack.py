"""lxml and xmlsec are pinned as a pair (same libxml2): both import and verify a signature."""

from __future__ import annotations

import datetime as dt

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree


def _key_and_cert() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-idp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def _signed(key_pem: bytes) -> etree._Element:
    doc = etree.fromstring(b'<root ID="r1"><data>hello</data></root>')
    signature = xmlsec.template.create(doc, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256)
    doc.insert(0, signature)
    ref = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri="#r1")
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    xmlsec.tree.add_ids(doc, ["ID"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(key_pem, xmlsec.KeyFormat.PEM)
    ctx.sign(signature)
    return doc


def _verify(doc: etree._Element, cert_pem: bytes) -> bool:
    xmlsec.tree.add_ids(doc, ["ID"])
    node = xmlsec.tree.find_node(doc, xmlsec.constants.NodeSignature)
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
    try:
        ctx.verify(node)
    except xmlsec.Error:
        return False
    return True


def test_lxml_and_xmlsec_share_libxml2_and_verify_signatures():
    assert etree.LIBXML_VERSION == etree.LIBXML_COMPILED_VERSION
    key_pem, cert_pem = _key_and_cert()
    doc = _signed(key_pem)
    assert _verify(doc, cert_pem)
    doc.find("data").text = "tampered"
    assert not _verify(doc, cert_pem)


def test_python3_saml_imports_with_the_pinned_pair():
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    assert OneLogin_Saml2_Utils.format_cert("MIIB").startswith("-----BEGIN CERTIFICATE-----")
