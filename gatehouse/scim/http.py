"""What every SCIM endpoint shares: bearer auth, one transaction, JSON bodies, SCIM errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from gatehouse.events.acting import Actor, ActorKind, set_actor
from gatehouse.events.outbox import one_insert
from gatehouse.inbound import BodyError, decode_json
from gatehouse.models import Directory, DirectoryGroup, DirectoryState, DirectoryUser, reads
from gatehouse.ops import metrics
from gatehouse.ops.availability import is_database_unavailable
from gatehouse.ops.ratelimit import RateLimited, rate_limit
from gatehouse.resolvers.directories.lifecycle import (
    authenticate_directory,
    scim_base_url,
    touch_activity,
)
from gatehouse.scim.errors import (
    ScimError,
    error_response,
    invalid_syntax,
    invalid_value,
    not_found,
    uniqueness,
)
from gatehouse.scim.recorder import record_in_request, recorded
from gatehouse.scim.resources import MAX_ATTRIBUTE_CHARS, etag

log = logging.getLogger("gatehouse.scim")
DEFAULT_COUNT = 100
MAX_COUNT = 1_000
MAX_START_INDEX = 2**31 - 1
# The metric's resource label: these path segments, everything else is `other`.
RESOURCES = frozenset(
    {"Users", "Groups", "ServiceProviderConfig", "Schemas", "ResourceTypes", "Bulk"}
)


@dataclass(frozen=True, slots=True)
class ScimRequest:
    request: Request
    directory: Directory
    base_url: str
    search: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> str | None:
        # Query parameter names are case-insensitive in practice (Okta sends startIndex,
        # some clients StartIndex).
        lowered = name.lower()
        for key, value in self.search.items():
            if key.lower() == lowered and value is not None:
                return ",".join(map(str, value)) if isinstance(value, list) else str(value)
        for key, value in self.request.query_params.multi_items():
            if key.lower() == lowered:
                return value
        return None

    @property
    def path_id(self) -> str:
        return str(self.request.path_params.get("resource_id", ""))

    async def json(self) -> dict[str, Any]:
        try:
            body = decode_json(await self.request.body())
        except BodyError as e:
            raise invalid_syntax(str(e)) from None
        if not isinstance(body, dict):
            raise invalid_syntax("The body must be a JSON object.")
        return body

    def if_match(self, version_tag: str) -> None:
        """RFC 7644 §3.14: a stale If-Match is refused with 412, nothing changed."""
        wanted = self.request.headers.get("if-match")
        if wanted and wanted.strip() != "*" and version_tag not in wanted:
            raise ScimError(412, "The resource changed since it was read (ETag mismatch).")


Handler = Callable[[ScimRequest], Awaitable[Response]]


async def _authenticate(request: Request) -> Directory:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    directory_id = str(request.path_params.get("directory_id", ""))
    directory = None
    if scheme.lower() == "bearer" and token.strip():
        directory = await authenticate_directory(directory_id, token.strip())
    if directory is None or directory.state is not DirectoryState.LINKED:
        # The same answer for an unknown directory, a wrong token and another directory's
        # token: nothing tells the caller which directories exist.
        raise ScimError(401, "Invalid or missing bearer token.")
    return directory


def resource_label(request: Request) -> str:
    """`/scim/v2/{directory_id}/Users/...` -> `Users`; a bounded set, never a raw path."""
    segments = request.url.path.partition("/scim/v2/")[2].split("/")  # id, resource, ...
    name = segments[1] if len(segments) > 1 else ""
    return name if name in RESOURCES else "other"


def endpoint(handler: Handler, *, write: bool = False) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        status = 500
        try:
            response = await _answer(request, handler, write)
        except Exception as e:
            # Escaped to the app's handlers, which answer 503 (database down) or 500.
            status = 503 if is_database_unavailable(e) else 500
            raise
        else:
            status = response.status_code
        finally:
            metrics.SCIM_OPERATIONS.labels(
                resource_label(request), request.method, str(status)
            ).inc()
        return response

    return recorded(run)


async def _answer(request: Request, handler: Handler, write: bool) -> Response:
    try:
        directory = await _authenticate(request)
        set_actor(Actor(ActorKind.DIRECTORY, directory.id))
        request.state.scim_directory = directory  # for the recorder (scim/recorder.py)
        # After authentication: a caller with a bad token cannot drain a directory's bucket.
        await rate_limit(f"directory:{directory.id}")
        base = scim_base_url(request.app.state.settings.base_url, directory.id)
        scim = ScimRequest(request, directory, base)
        # One transaction per SCIM request: every row and event it writes, or none.
        async with in_transaction(), one_insert():
            if write:
                await touch_activity(directory)
            response = await handler(scim)
            queued = response.status_code < 400 and await record_in_request(request, response)
    except RateLimited as e:
        response = error_response(ScimError(429, "Too many requests; retry after the delay."))
        response.headers["Retry-After"] = e.retry_after_header
        return response
    except ScimError as e:
        return error_response(e)
    except IntegrityError:
        # A concurrent request took the same unique value between our check and insert.
        return error_response(uniqueness("A resource with this value already exists."))
    except OperationalError:
        # A deadlock or a lost connection: the transaction rolled back; IdPs retry 5xx.
        log.exception("SCIM request failed in the database")
        return error_response(ScimError(503, "Temporarily unavailable; retry."))
    except (ValueError, TypeError) as e:
        # Logged with the trace: a 400 here may hide a bug rather than bad input.
        log.warning("refused SCIM input: %s", e, exc_info=True)
        return error_response(invalid_value("Invalid value."))
    # Committed, its record with it: the recorder must not write it again. (Had the commit
    # failed, the record went with the rest, and the recorder writes the failure.)
    request.state.scim_recorded = queued
    return response


def page_params(scim: ScimRequest) -> tuple[int, int]:
    """startIndex is 1-based; values below 1 read as 1, counts below 0 as 0 (RFC 7644 §3.4.2.4)."""
    try:
        start = int(scim.param("startIndex") or 1)
        count = int(scim.param("count") or DEFAULT_COUNT)
    except ValueError:
        raise invalid_value("startIndex and count are integers.") from None
    # Past MAX_START_INDEX every page is empty anyway, and a larger OFFSET than a bigint
    # holds would fail the query.
    return min(max(start, 1), MAX_START_INDEX), min(max(count, 0), MAX_COUNT)


def _names(value: str | None) -> list[str]:
    return [n.strip().lower() for n in (value or "").split(",") if n.strip()]


def project(resource: dict[str, Any], scim: ScimRequest, schema: str) -> dict[str, Any]:
    """Apply `attributes` / `excludedAttributes` (RFC 7644 §3.9); id and schemas always stay."""
    wanted, excluded = _names(scim.param("attributes")), _names(scim.param("excludedAttributes"))
    if not wanted and not excluded:
        return resource
    prefix = schema.lower() + ":"
    wanted = [w.removeprefix(prefix) for w in wanted]
    excluded = [e.removeprefix(prefix) for e in excluded]
    out: dict[str, Any] = {}
    for key, value in resource.items():
        lowered = key.lower()
        if lowered in ("id", "schemas"):
            out[key] = value
            continue
        if wanted:
            subs = [w.split(".", 1)[1] for w in wanted if w.startswith(lowered + ".")]
            if lowered in wanted:
                out[key] = value
            elif subs and isinstance(value, dict):
                out[key] = {k: v for k, v in value.items() if k.lower() in subs}
            elif subs and isinstance(value, list):
                out[key] = [
                    {k: v for k, v in item.items() if k.lower() in subs}
                    for item in value
                    if isinstance(item, dict)
                ]
        elif lowered not in excluded:
            subs = [e.split(".", 1)[1] for e in excluded if e.startswith(lowered + ".")]
            kept = value
            if subs and isinstance(value, dict):
                kept = {k: v for k, v in value.items() if k.lower() not in subs}
            out[key] = kept
    return out


def wants(scim: ScimRequest, attribute: str) -> bool:
    """Whether a costly attribute (a group's members) is part of the response at all."""
    lowered = attribute.lower()
    wanted = _names(scim.param("attributes"))
    if lowered in _names(scim.param("excludedAttributes")):
        return False
    return not wanted or any(w == lowered or w.startswith(lowered + ".") for w in wanted)


SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


async def with_search_body(scim: ScimRequest) -> ScimRequest:
    """POST /.search: the query parameters come in a SearchRequest body (RFC 7644 §3.4.3)."""
    body = await scim.json()
    if SEARCH_SCHEMA not in (body.get("schemas") or []):
        raise invalid_syntax(f"schemas must contain {SEARCH_SCHEMA}.")
    return ScimRequest(scim.request, scim.directory, scim.base_url, body)


LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def list_response(resources: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


R = TypeVar("R", DirectoryUser, DirectoryGroup)


async def locked_resource(scim: ScimRequest, model: type[R], what: str) -> R:
    """The resource named by the path, row-locked for this request's transaction, with the
    client's If-Match checked against its version (RFC 7644 §3.14)."""
    row = await reads.first(model, lock=True, id=scim.path_id, directory_id=scim.directory.id)
    if row is None:
        raise not_found(what)
    scim.if_match(etag(row.version))
    return row


async def ensure_unique(
    scim: ScimRequest, model: type[R], attribute: str, value: str, row: R | None = None
) -> None:
    """userName and Group displayName are unique per directory, case-insensitively (409).
    A locked `row` keeping its own value needs no look: nothing else can hold it."""
    column = "user_name_lower" if model is DirectoryUser else "display_name_lower"
    wanted = value.strip().lower()
    if row is not None and getattr(row, column) == wanted:
        return
    if len(wanted) > MAX_ATTRIBUTE_CHARS:
        return  # nothing stored is this long; storing it is refused (resources.py)
    clash = model.filter(directory_id=scim.directory.id, **{column: wanted})
    if row is not None:
        clash = clash.exclude(id=row.id)
    if await clash.exists():
        raise uniqueness(f"{attribute} is already taken in this directory.")
