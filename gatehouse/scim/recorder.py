"""The SCIM side of the request recorder: wraps each endpoint and stores method, path, status,
duration, the SCIM error, the redacted body and what changed (resolvers/recording/): for a
request that succeeded, with its transaction (`record_in_request`, one round trip fewer);
otherwise after the answer. Headers are never read here: the bearer token cannot be recorded."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.inbound import BodyError, decode_json
from gatehouse.models import Directory
from gatehouse.resolvers.recording.changes import collecting, noted
from gatehouse.resolvers.recording.masking import redact, redact_query, scrub_text
from gatehouse.resolvers.recording.requests import ScimExchange, record_scim_request

log = logging.getLogger("gatehouse.scim")
Endpoint = Callable[[Request], Awaitable[Response]]
MAX_RECORDED_BODY = 64_000  # bytes; a PATCH of thousands of members is summarised


def _body(raw: bytes, *, mask: bool) -> Any:
    if not raw:
        return None
    if len(raw) > MAX_RECORDED_BODY:
        return {"recorder": f"{len(raw)} bytes, too large to keep"}
    try:
        # The handler's own decoding, so what it refused (not JSON, too deep, a NUL, which
        # PostgreSQL could not store) is kept as the reason it gave.
        return redact(decode_json(raw), mask=mask)
    except BodyError as e:
        return {"recorder": f"{len(raw)} bytes, not kept: {e}"}


def _error(response: Response | None) -> tuple[str | None, str | None]:
    if response is None or response.status_code < 400:
        return None, None
    try:
        body = json.loads(bytes(response.body))
    except (ValueError, AttributeError):
        return None, None
    detail = body.get("detail") if isinstance(body, dict) else None
    scim_type = body.get("scimType") if isinstance(body, dict) else None
    return (str(scim_type) if scim_type else None), (scrub_text(str(detail)) if detail else None)


async def _directory(request: Request) -> Directory | None:
    """The authenticated directory; for a refused token, the directory the path names (its
    admins need to see that the IdP's token is wrong), but never the body it sent."""
    directory: Directory | None = getattr(request.state, "scim_directory", None)
    if directory is not None:
        return directory
    directory_id = str(request.path_params.get("directory_id", ""))[:40]
    return await Directory.get_or_none(id=directory_id) if directory_id else None


async def _record(
    request: Request, response: Response | None, started: float, changes: list[str]
) -> None:
    settings = request.app.state.settings
    directory = await _directory(request)
    if directory is None or settings.recorder_size <= 0:
        return
    mask = settings.recorder_mask_values
    authenticated = getattr(request.state, "scim_directory", None) is not None
    status = response.status_code if response is not None else 500
    scim_type, detail = _error(response)
    query = request.url.query
    path = request.url.path + (f"?{redact_query(unquote_plus(query), mask=mask)}" if query else "")
    await record_scim_request(
        ScimExchange(
            directory_id=directory.id,
            method=request.method,
            path=path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000),
            scim_type=scim_type,
            detail=detail,
            body=_body(await request.body(), mask=mask) if authenticated else None,
            # A refused request rolled back: it changed nothing.
            changes=changes if status < 400 else [],
        ),
        settings.recorder_size,
    )


async def record_in_request(request: Request, response: Response) -> bool:
    """A request about to commit: its record joins the transaction's last statement (one
    round trip fewer). Called inside the request's `one_insert()`; whether the record was
    queued. Once the transaction has committed the caller sets `scim_recorded`, so that
    `recorded` does not write it again; a refused or failed request is recorded after it."""
    try:
        await _record(request, response, request.state.scim_started, noted())
    except Exception:
        log.warning("could not record a SCIM request", exc_info=True)
        return False
    return True


async def _record_safely(
    request: Request, response: Response | None, started: float, changes: list[str]
) -> None:
    try:
        await _record(request, response, started, changes)
    except Exception:
        # The recorder never costs the IdP its answer (a database outage included).
        log.warning("could not record a SCIM request", exc_info=True)


def recorded(run: Endpoint) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        started = request.state.scim_started = time.perf_counter()
        response: Response | None = None
        with collecting() as changes:
            try:
                response = await run(request)
                return response
            finally:
                if not getattr(request.state, "scim_recorded", False):
                    await _record_safely(request, response, started, changes)

    return endpoint
