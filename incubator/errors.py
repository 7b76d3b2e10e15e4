"""Errors that services raise; the web layer maps them to HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    """A request that the rules of the domain refuse."""


class ValidationFailed(DomainError):
    """Input that cannot be accepted, with one message per field (shown beside it)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class NotAllowed(DomainError):
    """The person may not do this to this thing."""


class NotFound(DomainError):
    """The thing does not exist (or is not visible to this person)."""


class Busy(DomainError):
    """The server is at its capacity for this kind of work: retry shortly."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class TooManyAttempts(DomainError):
    """The person must wait before trying again."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
