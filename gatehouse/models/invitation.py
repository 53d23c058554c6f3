"""Invitations: an email, a role and a single-use token that turns into a membership."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tortoise import fields

from gatehouse.models.base import TimestampedModel, prefixed_pk
from gatehouse.models.organization import Organization, Role
from gatehouse.models.user import Member, User


class InvitationState(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    # Never stored: a PENDING row whose `expires_at` has passed reads as EXPIRED. Deriving it
    # means no sweeper has to run for a link to stop working on time.
    EXPIRED = "EXPIRED"


def pending_key(organization_id: str, email: str) -> str:
    return f"{organization_id}:{email}"


class Invitation(TimestampedModel):
    id = prefixed_pk("inv")
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="invitations", on_delete=fields.CASCADE
    )
    organization_id: str
    email = fields.CharField(max_length=320, db_index=True)  # normalized: trimmed, lowercased
    # Nullable so a role can be deleted once no *pending* invitation uses it (the resolver
    # refuses before that); accepted and revoked invitations keep their history without it.
    role: fields.ForeignKeyNullableRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="invitations", null=True, on_delete=fields.SET_NULL
    )
    role_id: str | None
    state = fields.CharEnumField(InvitationState, default=InvitationState.PENDING, max_length=16)
    # `organization_id:email` while PENDING, NULL afterwards: the unique index makes "one
    # pending invitation per person and organization" a database rule, not a check-then-act.
    pending_key = fields.CharField(max_length=400, null=True, unique=True)
    # SHA-256 of the token (auth/secrets.py); the token itself exists only in the email.
    token_hash = fields.CharField(max_length=64, unique=True)
    # The token mailed by the attempt before an automatic retry. An SMTP server can take a
    # message and drop the connection before confirming it; that mail may arrive, so its link
    # keeps working alongside the retry's. An admin's resend clears it (a deliberate rotation).
    previous_token_hash = fields.CharField(max_length=64, unique=True, null=True)
    expires_at = fields.DatetimeField()
    inviter: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="sent_invitations", null=True, on_delete=fields.SET_NULL
    )
    inviter_id: str | None
    accepted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="accepted_invitations", null=True, on_delete=fields.SET_NULL
    )
    accepted_by_id: str | None
    accepted_at = fields.DatetimeField(null=True)
    # Where the hosted page sends the person after accepting (allow-listed when invited).
    redirect_uri = fields.CharField(max_length=2048, null=True)
    revoked_at = fields.DatetimeField(null=True)

    # Delivery: a failed send keeps the invitation PENDING and schedules a retry.
    last_sent_at = fields.DatetimeField(null=True)
    last_send_error = fields.CharField(max_length=500, null=True)
    failed_send_attempts = fields.IntField(default=0)
    next_send_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "invitations"

    def state_at(self, now: datetime) -> InvitationState:
        if self.state is InvitationState.PENDING and self.expires_at <= now:
            return InvitationState.EXPIRED
        return self.state
