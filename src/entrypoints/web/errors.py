"""The HTTP status of each application error (src/application/errors.py), for the API's JSON
answers and the console's pages alike."""

from __future__ import annotations

from src.application.errors import (
    AppError,
    ConcurrentUpdate,
    Conflict,
    Forbidden,
    GatewayError,
    InvalidCode,
    InvalidCredentials,
    MalformedPayload,
    NotFound,
    NotificationFailed,
    RateLimited,
    ValidationFailed,
)

# Most specific first: the first class the error is an instance of decides the status.
APP_ERROR_STATUS: tuple[tuple[type[AppError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),  # DuplicateEmail, YClientsDisabled
    (InvalidCredentials, 401),
    (InvalidCode, 400),
    (RateLimited, 429),
    (ValidationFailed, 422),
    (MalformedPayload, 400),
    (Forbidden, 403),
    (ConcurrentUpdate, 409),
    (GatewayError, 502),
    (NotificationFailed, 502),
)


def app_error_status(exc: AppError) -> int:
    return next((status for cls, status in APP_ERROR_STATUS if isinstance(exc, cls)), 400)
