"""Strawberry's ASGI view with Hookwire's context, WebSocket authentication and media types."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage

from hookwire.runtime import Runtime
from hookwire.schema.context import Context
from hookwire.schema.media_types import (
    GRAPHQL_RESPONSE_JSON,
    graphql_response,
    negotiate_media_type,
)

# What graphql-http's reference server sends; JSON is UTF-8 anyway.
GRAPHQL_RESPONSE_CONTENT_TYPE = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """graphql-ws closes a rejected connection_init with 4403, like graphql-transport-ws."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload")
        self.context.connection_params = payload if isinstance(payload, dict) else {}
        try:
            await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError as rejection:
            await self.send_message({"type": "connection_error", "payload": rejection.payload})
            await self.websocket.close(code=4403, reason="Forbidden")
            return
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True


class HookwireGraphQL(GraphQL[Context, None]):
    """Strawberry's view; a client accepting application/graphql-response+json gets it.

    That media type brings the GraphQL-over-HTTP status codes (400 for documents that do not
    parse or validate, 200 for anything executed); application/json answers as before.
    """

    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, runtime: Runtime, **options: Any) -> None:
        super().__init__(**options)
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            response = self.request_error_response(request, error)
        await response(scope, receive, send)

    def request_error_response(self, request: Request, error: HTTPException) -> Response:
        """Strawberry's plain-text refusal, or a GraphQL response for graphql-response+json."""
        if negotiate_media_type(request.headers.get("accept")) != GRAPHQL_RESPONSE_JSON:
            return PlainTextResponse(error.reason, status_code=error.status_code)
        return Response(
            self.encode_json({"errors": [{"message": error.reason}]}),
            status_code=error.status_code,
            media_type=GRAPHQL_RESPONSE_CONTENT_TYPE,
        )

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # Carried to create_response, which does not see the request; the sub-response
        # itself has no content-type header, so this changes nothing else.
        sub_response.media_type = negotiate_media_type(request.headers.get("accept"))
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        if sub_response.media_type != GRAPHQL_RESPONSE_JSON or isinstance(response_data, list):
            return super().create_response(response_data, sub_response)
        status, body = graphql_response(response_data)
        response = super().create_response(body, sub_response)
        response.headers["content-type"] = GRAPHQL_RESPONSE_CONTENT_TYPE
        if not sub_response.status_code:
            response.status_code = status
        return response

    def decode_json(self, data: str | bytes) -> object:
        # JSON that Python's decoder cannot hold (nesting past the recursion limit, integers
        # of more than 4,300 digits) is a bad request like any other undecodable body.
        try:
            return super().decode_json(data)
        except (RecursionError, ValueError) as error:
            raise json.JSONDecodeError(f"unusable JSON: {error}", "", 0) from None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context(runtime=self.runtime, headers=request.headers)

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        if context.connection_params is None:
            context.connection_params = {}
        if await context.caller() is None:
            raise ConnectionRejectionError({"message": "missing or invalid API key"})
        return None
