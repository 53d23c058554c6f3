"""The Starlette application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from gatehouse.auth.tokens import ensure_signing_key
from gatehouse.events.hub import CLOSE_GRACE_SECONDS
from gatehouse.events.runtime import EventRuntime
from gatehouse.ops import ratelimit
from gatehouse.ops.background import BackgroundLoops
from gatehouse.pages import audit_exports, sign_in_code
from gatehouse.pages import invitation as invitation_page
from gatehouse.portal import routes as portal_routes
from gatehouse.resolvers.domains.rechecks import run_rechecks
from gatehouse.resolvers.invitations.delivery import InvitationConfig, retry_forever
from gatehouse.resolvers.sso.upkeep import start_upkeep
from gatehouse.scim.routes import routes as scim_routes
from gatehouse.server.cors import CorsMiddleware
from gatehouse.server.db import close_db, init_db, migrate
from gatehouse.server.graphql import GatehouseGraphQL
from gatehouse.server.graphql_ide import ASSET_ROUTE, ide_asset
from gatehouse.server.middleware import (
    BodyLimitMiddleware,
    NulInUrlMiddleware,
    RequestIdMiddleware,
)
from gatehouse.server.ops_routes import (
    ops_exception_handlers,
    ops_middleware,
    ops_routes,
    setup_ops,
)
from gatehouse.server.sequencing import SequenceAfterResponseMiddleware
from gatehouse.settings import Settings, get_settings
from gatehouse.sso.discovery import routes as discovery_routes
from gatehouse.sso.routes import routes as sso_routes

log = logging.getLogger("gatehouse.server")
CLIENT_SETTLE_SECONDS = 0.25


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": "http_error", "message": exc.detail}, status_code=exc.status_code)


async def server_error(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.error("unhandled error (request %s)", request_id, exc_info=exc)
    return JSONResponse(
        {"error": "internal_error", "message": f"Internal error. Reference: {request_id}"},
        status_code=500,
    )


def create_app(settings: Settings | None = None, *, manage_db: bool = True) -> Starlette:
    """Build the app. `manage_db=False` when the caller (tests) owns the database lifecycle."""
    settings = settings or get_settings()
    graphql = GatehouseGraphQL(settings)
    invitation_page.install_log_redaction()
    setup_ops(settings)

    # Long enough for the slowest unit of work a loop finishes on stop: an SMTP send or a
    # webhook delivery (each bounded by its timeout).
    background = BackgroundLoops(
        grace_seconds=max(settings.smtp_timeout_seconds, settings.webhook_timeout_seconds) + 5
    )
    runtime = EventRuntime(settings)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await migrate(settings.database_url)
            await init_db(settings.database_url)
        # The JWKS is never empty, even before the first sign-in.
        await ensure_signing_key(settings.secret_key)
        await runtime.start(background)
        graphql.event_hub = runtime.hub
        if settings.invitation_retry_interval_seconds > 0:
            config = InvitationConfig.from_settings(settings)
            interval = settings.invitation_retry_interval_seconds
            background.start("invitation-retry", lambda stop: retry_forever(config, interval, stop))
        if settings.domain_rechecks_enabled:
            background.start("domain-rechecks", lambda stop: run_rechecks(settings, stop))
        if runtime.run_worker:
            start_upkeep(background, settings)
        try:
            yield
        finally:
            # Loops first (they may still use the bus and the database), then the pools.
            await background.stop()
            await runtime.close()
            await ratelimit.close()
            if manage_db:
                await close_db()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route(ASSET_ROUTE, ide_asset),
            Route("/healthz", healthz),
            *ops_routes(),
            *sso_routes,
            *discovery_routes,
            *portal_routes,
            *scim_routes,
            *invitation_page.routes,
            *sign_in_code.routes,
            *audit_exports.routes,
        ],
        middleware=[
            Middleware(SequenceAfterResponseMiddleware, runtime=runtime),
            Middleware(RequestIdMiddleware),
            Middleware(CorsMiddleware, allowed_origins=settings.allowed_origins),
            *ops_middleware(),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(NulInUrlMiddleware),
        ],
        exception_handlers={
            HTTPException: http_error,
            Exception: server_error,
            **ops_exception_handlers(),
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.background = background
    app.state.events = runtime

    async def close_subscriptions() -> None:
        """Called by `gatehouse serve` on SIGTERM before uvicorn closes the sockets
        (server/serving.py): end every subscription, and let each send its resume cursor."""
        await runtime.hub.close_subscriptions()
        await graphql.operations.finished(CLOSE_GRACE_SECONDS)
        # Every final message is written; a close frame right behind it can make a client
        # drop what it has not read yet (gql does). A moment for clients to read it.
        await asyncio.sleep(CLIENT_SETTLE_SECONDS)

    app.state.close_subscriptions = close_subscriptions
    return app
