"""Email domains an organization claims, and proves by DNS TXT record."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from gatehouse.models.base import TimestampedModel, prefixed_pk
from gatehouse.models.organization import Organization


class DomainState(StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    FAILED = "FAILED"


class DomainStrategy(StrEnum):
    DNS = "DNS"
    MANUAL = "MANUAL"


class DomainEnrollment(StrEnum):
    """What happens to a person who proves an email of this (verified) domain and is not a
    member: nothing, an ACTIVE membership, or a PENDING one an admin approves."""

    NONE = "NONE"
    AUTOMATIC = "AUTOMATIC"
    REQUEST = "REQUEST"


class Domain(TimestampedModel):
    id = prefixed_pk("dom")
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="domains", on_delete=fields.CASCADE
    )
    organization_id: str
    domain = fields.CharField(max_length=253, db_index=True)  # normalized, punycode (IDNA)
    # Equal to `domain` once VERIFIED, else NULL: the unique index lets exactly one
    # organization hold a verified domain, enforced by the database, not a check-then-act.
    verified_domain = fields.CharField(max_length=253, null=True, unique=True)
    state = fields.CharEnumField(DomainState, default=DomainState.PENDING, max_length=16)
    strategy = fields.CharEnumField(DomainStrategy, default=DomainStrategy.DNS, max_length=16)
    # Not a credential (it is published in DNS), but unguessable so nobody can pre-publish it.
    token = fields.CharField(max_length=64)
    verified_at = fields.DatetimeField(null=True)
    last_checked_at = fields.DatetimeField(null=True)
    next_check_at = fields.DatetimeField(null=True, db_index=True)
    failure_reason = fields.CharField(max_length=300, null=True)
    attempts = fields.IntField(default=0)
    # Start of the current checking window: background re-checks give up 72 hours after it.
    pending_since = fields.DatetimeField(null=True)
    enrollment = fields.CharEnumField(
        DomainEnrollment,
        default=DomainEnrollment.NONE,
        db_default=DomainEnrollment.NONE,
        max_length=16,
    )

    class Meta:
        table = "domains"
        unique_together = (("organization", "domain"),)
