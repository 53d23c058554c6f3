"""Domains an organization claims, and the DNS record that proves one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from gatehouse import models
from gatehouse.models import DomainState as DomainStateModel
from gatehouse.models import DomainStrategy as DomainStrategyModel
from gatehouse.resolvers.domains.dns import record_name, record_value
from gatehouse.resolvers.domains.names import to_unicode
from gatehouse.schema.context import Info
from gatehouse.schema.loaders import required
from gatehouse.schema.types.common import Node

if TYPE_CHECKING:
    from gatehouse.schema.types.organization import Organization

OrganizationRef = Annotated["Organization", strawberry.lazy("gatehouse.schema.types.organization")]

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    DomainStateModel,
    name="DomainState",
    description="PENDING: claimed, not proven yet (re-checked in the background for 72 hours); "
    "VERIFIED: proven, routes sign-ins; FAILED: a wrong record, no proof within 72 hours, or "
    "another organization verified it first (see `failureReason`).",
)
DomainState = DomainStateModel
# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    DomainStrategyModel,
    name="DomainVerificationStrategy",
    description="DNS: a TXT record proves it. MANUAL: an operator vouched for it.",
)
DomainVerificationStrategy = DomainStrategyModel
# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    models.DomainEnrollment,
    name="DomainEnrollment",
    description="What proving an email of this verified domain (a sign-in code, SSO) does for "
    "a person who is not a member: NONE, nothing (an invitation is needed); AUTOMATIC, an "
    "ACTIVE membership with the default role (source DOMAIN); REQUEST, a PENDING membership "
    "that an admin approves or denies.",
)
DomainEnrollment = models.DomainEnrollment


@strawberry.type(description="A DNS record to publish.")
class DnsRecord:
    type: str = strawberry.field(description="Record type, `TXT`.")
    name: str = strawberry.field(
        description="Fully qualified name, `_gatehouse-challenge.<domain>`."
    )
    value: str = strawberry.field(description="Exact value, `gatehouse-verification=<token>`.")


@strawberry.type(
    description="An email domain an organization claims. Requires `domains:read`; another "
    "organization's domains read as not found."
)
class Domain(Node):
    domain: str = strawberry.field(
        description="Normalized: lowercase, without the root dot, unicode labels as punycode."
    )
    unicode_domain: str = strawberry.field(
        description="The same domain for people: unicode labels decoded (`résumé.example`)."
    )
    state: DomainState = strawberry.field(description="Where verification stands.")
    strategy: DomainVerificationStrategy = strawberry.field(
        description="How it is (or will be) proven."
    )
    verified_at: datetime | None = strawberry.field(description="When it was verified (UTC).")
    last_checked_at: datetime | None = strawberry.field(description="Last DNS check (UTC).")
    next_check_at: datetime | None = strawberry.field(
        description="Next background DNS check while PENDING (UTC)."
    )
    failure_reason: str | None = strawberry.field(
        description="Why the last check did not verify it: NXDOMAIN, no TXT record, wrong value, "
        "SERVFAIL, timeout, expiry, or another organization verified it first."
    )
    enrollment: DomainEnrollment = strawberry.field(
        description="What proving an email of this domain does for a newcomer, once verified "
        "(set with `setDomainEnrollment`; NONE by default)."
    )
    created_at: datetime = strawberry.field(description="When it was claimed (UTC).")
    _model: strawberry.Private[models.Domain]

    @classmethod
    def from_model(cls, domain: models.Domain) -> Domain:
        return cls(
            id=strawberry.ID(domain.id),
            domain=domain.domain,
            unicode_domain=to_unicode(domain.domain),
            state=domain.state,
            strategy=domain.strategy,
            verified_at=domain.verified_at,
            last_checked_at=domain.last_checked_at,
            next_check_at=domain.next_check_at
            if domain.state is DomainStateModel.PENDING
            else None,
            failure_reason=domain.failure_reason,
            enrollment=domain.enrollment,
            created_at=domain.created_at,
            _model=domain,
        )

    @strawberry.field(description="The TXT record that proves the claim when published.")
    def record(self) -> DnsRecord:
        return DnsRecord(
            type="TXT",
            name=record_name(self._model.domain),
            value=record_value(self._model.token),
        )

    @strawberry.field(description="The organization claiming it.")
    async def organization(self, info: Info) -> OrganizationRef:
        from gatehouse.schema.types.organization import Organization

        org = await info.context.loaders.organization.load(self._model.organization_id)
        return Organization.from_model(required(org))
