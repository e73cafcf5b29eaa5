"""The error types of broken product rules; the API maps `code` onto ErrorCode."""


class RuleViolation(ValueError):
    """A value breaks a rule of the product; `code` is the ErrorCode the API reports."""

    code = "INVALID_INPUT"

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class DuplicateTargetURL(RuleViolation):
    """Another webhook of the organization already has this target URL."""

    code = "DUPLICATE_URL"


class NotFound(LookupError):
    """Nothing with this id exists for the caller's organization."""

    code = "NOT_FOUND"

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"no {kind} with id {id} in this organization")
        self.message = str(self)
        self.id = id
