"""create_app(settings) -> Starlette; the lifespan opens the database and wires everything."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from hookwire.models.database import close_database, open_database
from hookwire.rest.body_limit import BodyLimitMiddleware
from hookwire.rest.health import healthz, readyz
from hookwire.rest.jwks import verification_jwks
from hookwire.runtime import Runtime
from hookwire.schema.schema import build_schema
from hookwire.schema.view import HookwireGraphQL
from hookwire.settings import Settings


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> Starlette:
    """The ASGI app: GraphQL at /graphql, the JWKS endpoint, health checks."""
    settings = settings or Settings.from_env()
    runtime = Runtime.create(settings)
    graphql = HookwireGraphQL(
        runtime,
        schema=build_schema(production=settings.production),
        graphql_ide=None if settings.production else "graphiql",
        allowed_origins=settings.allowed_origins,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await open_database(settings.database_url, run_migrations=run_migrations)
        try:
            yield
        finally:
            await close_database()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/organizations/webhooks/verification-jwks", verification_jwks),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        middleware=[Middleware(BodyLimitMiddleware)],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app
