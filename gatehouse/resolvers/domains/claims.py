"""Claiming a domain for an organization: the rules shared by `addDomain` and
`createOrganization(domains:)`. Kept apart from lifecycle.py so organizations.py
can use it without an import cycle."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from gatehouse.events import record_event
from gatehouse.models import Domain, DomainState
from gatehouse.resolvers.domains.names import (
    DomainName,
    InvalidDomain,
    normalize_domain,
    parent_domains,
)
from gatehouse.resolvers.errors import DomainError, ErrorCode, FieldError

MAX_DOMAINS_PER_ORGANIZATION = 100
FIRST_CHECK_DELAY = timedelta(minutes=1)


def now() -> datetime:
    """The clock for domain timestamps; tests move it instead of sleeping."""
    return datetime.now(UTC)


def domain_data(domain: Domain) -> dict[str, Any]:
    """Event payload: public facts only (the token is published in DNS, but stays out anyway)."""
    return {
        "id": domain.id,
        "organization_id": domain.organization_id,
        "domain": domain.domain,
        "state": domain.state.value,
        "strategy": domain.strategy.value,
        "failure_reason": domain.failure_reason,
        "enrollment": domain.enrollment.value,
    }


def taken_error(*field: str) -> DomainError:
    return DomainError.of(
        ErrorCode.DOMAIN_TAKEN,
        "This domain (or a domain it belongs to) is verified by another organization.",
        *field,
    )


async def verified_elsewhere(ascii_name: str, organization_id: str | None) -> bool:
    """Whether another organization verified this domain or one of its parents."""
    query = Domain.filter(verified_domain__in=parent_domains(ascii_name))
    if organization_id is not None:
        query = query.exclude(organization_id=organization_id)
    return await query.exists()


async def check_claims(
    values: list[str], organization_id: str | None, field: str, *, indexed: bool
) -> list[DomainName]:
    """Normalize each domain and refuse the unclaimable; every error at once, by position."""
    errors: list[FieldError] = []
    names: list[DomainName] = []
    for index, value in enumerate(values):
        at = (field, str(index)) if indexed else (field,)
        try:
            name = normalize_domain(value)
        except InvalidDomain as e:
            errors.append(e.field_error(*at))
            continue
        if name.ascii in {n.ascii for n in names}:
            errors.append(FieldError(ErrorCode.DOMAIN_ALREADY_ADDED, "Listed twice.", at))
        elif await verified_elsewhere(name.ascii, organization_id):
            errors.extend(taken_error(*at).errors)
        names.append(name)
    if len(values) > MAX_DOMAINS_PER_ORGANIZATION:
        errors.append(
            FieldError(
                ErrorCode.TOO_MANY_DOMAINS,
                f"At most {MAX_DOMAINS_PER_ORGANIZATION} domains per organization.",
                (field,),
            )
        )
    if errors:
        raise DomainError(*errors)
    return names


async def create_claim(organization_id: str, name: DomainName, *field: str) -> Domain:
    """A PENDING claim with a fresh token, and its event. Call inside a transaction."""
    if await Domain.filter(organization_id=organization_id).count() >= (
        MAX_DOMAINS_PER_ORGANIZATION
    ):
        raise DomainError.of(
            ErrorCode.TOO_MANY_DOMAINS,
            f"At most {MAX_DOMAINS_PER_ORGANIZATION} domains per organization.",
            *field,
        )
    if await Domain.filter(organization_id=organization_id, domain=name.ascii).exists():
        raise already_added(*field)
    at = now()
    try:
        domain = await Domain.create(
            organization_id=organization_id,
            domain=name.ascii,
            state=DomainState.PENDING,
            token=secrets.token_urlsafe(32),
            pending_since=at,
            next_check_at=at + FIRST_CHECK_DELAY,
        )
    except IntegrityError as e:  # the same claim added concurrently
        raise already_added(*field) from e
    await record_event("organization_domain.created", organization_id, domain_data(domain))
    return domain


def already_added(*field: str) -> DomainError:
    return DomainError.of(
        ErrorCode.DOMAIN_ALREADY_ADDED,
        "This organization already has this domain; use verifyDomain to check it again.",
        *field,
    )
