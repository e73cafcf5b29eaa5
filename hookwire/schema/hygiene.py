"""Limits on what a request may ask, and masking of unexpected errors (§8)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types.graphql import OperationType

log = logging.getLogger("hookwire.graphql")

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


def is_unexpected(error: GraphQLError) -> bool:
    """Errors raised by our own code that are not GraphQL errors are bugs: mask them."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Replace unexpected errors with "Unexpected error" and log them with a correlation id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        correlation_id = str(uuid.uuid4())
        log.error(
            "unexpected error %s at %s",
            correlation_id,
            error.path,
            exc_info=error.original_error,
        )
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "correlationId": correlation_id},
        )


class SubscriptionsOverWebSocketOnly(SchemaExtension):
    """A subscription sent over plain HTTP gets a clear error instead of being run as a query."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        over_http = getattr(execution.context, "connection_params", None) is None
        if execution.operation_type is OperationType.SUBSCRIPTION and over_http:
            error = GraphQLError(
                "subscriptions need a WebSocket: connect to /graphql with the "
                "graphql-transport-ws (or legacy graphql-ws) protocol",
                extensions={"code": "BAD_REQUEST"},
            )
            execution.result = ExecutionResult(data=None, errors=[error])
        yield


def hygiene_extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    # Strawberry wants extension classes or factories, not shared instances; the limiters
    # take arguments, so each gets a factory.
    return [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        MaskUnexpectedErrors,
        SubscriptionsOverWebSocketOnly,
    ]
