"""Every error the API answers with, in one JSON shape, mapped in one place.

`{"error": {"code": "...", "message": "...", "status": 4xx, "details": [...]}}` for the use
cases' errors (src/application/errors.py), Litestar's own (validation, auth, 404, 405, 413,
429) and anything unexpected (500, without internals).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

from src.application.errors import AppError, GatewayError, NotificationFailed, RateLimited
from src.entrypoints.http.schemas.errors import ErrorBody, ErrorDetail, ErrorInfo
from src.entrypoints.web.errors import app_error_status

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}

_REASONS = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    502: "YClients is unavailable",
    503: "Service unavailable",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[ErrorBody]:
    body = ErrorBody(ErrorInfo(code=code, message=message, status=status, details=details))
    return Response(body, status_code=status, headers=dict(headers or {}))


def handle_app_error(_: Request[Any, Any, Any], exc: AppError) -> Response[ErrorBody]:
    status = app_error_status(exc)
    message = str(exc) or _REASONS.get(status, exc.code)
    if isinstance(exc, GatewayError):
        log.warning("yclients_gateway_error", extra={"error": message})
    if isinstance(exc, NotificationFailed):
        # The SMTP host, port and server reply (or the SMS gateway's) are for operators.
        log.warning("notification_failed", extra={"reason": message})
        message = NOTIFICATION_FAILED
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return error_response(status, exc.code, message, headers=headers)


NOTIFICATION_FAILED = "could not send the message; try again later"

_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def _details(extra: Any) -> list[ErrorDetail]:
    items: Iterable[Any] = extra if isinstance(extra, list) else [extra] if extra else []
    details = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        message, name = str(item.get("message", "")), item.get("key")
        # msgspec reports a missing body field on the body itself ("data"): name the field.
        missing = _MISSING_FIELD.search(message)
        if missing and name in (None, "data"):
            name = missing.group(1)
        details.append(ErrorDetail(message=message, name=name, source=item.get("source")))
    return details


def handle_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    status = exc.status_code
    if status >= 500 and status != HTTP_503_SERVICE_UNAVAILABLE:
        # Litestar's own 5xx (e.g. a dependency that failed to resolve): no internals out.
        log.error("http_internal_error", exc_info=exc)
        return error_response(status, _HTTP_CODES.get(status, "internal_error"), _REASONS[500])
    details = _details(exc.extra)
    if isinstance(exc, ValidationException) and details:
        named = "; ".join(f"{d.name}: {d.message}" if d.name else d.message for d in details)
        message, code = f"invalid request: {named}", "invalid_request"
        if all(d.source == "body" for d in details):
            # Well-formed JSON with missing or wrong fields: 422, as for the webhook and the
            # use cases' own checks. Bad query/path parameters and broken JSON stay 400.
            status, code = HTTP_422_UNPROCESSABLE_ENTITY, "validation_failed"
    else:
        message = exc.detail or _REASONS.get(status, "error")
        code = _HTTP_CODES.get(status, "error")
    headers = dict(exc.headers or {})
    if status == HTTP_401_UNAUTHORIZED:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return error_response(status, code, message, details or None, headers)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    log.exception("unhandled_error", extra={"method": request.method, "path": request.url.path})
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", _REASONS[500])


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    AppError: handle_app_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for a route's error answers (all in the one error shape)."""
    return {
        status: ResponseSpec(
            data_container=ErrorBody,
            description=_REASONS.get(status, "Error"),
            generate_examples=False,
        )
        for status in sorted({400, *statuses})
    }
