"""Domains: claims, DNS verification, and which organization owns an email's domain."""

from __future__ import annotations

from gatehouse.models import Domain, DomainState


def parent_domains(domain: str) -> list[str]:
    """`eu.acme.com` → [`eu.acme.com`, `acme.com`, `com`]: a verified parent covers children."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


async def verified_domain_for_email(email: str) -> Domain | None:
    """The verified domain (of any organization) that covers this email, most specific first."""
    _, _, host = email.strip().lower().rpartition("@")
    if not host:
        return None
    candidates = parent_domains(host.rstrip("."))
    rows = await Domain.filter(verified_domain__in=candidates, state=DomainState.VERIFIED)
    return max(rows, key=lambda d: len(d.domain), default=None)
