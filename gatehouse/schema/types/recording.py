"""The request recorder's records: SCIM requests per directory, sign-in attempts per
connection, newest first, redacted and masked before they were stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.models import SignInOutcome as SignInOutcomeModel
from gatehouse.resolvers.pagination import encode_cursor
from gatehouse.resolvers.recording.requests import NewestFirst
from gatehouse.schema.types.common import PageInfo

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(SignInOutcomeModel, name="SignInOutcome", description="How a sign-in ended.")
SignInOutcome = SignInOutcomeModel


def _page_info(page: NewestFirst[Any], cursors: list[str]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


@strawberry.type(
    description="One SCIM request the directory received, as the recorder kept it: no "
    "headers or tokens; secrets removed and attribute values masked in `body` (per "
    "GATEHOUSE_RECORDER_MASK_VALUES). Requires `directories:read`."
)
class DirectoryRequest:
    method: str = strawberry.field(description="HTTP method.")
    path: str = strawberry.field(description="Path and query (filter values masked).")
    status: int = strawberry.field(description="The HTTP status Gatehouse answered.")
    duration_ms: int = strawberry.field(description="Time to answer, in milliseconds.")
    scim_type: str | None = strawberry.field(
        description="The SCIM error type (RFC 7644 §3.12: uniqueness, invalidValue, …)."
    )
    detail: str | None = strawberry.field(description="The SCIM error's detail.")
    body: JSON | None = strawberry.field(description="The request body, redacted and masked.")
    changes: list[str] = strawberry.field(
        description="What it changed (user.created diru_…, membership.created om_…); empty "
        "when it was refused (the transaction rolled back)."
    )
    occurred_at: datetime = strawberry.field(description="When it arrived (UTC).")

    @classmethod
    def from_model(cls, r: models.ScimRequestRecord) -> DirectoryRequest:
        return cls(
            method=r.method,
            path=r.path,
            status=r.status,
            duration_ms=r.duration_ms,
            scim_type=r.scim_type,
            detail=r.detail,
            body=JSON(r.body) if r.body is not None else None,
            changes=list(r.changes or []),
            occurred_at=r.created_at,
        )


@strawberry.type(description="An edge in a list of recorded SCIM requests.")
class DirectoryRequestEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue with older ones.")
    node: DirectoryRequest = strawberry.field(description="The request.")


@strawberry.type(description="A page of recorded SCIM requests, newest first.")
class DirectoryRequestPage:
    edges: list[DirectoryRequestEdge] = strawberry.field(description="Requests on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(description="Requests kept (the last N).")

    @classmethod
    def from_page(cls, page: NewestFirst[models.ScimRequestRecord]) -> DirectoryRequestPage:
        edges = [
            DirectoryRequestEdge(cursor=encode_cursor(r.id), node=DirectoryRequest.from_model(r))
            for r in page.items
        ]
        return cls(
            edges=edges,
            page_info=_page_info(page, [e.cursor for e in edges]),
            total_count=page.total,
        )


@strawberry.type(
    description="One sign-in attempt through a connection: how it ended, why, and what the "
    "IdP sent (read before validation: for diagnosis, not trust), values masked. Requires "
    "`connections:read`."
)
class SignInAttempt:
    outcome: SignInOutcome = strawberry.field(description="SUCCEEDED or FAILED.")
    reason: str | None = strawberry.field(
        description="The refusal's reason code (as in `authentication.sso_failed`)."
    )
    message: str | None = strawberry.field(description="The refusal's message.")
    issuer: str | None = strawberry.field(description="The IdP's issuer (entity ID or iss).")
    name_id_format: str | None = strawberry.field(description="The SAML NameID Format.")
    subject: str | None = strawberry.field(description="NameID or sub, masked.")
    attributes: JSON = strawberry.field(description="Attributes or claims received, masked.")
    occurred_at: datetime = strawberry.field(description="When it arrived (UTC).")

    @classmethod
    def from_model(cls, a: models.SignInAttempt) -> SignInAttempt:
        return cls(
            outcome=a.outcome,
            reason=a.reason,
            message=a.message,
            issuer=a.issuer,
            name_id_format=a.name_id_format,
            subject=a.subject,
            attributes=JSON(a.attributes or {}),
            occurred_at=a.created_at,
        )


@strawberry.type(description="An edge in a list of sign-in attempts.")
class SignInAttemptEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue with older ones.")
    node: SignInAttempt = strawberry.field(description="The attempt.")


@strawberry.type(description="A page of sign-in attempts, newest first.")
class SignInAttemptPage:
    edges: list[SignInAttemptEdge] = strawberry.field(description="Attempts on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(description="Attempts kept (the last N).")

    @classmethod
    def from_page(cls, page: NewestFirst[models.SignInAttempt]) -> SignInAttemptPage:
        edges = [
            SignInAttemptEdge(cursor=encode_cursor(a.id), node=SignInAttempt.from_model(a))
            for a in page.items
        ]
        return cls(
            edges=edges,
            page_info=_page_info(page, [e.cursor for e in edges]),
            total_count=page.total,
        )
