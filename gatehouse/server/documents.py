"""Persisted documents: Apollo's automatic persisted queries (APQ), and trusted documents.

APQ (Apollo's protocol, `extensions.persistedQuery = {version: 1, sha256Hash}`): a client sends
only the hash; on a miss it is told `PersistedQueryNotFound` and sends the hash with the text,
which is registered once it has run (so only documents that parse and validate take a place in
the bounded, per-process cache).

Trusted documents (GATEHOUSE_TRUSTED_DOCUMENTS, a JSON manifest `{sha256: document}` as
graphql-codegen's client preset writes it with `persistedDocuments: true`): only listed
documents run, named by hash (`documentId`, `extensions.persistedQuery`) or sent as their exact
text; anything else is refused before it is parsed. APQ registration is off in that mode.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatehouse.schema.validation import LRU

APQ_CACHE_SIZE = 2000
_SHA256 = re.compile(r"[0-9a-f]{64}")

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"


class DocumentRefused(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class TrustedDocumentsError(Exception):
    """The manifest cannot be read: the server refuses to start rather than run open."""


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_manifest(path: str) -> dict[str, str]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TrustedDocumentsError(f"GATEHOUSE_TRUSTED_DOCUMENTS: cannot read {path}: {e}") from e
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise TrustedDocumentsError(
            "GATEHOUSE_TRUSTED_DOCUMENTS must be a JSON object of hash → document."
        )
    manifest: dict[str, str] = {}
    for key, document in raw.items():
        digest = _bare_hash(key)
        if digest is None or sha256_of(document) != digest:
            # A hash that does not match its text would let the text named by the hash differ
            # from what was reviewed.
            raise TrustedDocumentsError(
                f"GATEHOUSE_TRUSTED_DOCUMENTS: {key[:80]} is not the SHA-256 of its document."
            )
        manifest[digest] = document
    return manifest


def _bare_hash(value: str) -> str | None:
    # GraphQL-over-HTTP's persisted documents name hashes `sha256:<hex>`; codegen writes bare hex.
    value = value.removeprefix("sha256:")
    return value if _SHA256.fullmatch(value) else None


@dataclass(frozen=True, slots=True)
class Resolved:
    query: str
    # The hash to register once the document has run (APQ with text), or None.
    register: str | None = None


class PersistedDocuments:
    def __init__(self, trusted: dict[str, str] | None) -> None:
        self.trusted = trusted
        self.trusted_texts = frozenset(trusted.values()) if trusted is not None else frozenset()
        self._apq: LRU[str, str] = LRU(APQ_CACHE_SIZE)

    @property
    def trusted_only(self) -> bool:
        return self.trusted is not None

    def resolve(
        self, query: str | None, extensions: dict[str, Any] | None, document_id: object
    ) -> Resolved | None:
        """The document text to run, or None when the request names none (Strawberry then
        answers its own "no query" error)."""
        query = query or None  # an empty text names no document (graphql-ws needs the key)
        digest = self._requested_hash(extensions, document_id)
        if self.trusted is not None:
            return self._trusted(query, digest)
        if digest is None:
            return Resolved(query) if query is not None else None
        if query is None:
            known = self._apq.get(digest)
            if known is None:
                # Apollo's link reads this message and code, then sends the text with the hash.
                raise DocumentRefused(NOT_FOUND, NOT_FOUND_MESSAGE, status=200)
            return Resolved(known)
        if sha256_of(query) != digest:
            raise DocumentRefused(
                "PERSISTED_QUERY_HASH_MISMATCH", "provided sha does not match query"
            )
        return Resolved(query, register=digest)

    def register(self, digest: str, query: str) -> None:
        if self.trusted is None:
            self._apq.put(digest, query)

    def _trusted(self, query: str | None, digest: str | None) -> Resolved | None:
        assert self.trusted is not None
        if digest is not None:
            document = self.trusted.get(digest)
            if document is None:
                raise DocumentRefused(NOT_FOUND, NOT_FOUND_MESSAGE, status=200)
            if query is not None and query != document:
                raise DocumentRefused(
                    "PERSISTED_QUERY_HASH_MISMATCH", "provided sha does not match query"
                )
            return Resolved(document)
        if query is None:
            return None
        # Compared as text, never parsed: an unlisted document costs a set lookup.
        if query not in self.trusted_texts:
            raise DocumentRefused(
                "TRUSTED_DOCUMENT_REQUIRED",
                "This server runs only its trusted documents; send a listed document's hash.",
            )
        return Resolved(query)

    @staticmethod
    def _requested_hash(extensions: dict[str, Any] | None, document_id: object) -> str | None:
        if document_id is not None:
            digest = _bare_hash(document_id) if isinstance(document_id, str) else None
            if digest is None:
                raise DocumentRefused(
                    "PERSISTED_QUERY_INVALID", "`documentId` must be sha256:<64 hex digits>."
                )
            return digest
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return None
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            # Apollo's link stops sending hashes to a server that says this.
            raise DocumentRefused(
                "PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported: use version 1."
            )
        raw = persisted.get("sha256Hash")
        digest = _bare_hash(raw) if isinstance(raw, str) else None
        if digest is None:
            raise DocumentRefused(
                "PERSISTED_QUERY_INVALID", "`sha256Hash` must be 64 lower-case hex digits."
            )
        return digest
