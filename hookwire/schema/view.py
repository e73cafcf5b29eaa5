"""Strawberry's ASGI view with Hookwire's context and WebSocket authentication."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage

from hookwire.runtime import Runtime
from hookwire.schema.context import Context


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
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, runtime: Runtime, **options: Any) -> None:
        super().__init__(**options)
        self.runtime = runtime

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
