"""Log streams: an organization's events sent to its SIEM (HTTPS JSON lines, Datadog, Splunk)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from tortoise.transactions import in_transaction

from gatehouse import outbound
from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.events.formats import log_stream_request
from gatehouse.events.secrets import seal, stream_token
from gatehouse.events.sequencer import head_position
from gatehouse.models import LogStream, LogStreamType
from gatehouse.outbound import UnsafeUrl, pinned_request
from gatehouse.resolvers.access import locked_for_change, require, visible_organization
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.events.targets import check_scope, check_target_url, target_organization

MAX_TOKEN = 512


def log_stream_data(stream: LogStream) -> dict[str, Any]:
    return {"id": stream.id, "type": stream.type.value, "url": stream.url}  # never the token


async def create_log_stream(
    principal: Principal,
    organization_id: str | None,
    type: LogStreamType,
    url: str,
    token: str | None,
    *,
    allow_private: bool,
    secret_key: str,
) -> LogStream:
    require(principal, Permission.LOG_STREAMS_WRITE)
    check_scope(principal, organization_id)
    v = Validator()
    url = await check_target_url(v, url, allow_private)
    if token is not None and len(token) > MAX_TOKEN:
        v.add(ErrorCode.TOO_LONG, "Token must be at most 512 characters.", "token")
    if type is not LogStreamType.HTTPS and not token:
        v.add(ErrorCode.REQUIRED, "Datadog and Splunk HEC need a token.", "token")
    if organization_id is None and principal.organization_id is None:
        v.add(ErrorCode.REQUIRED, "A log stream belongs to one organization.", "organizationId")
    v.check()
    async with in_transaction():
        org_id = await target_organization(principal, organization_id)
        stream = LogStream(organization_id=org_id, type=type, url=url, cursor=await head_position())
        if token:
            stream.token = seal(secret_key, token, stream.id)
        await stream.save()
        await record_event("log_stream.created", org_id, log_stream_data(stream))
    return stream


async def _stream_for_change(principal: Principal, stream_id: str) -> LogStream:
    return await locked_for_change(
        principal, LogStream, stream_id, "ls", "Log stream", "logStreamId"
    )


async def delete_log_stream(principal: Principal, stream_id: str) -> LogStream:
    require(principal, Permission.LOG_STREAMS_WRITE)
    async with in_transaction():
        stream = await _stream_for_change(principal, stream_id)
        await stream.delete()
        await record_event("log_stream.deleted", stream.organization_id, log_stream_data(stream))
    return stream


async def send_test_log_event(
    principal: Principal,
    stream_id: str,
    *,
    allow_private: bool,
    http_timeout: float,
    secret_key: str,
) -> tuple[LogStream, int | None]:
    """Sends one `log_stream.test` record now (the portal's test button); the status code."""
    require(principal, Permission.LOG_STREAMS_WRITE)
    stream = await _stream_for_change(principal, stream_id)
    record = {
        "id": "evt_test",
        "type": "log_stream.test",
        "organization_id": stream.organization_id,
        "sequence": None,
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"log_stream_id": stream.id},
    }
    body, headers = log_stream_request(stream.type, stream_token(stream, secret_key), [record])
    try:
        async with outbound.client(http_timeout) as client:
            response = await pinned_request(
                client,
                "POST",
                stream.url,
                allow_private=allow_private,
                content=body,
                headers=headers,
            )
    except UnsafeUrl as e:
        code = ErrorCode.PRIVATE_URL if e.private else ErrorCode.INVALID_URL
        raise DomainError.of(code, str(e), "url") from None
    except httpx.HTTPError:
        return stream, None
    return stream, response.status_code


async def get_log_stream(principal: Principal, stream_id: str) -> LogStream | None:
    require(principal, Permission.LOG_STREAMS_WRITE)
    stream = await LogStream.get_or_none(id=stream_id)
    if stream is None or not visible_organization(principal, stream.organization_id or ""):
        return None
    return stream
