"""create_app(settings) -> Starlette; the lifespan opens the database and wires everything."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from hookwire.delivery.worker import Worker
from hookwire.models.database import close_database, open_database
from hookwire.rest.body_limit import BodyLimitMiddleware
from hookwire.rest.health import healthz, readyz
from hookwire.rest.jwks import verification_jwks
from hookwire.runtime import Runtime
from hookwire.schema.schema import build_schema
from hookwire.schema.view import HookwireGraphQL
from hookwire.settings import Settings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def running_worker(runtime: Runtime) -> AsyncIterator[Worker]:
    """A delivery worker in this process until the block ends; in-flight attempts finish."""
    worker = Worker(runtime)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    runtime.wake_worker = worker.wake
    try:
        yield worker
    finally:
        stop.set()
        await task


def create_app(
    settings: Settings | None = None, *, run_migrations: bool = True, run_worker: bool = True
) -> Starlette:
    """The ASGI app: GraphQL at /graphql, the JWKS endpoint, health checks, and the worker."""
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
        await runtime.start()
        try:
            async with contextlib.AsyncExitStack() as stack:
                if run_worker:
                    await stack.enter_async_context(running_worker(runtime))
                yield
        finally:
            await runtime.close()
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
