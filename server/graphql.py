"""The Strawberry ASGI app, with the Principal resolved once per request."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from gatehouse.auth.backend import InvalidCredentials, principal_from_authorization
from gatehouse.auth.portal import (
    COOKIE_NAME,
    CSRF_HEADER,
    authenticate_portal_cookie,
    request_allowed,
)
from gatehouse.auth.principal import ANONYMOUS, Principal
from gatehouse.schema import build_schema
from gatehouse.schema.context import Context
from gatehouse.server.graphql_ops import OperationsViewMixin
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.graphql")


class GatehouseGraphQL(OperationsViewMixin, GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.ide_enabled else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        )
        self.settings = settings
        self.install_operations_extensions()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        try:
            principal = await principal_from_authorization(request.headers.get("authorization"))
        except InvalidCredentials:
            # An unknown, revoked or expired credential reads as none at all: every field
            # that needs one answers UNAUTHENTICATED.
            principal = ANONYMOUS
        if principal is ANONYMOUS and isinstance(request, Request):
            principal = await self._portal_principal(request)
        return Context(
            request=request,
            principal=principal,
            settings=self.settings,
            request_id=request.scope.get("state", {}).get("request_id", "-"),
        )

    async def _portal_principal(self, request: Request) -> Principal:
        """The Admin Portal's cookie counts only with its CSRF header and our own Origin
        (SECURITY 28); websockets never use it (they authenticate in connection_init)."""
        cookie = request.cookies.get(COOKIE_NAME)
        if not cookie:
            return ANONYMOUS
        if not request_allowed(
            cookie,
            request.headers.get(CSRF_HEADER),
            request.headers.get("origin"),
            self.settings.base_url,
        ):
            log.warning(
                "portal cookie ignored: missing or wrong CSRF header or Origin (request %s)",
                request.scope.get("state", {}).get("request_id", "-"),
            )
            return ANONYMOUS
        return await authenticate_portal_cookie(cookie) or ANONYMOUS

    async def get_root_value(self, request: Any) -> None:
        return None
