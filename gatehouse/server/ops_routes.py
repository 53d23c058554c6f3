"""Operations wiring for `create_app`: routes, middleware and handlers, in one place."""

from __future__ import annotations

import logging

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ExceptionHandler

from gatehouse.events.lag import event_lag
from gatehouse.ops import metrics
from gatehouse.ops.ratelimit import RateLimited, configure, rate_limited_handler
from gatehouse.pages import front_door
from gatehouse.server.health import DatabaseUnavailableMiddleware, readyz
from gatehouse.server.logs import install_redaction
from gatehouse.server.observability import ObservabilityMiddleware
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.metrics")


async def metrics_endpoint(request: Request) -> Response:
    if not request.app.state.settings.metrics_enabled:
        return JSONResponse({"error": "not_found", "message": "Not Found"}, status_code=404)
    events = getattr(request.app.state, "events", None)
    try:
        lag = await event_lag(events.hub if events is not None else None)
    except Exception:  # noqa: BLE001 - a scrape during a database outage still answers
        log.warning("event lag not refreshed: database unavailable")
    else:
        for consumer, value in lag.items():
            metrics.EVENT_LAG.labels(consumer).set(value)
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


def ops_routes() -> list[Route]:
    return [Route("/readyz", readyz), Route("/metrics", metrics_endpoint), *front_door.routes]


def ops_middleware() -> list[Middleware]:
    """Inside RequestIdMiddleware (they read the request id), outside everything else."""
    return [Middleware(ObservabilityMiddleware), Middleware(DatabaseUnavailableMiddleware)]


def ops_exception_handlers() -> dict[type[Exception], ExceptionHandler]:
    return {RateLimited: rate_limited_handler}


def setup_ops(settings: Settings) -> None:
    install_redaction()
    configure(settings)
