"""The Strawberry ASGI app, with the Principal resolved once per request or websocket."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
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
from gatehouse.server import graphql_http
from gatehouse.server.documents import DocumentRefused, PersistedDocuments, load_manifest
from gatehouse.server.graphql_http import GRAPHQL_RESPONSE_JSON, RequestRefused
from gatehouse.server.graphql_ide import render_ide
from gatehouse.server.graphql_ops import OperationsViewMixin
from gatehouse.server.websockets import LegacyWSHandler, OperationTracker, TransportWSHandler
from gatehouse.settings import Settings

if TYPE_CHECKING:
    from gatehouse.events.hub import Hub
log = logging.getLogger("gatehouse.graphql")


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
        trusted = load_manifest(settings.trusted_documents) if settings.trusted_documents else None
        self.documents = PersistedDocuments(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        media_type = graphql_http.negotiate(request.headers.get("accept"))
        exchange = graphql_http.Exchange(media_type=media_type or graphql_http.APPLICATION_JSON)
        graphql_http.EXCHANGE.set(exchange)
        # Strawberry answers a request it cannot take in plain text; GraphQL clients read JSON.
        try:
            if media_type is None and not self.should_render_graphql_ide(request):
                raise RequestRefused(
                    406,
                    f"Accept {GRAPHQL_RESPONSE_JSON} or application/json.",
                    "NOT_ACCEPTABLE",
                )
            response = await self.run(request)
        except HTTPException as e:
            response = graphql_http.refusal_response(e, exchange.media_type)
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A hash-only GET (APQ, `documentId`) has no `query` but is an operation, not the IDE.
        params = request.query_params
        if "extensions" in params or "documentId" in params:
            return False
        return super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        return render_ide(request)

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> Any:
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as e:
            if isinstance(e.__cause__, InvalidOperationTypeError):
                # GraphQL over HTTP: a mutation by GET is 405, and POST is the way.
                raise RequestRefused(405, e.reason, "METHOD_NOT_ALLOWED", {"Allow": "POST"}) from e
            raise
        exchange = graphql_http.current()
        if exchange.register and request_data.query and not graphql_http.is_request_error(result):
            # Only a document that parsed and validated takes a place in the APQ cache.
            self.documents.register(exchange.register, request_data.query)
        return result

    async def process_result(self, request: Any, result: Any) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        exchange = graphql_http.current()
        if exchange.media_type == GRAPHQL_RESPONSE_JSON and graphql_http.is_request_error(result):
            exchange.request_error = True
            data.pop("data", None)
        return data

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        exchange = graphql_http.current()
        if exchange.media_type == GRAPHQL_RESPONSE_JSON:
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
            if exchange.request_error and not sub_response.status_code:
                response.status_code = 400
        return response

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
            # GraphQL over HTTP: a body the server cannot read is 415.
            raise RequestRefused(415, "Unsupported content type", "UNSUPPORTED_MEDIA_TYPE")
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
        try:
            resolved = self.documents.resolve(
                data.get("query"), data.get("extensions"), data.get("documentId")
            )
        except DocumentRefused as e:
            raise RequestRefused(e.status, e.message, e.code) from None
        graphql_http.current().register = resolved.register if resolved else None
        transport = self._get_stream_transport_from_headers(request.headers)
        return GraphQLRequestData(
            query=resolved.query if resolved else None,
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
