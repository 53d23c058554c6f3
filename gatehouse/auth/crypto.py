"""Secrets at rest (OIDC client secrets): AES-256-GCM under a key derived from the server key.

HKDF-SHA256 (RFC 5869) derives a purpose-bound 256-bit key from `GATEHOUSE_SECRET_KEY`
(`derive_key`), so the same server key can sign and encrypt without one use weakening the
other. Every ciphertext has a fresh 96-bit nonce; the associated data binds it to its row, so
a ciphertext copied onto another connection does not decrypt.
"""

from __future__ import annotations

import base64
import functools
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
NONCE_BYTES = 12


@functools.lru_cache(maxsize=16)
def derive_key(secret_key: str, purpose: bytes) -> bytes:
    """A 256-bit key for one purpose (`b"secrets-at-rest"`, `b"portal-csrf"`, …)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gatehouse", info=purpose).derive(
        secret_key.encode()
    )


def encrypt(secret_key: str, plaintext: str, associated: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(derive_key(secret_key, b"secrets-at-rest")).encrypt(
        nonce, plaintext.encode(), associated.encode()
    )
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(secret_key: str, token: str, associated: str) -> str:
    version, _, body = token.partition(".")
    if version != VERSION:
        raise ValueError("unknown ciphertext version")
    raw = base64.urlsafe_b64decode(body)
    return (
        AESGCM(derive_key(secret_key, b"secrets-at-rest"))
        .decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated.encode())
        .decode()
    )
