"""Delivery credentials at rest: webhook signing secrets and log-stream tokens.

They must be used in clear (to sign, to authenticate to Datadog or Splunk), so they cannot be
hashed like API keys; they are encrypted with the server key (AES-256-GCM, auth/crypto.py),
bound to their row's ID so a value copied onto another target does not decrypt.
"""

from __future__ import annotations

from gatehouse.auth.crypto import decrypt, encrypt
from gatehouse.models import LogStream


def seal(secret_key: str, value: str, target_id: str) -> str:
    return encrypt(secret_key, value, target_id)


def unseal(secret_key: str, sealed: str, target_id: str) -> str:
    return decrypt(secret_key, sealed, target_id)


def stream_token(stream: LogStream, secret_key: str) -> str | None:
    return unseal(secret_key, stream.token, stream.id) if stream.token else None
