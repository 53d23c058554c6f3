"""The Strawberry ASGI app, with the Principal resolved once per request or websocket."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from gatehouse.auth.backend import InvalidCredentials, principal_from_authorization
from gatehouse.auth.portal import (
    COOKIE_NAME,
    CSRF_HEADER,
    authenticate_portal_cookie,
    request_allowed,
)
from gatehouse.auth.principal import ANONYMOUS, Principal
from gatehouse.inbound import BodyError, decode_json
from gatehouse.schema import build_schema
from gatehouse.schema.context import Context
from gatehouse.server.graphql_ops import OperationsViewMixin
from gatehouse.server.websockets import LegacyWSHandler, OperationTracker, TransportWSHandler
from gatehouse.settings import Settings

if TYPE_CHECKING:
    from gatehouse.events.hub import Hub
log = logging.getLogger("gatehouse.graphql")
HTTP_ERROR_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class GatehouseGraphQL(OperationsViewMixin, GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.ide_enabled else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            # Browsers send Origin on websocket upgrades; only these may connect
            # (SECURITY.md 28). Clients without an Origin (servers, gql) always pass.
            allowed_origins=settings.allowed_origins,
            # Legacy graphql-ws heartbeats ("ka"); graphql-transport-ws has ping/pong built in.
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.settings = settings
        self.max_subscriptions_per_connection = settings.subscriptions_per_connection
        self.operations = OperationTracker()
        self.install_operations_extensions()
        self.event_hub: Hub | None = None  # set by the lifespan once the runtime starts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # Strawberry answers a request it cannot take in plain text; GraphQL clients read JSON.
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as e:
            code = HTTP_ERROR_CODES.get(e.status_code, "BAD_REQUEST")
            response = JSONResponse(
                {"errors": [{"message": e.reason, "extensions": {"code": code}}]},
                status_code=e.status_code,
            )
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        # Websocket messages come through here too; Strawberry answers JSONDecodeError there
        # with its own close code, so a body we refuse reads as the JSON error it is.
        try:
            return decode_json(data)
        except BodyError as e:
            raise json.JSONDecodeError(str(e), "", 0) from None

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return decode_json(data)
        except BodyError as e:
            raise HTTPException(400, str(e)) from None

    async def parse_http_body(self, request: Any) -> GraphQLRequestData:
        """Strawberry's own parsing, with every shape of a bad body answered 400: a body that
        is JSON but not an object (a number, a string, a list of anything: batching is off)
        and fields of the wrong type. Multipart uploads are not enabled here."""
        if request.method == "GET":
            data: Any = self.parse_query_params(request.query_params)
        elif "application/json" in parse_content_type(request.content_type or "")[0]:
            data = self.parse_json(await request.get_body())
        else:
            raise HTTPException(400, "Unsupported content type")
        if isinstance(data, list):
            raise HTTPException(400, "Batching is not enabled")
        if not isinstance(data, dict):
            raise HTTPException(400, "The body must be a JSON object.")
        expected = {
            "query": (str, "a string"),
            "variables": (dict, "an object"),
            "operationName": (str, "a string"),
            "extensions": (dict, "an object"),
        }
        for name, (type_, label) in expected.items():
            if data.get(name) is not None and not isinstance(data[name], type_):
                raise HTTPException(400, f"The operation's `{name}` must be {label} or null.")
        transport = self._get_stream_transport_from_headers(request.headers)
        return GraphQLRequestData(
            query=data.get("query"),
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
            protocol=transport.protocol if transport else "http",
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        principal = ANONYMOUS
        authorization: str | None = None
        # A websocket authenticates in `connection_init` (on_ws_connect), not by header.
        if not isinstance(request, WebSocket):
            authorization = request.headers.get("authorization")
            try:
                principal = await principal_from_authorization(authorization, self.settings)
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
            authorization=authorization,
            event_hub=self.event_hub,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """`connection_init` payload `{"authorization": "Bearer …"}`: no valid credential,
        no connection (closed 4403); subscriptions re-check it (resolvers/events/reading.py)."""
        params = context.connection_params or {}
        authorization = params.get("authorization") or params.get("Authorization")
        if not isinstance(authorization, str):
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        try:
            principal = await principal_from_authorization(authorization, self.settings)
        except InvalidCredentials:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        if not principal.is_authenticated:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        context.principal = principal
        context.authorization = authorization
        return UNSET

    async def _portal_principal(self, request: Request) -> Principal:
        """The Admin Portal's cookie counts only with its CSRF header and our own Origin
        (SECURITY 28); websockets never use it (they authenticate in connection_init)."""
        cookie = request.cookies.get(COOKIE_NAME)
        if not cookie:
            return ANONYMOUS
        if not request_allowed(
            self.settings.secret_key,
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
