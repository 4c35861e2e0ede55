"""Domain errors: plain classes. Status codes live in `sculptops.http.errors` alone."""

from __future__ import annotations


class SculptOpsError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthenticated(SculptOpsError):
    """No usable credential. Never says why: the reason stays on the server side."""

    def __init__(self, reason: str = "unauthenticated") -> None:
        super().__init__("Unauthorized")
        # Kept for tests and metrics; never sent to the client and never contains a secret.
        self.reason = reason


class Forbidden(SculptOpsError):
    """An authenticated caller without the right to do this."""


class NotFound(SculptOpsError):
    """The thing does not exist in the caller's tenant."""


class Conflict(SculptOpsError):
    """The request conflicts with the current state."""


class InvalidInput(SculptOpsError):
    """Bad input, naming the field."""

    def __init__(self, field: str, message: str, where: str = "body") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message
        self.where = where  # "body", "query" or "path", as request validation names them


class Unavailable(SculptOpsError):
    """A dependency (the database, the identity provider) is throttling or unreachable."""

    def __init__(self, message: str = "Service temporarily unavailable", retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after
