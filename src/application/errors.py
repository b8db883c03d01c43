"""Errors the use cases raise; the entrypoints map them to HTTP statuses in one place."""

from __future__ import annotations


class AppError(Exception):
    """Base of every expected, user-facing error."""

    code = "error"


class NotFound(AppError):
    code = "not_found"


class Conflict(AppError):
    code = "conflict"


class DuplicateEmail(Conflict):
    code = "duplicate_email"


class InvalidCredentials(AppError):
    code = "invalid_credentials"


class ValidationFailed(AppError):
    code = "validation_failed"


class MalformedPayload(AppError):
    """The request body is not what the endpoint reads at all (e.g. not JSON)."""

    code = "malformed_payload"


DISABLED_MESSAGE = "YClients integration is disabled (YCLIENTS_ENABLED=false)"


class YClientsDisabled(Conflict):
    code = "yclients_disabled"


class GatewayError(AppError):
    """YClients could not be reached or answered with an error after the retry budget.
    `requests`: the YClients requests the failed call made that nothing reported yet (a
    sync run counts them: a failing page's retries used the budget too)."""

    code = "yclients_error"
    requests = 0


class TokensRejected(GatewayError):
    """YClients answered 401/403: the partner or user token is wrong or was rotated."""

    code = "yclients_tokens_rejected"


class ConcurrentUpdate(AppError):
    """Another transaction changed the same rows (unique step taken, deadlock, serialization
    failure); the use case retries the whole unit of work."""

    code = "concurrent_update"


class WriteRejected(AppError):
    """The database refused a value of what was being written (too long, out of range, a
    character it cannot store): retrying cannot help, so the record is set aside. The
    message names the kind of problem only, never the value or the statement."""

    code = "write_rejected"


class Forbidden(AppError):
    code = "forbidden"


def describe_error(exc: BaseException) -> str:
    """An unexpected error as it may be shown (run errors, inbox `last_error`): its type and
    the first line of its message, capped. A database driver's message puts the statement
    and its parameters on later lines, so neither SQL nor a client's data is repeated."""
    lines = str(exc).strip().splitlines()
    first = lines[0][:300] if lines else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class NotificationFailed(AppError):
    """An email or SMS could not be sent (the message names the channel and the reason)."""

    code = "notification_failed"


class InvalidCode(AppError):
    """A verification or reset code that is wrong, expired, used or out of tries (400)."""

    code = "invalid_code"


class ContactTaken(Conflict):
    """The email or phone is verified by another member (one member per contact)."""

    code = "contact_taken"


class RateLimited(AppError):
    """Too many codes asked for; `retry_after` says in how many seconds to ask again."""

    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
