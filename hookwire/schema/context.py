"""The per-request (or per-socket) context: the runtime and the lazily authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import GraphQLError
from strawberry.types import Info as StrawberryInfo

from hookwire.domain.access import Caller
from hookwire.runtime import Runtime
from hookwire.services.access import authenticate

T = TypeVar("T")


class AccessDenied(GraphQLError):
    """A top-level error whose extensions.code is UNAUTHENTICATED or FORBIDDEN."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, extensions={"code": code})


def credentials_from(headers: Any) -> tuple[str, str | None] | None:
    """(api key, SlashID-OrgID or None) from `Authorization: Bearer` or SlashID's header pair."""
    authorization = headers.get("authorization") or ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip(), headers.get("slashid-orgid")
    api_key = headers.get("slashid-api-key")
    org_id = headers.get("slashid-orgid")
    if api_key and org_id:
        return api_key.strip(), org_id
    return None


@dataclass
class Context:
    runtime: Runtime
    headers: Any = None
    connection_params: dict[str, Any] | None = None
    _caller: Caller | None = field(default=None, repr=False)
    _authenticated: bool = field(default=False, repr=False)
    _loaders: dict[str, Any] = field(default_factory=dict, repr=False)

    def loader(self, name: str, make: Callable[[], T]) -> T:
        """This context's DataLoader called `name`, made on first use (a context is one HTTP
        request, or one WebSocket with all its operations)."""
        if name not in self._loaders:
            self._loaders[name] = make()
        loader: T = self._loaders[name]
        return loader

    async def caller(self) -> Caller | None:
        if not self._authenticated:
            source = self.connection_params if self.connection_params is not None else None
            credentials = credentials_from(_lowercase(source) if source else self.headers or {})
            self._caller = await authenticate(*credentials) if credentials else None
            self._authenticated = True
        return self._caller

    async def reader(self) -> Caller:
        """The caller, who may read; UNAUTHENTICATED otherwise."""
        caller = await self.caller()
        if caller is None:
            raise AccessDenied(
                "UNAUTHENTICATED",
                "missing or invalid API key: send `Authorization: Bearer <key>` or the "
                "SlashID-OrgID and SlashID-API-Key headers",
            )
        return caller

    async def writer(self) -> Caller:
        """The caller, who must hold an ADMIN key to change anything."""
        caller = await self.reader()
        if not caller.can_write:
            raise AccessDenied("FORBIDDEN", "this API key has the MEMBER role, which is read-only")
        return caller


def _lowercase(params: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in params.items() if isinstance(v, str)}


Info = StrawberryInfo[Context, None]
