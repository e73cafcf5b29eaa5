"""Opaque cursors over UUIDv7 ids, and the page-size rule (at most 100 a page)."""

from __future__ import annotations

import base64
import binascii
import uuid

from graphql import GraphQLError

MAX_PAGE = 100


class BadPageRequest(GraphQLError):
    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "INVALID_INPUT"})


def encode_cursor(id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(id.bytes).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if cursor is None:
        return None
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise BadPageRequest(f"`after` is not a cursor this API gave out: {cursor!r}") from None


def check_first(first: int) -> int:
    if not 0 <= first <= MAX_PAGE:
        raise BadPageRequest(f"`first` must be between 0 and {MAX_PAGE}, got {first}")
    return first
