"""Expected failures, returned as union members that carry an ErrorCode."""

from __future__ import annotations

import enum

import strawberry

from hookwire.domain.errors import NotFound, RuleViolation


@strawberry.enum
class ErrorCode(enum.Enum):
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_URL = "INVALID_URL"
    INVALID_TIMEOUT = "INVALID_TIMEOUT"
    INVALID_HEADER = "INVALID_HEADER"
    UNKNOWN_TRIGGER = "UNKNOWN_TRIGGER"
    UNKNOWN_EVENT = "UNKNOWN_EVENT"
    DUPLICATE_URL = "DUPLICATE_URL"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"


@strawberry.interface
class UserError:
    code: ErrorCode
    message: str


@strawberry.type
class ValidationError(UserError):
    field: str

    @classmethod
    def of(cls, violation: RuleViolation) -> ValidationError:
        return cls(code=ErrorCode(violation.code), message=violation.message, field=violation.field)


@strawberry.type
class ConflictError(UserError):
    field: str

    @classmethod
    def of(cls, violation: RuleViolation) -> ConflictError:
        return cls(code=ErrorCode(violation.code), message=violation.message, field=violation.field)


@strawberry.type
class NotFoundError(UserError):
    id: strawberry.ID

    @classmethod
    def of(cls, missing: NotFound) -> NotFoundError:
        return cls(code=ErrorCode.NOT_FOUND, message=missing.message, id=strawberry.ID(missing.id))


@strawberry.type
class RateLimitedError(UserError):
    retry_after_seconds: int
