"""What the request recorder keeps: the last SCIM requests per directory and the last sign-in
attempts per connection, redacted before they are stored (resolvers/recording/)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields, models

from gatehouse.models.base import prefixed_pk
from gatehouse.models.connection import Connection
from gatehouse.models.directory import Directory


class ScimRequestRecord(models.Model):
    """One SCIM request as the directory sent it: never a header, never a token."""

    id = prefixed_pk("scimreq")  # time-sortable: newest last
    directory: fields.ForeignKeyRelation[Directory] = fields.ForeignKeyField(
        "models.Directory", related_name="request_records", on_delete=fields.CASCADE
    )
    directory_id: str
    method = fields.CharField(max_length=8)
    path = fields.CharField(max_length=2048)  # query string included, values masked
    status = fields.IntField()
    duration_ms = fields.IntField()
    scim_type = fields.CharField(max_length=32, null=True)  # RFC 7644 §3.12 scimType
    detail = fields.CharField(max_length=500, null=True)  # the error's detail
    body: fields.JSONField[Any] = fields.JSONField(null=True)  # redacted
    # What the request did: ["user.created diru_…", "membership.created om_…", …].
    changes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "scim_request_records"


class SignInOutcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class SignInAttempt(models.Model):
    """One response an IdP sent to a connection's ACS or callback, with its values masked."""

    id = prefixed_pk("sia")
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "models.Connection", related_name="sign_in_attempts", on_delete=fields.CASCADE
    )
    connection_id: str
    outcome = fields.CharEnumField(SignInOutcome, max_length=16)
    reason = fields.CharField(max_length=64, null=True)  # the refusal's code
    message = fields.CharField(max_length=500, null=True)
    issuer = fields.CharField(max_length=1024, null=True)
    name_id_format = fields.CharField(max_length=256, null=True)
    subject = fields.CharField(max_length=320, null=True)  # masked
    attributes: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)  # masked
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sign_in_attempts"
