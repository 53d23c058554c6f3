"""Domain claim and verification mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gatehouse import models
from gatehouse.models import DomainStrategy
from gatehouse.resolvers.domains import lifecycle as domains
from gatehouse.resolvers.domains import verification as domain_verification
from gatehouse.resolvers.domains.dns import DnsConfig
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.domain import Domain, DomainEnrollment, DomainVerificationStrategy


@strawberry.input(description="A domain to claim for an organization.")
class AddDomainInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    domain: str = strawberry.field(
        description="The domain, e.g. `acme.com` or `résumé.example`. Not an email, URL, IP, "
        "wildcard, public suffix or public email provider."
    )


@strawberry.input(description="The domain to check now.")
class VerifyDomainInput:
    domain_id: strawberry.ID = strawberry.field(description="The domain.")
    strategy: DomainVerificationStrategy = strawberry.field(
        default=DomainStrategy.DNS,
        description="DNS (default): look up the TXT record now. MANUAL: mark verified without "
        "DNS; operator keys only.",
    )


@strawberry.input(description="The domain to remove.")
class RemoveDomainInput:
    domain_id: strawberry.ID = strawberry.field(description="The domain.")


@strawberry.input(description="How a verified domain's people join the organization.")
class SetDomainEnrollmentInput:
    domain_id: strawberry.ID = strawberry.field(description="The domain (verified).")
    enrollment: DomainEnrollment = strawberry.field(
        description="NONE, AUTOMATIC (an ACTIVE membership) or REQUEST (a PENDING one)."
    )


@strawberry.type(description="Result of `addDomain`, `verifyDomain` and `setDomainEnrollment`.")
class DomainPayload:
    domain: Domain | None = strawberry.field(description="The domain after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `removeDomain`.")
class RemoveDomainPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="ID of the removed domain.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _payload(model: models.Domain | None, errors: list[UserError]) -> DomainPayload:
    domain = Domain.from_model(model) if model is not None else None
    return DomainPayload(domain=domain, user_errors=errors)


@strawberry.type
class DomainMutations:
    @strawberry.mutation(
        description="Claim a domain (PENDING). Publish its `record`, then `verifyDomain`. "
        "Requires `domains:write`."
    )
    async def add_domain(
        self,
        info: Info,
        input: Annotated[AddDomainInput, strawberry.argument(description="The mutation's input.")],
    ) -> DomainPayload:
        return _payload(
            *await mutate(
                domains.add_domain(info.context.principal, str(input.organization_id), input.domain)
            )
        )

    @strawberry.mutation(
        description="Check the domain's TXT record now (returns within the DNS timeout): "
        "VERIFIED on the exact value; FAILED on a wrong value; PENDING with the reason on "
        "NXDOMAIN, no record, SERVFAIL or timeout. Requires `domains:write`; MANUAL needs an "
        "operator key."
    )
    async def verify_domain(
        self,
        info: Info,
        input: Annotated[
            VerifyDomainInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DomainPayload:
        return _payload(
            *await mutate(
                domain_verification.verify_domain(
                    info.context.principal,
                    str(input.domain_id),
                    DnsConfig.from_settings(info.context.settings),
                    DomainStrategy(input.strategy),
                )
            )
        )

    @strawberry.mutation(
        description="Choose what proving an email of a verified domain (a sign-in code, the "
        "organization's SSO) does for someone who is not a member: nothing, join (AUTOMATIC) "
        "or ask to join (REQUEST). Requires `domains:write`; DOMAIN_NOT_VERIFIED otherwise."
    )
    async def set_domain_enrollment(
        self,
        info: Info,
        input: Annotated[
            SetDomainEnrollmentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DomainPayload:
        return _payload(
            *await mutate(
                domains.set_domain_enrollment(
                    info.context.principal,
                    str(input.domain_id),
                    models.DomainEnrollment(input.enrollment),
                )
            )
        )

    @strawberry.mutation(
        description="Remove a domain; if verified, it stops routing sign-ins. "
        "Requires `domains:write`."
    )
    async def remove_domain(
        self,
        info: Info,
        input: Annotated[
            RemoveDomainInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RemoveDomainPayload:
        deleted, errors = await mutate(
            domains.remove_domain(info.context.principal, str(input.domain_id))
        )
        return RemoveDomainPayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )
