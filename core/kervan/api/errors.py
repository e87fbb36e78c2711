"""Every error → the error envelope ``{"error": {"code", "message", "detail"?}}``.

Kervan's own errors, the request checks FastAPI makes (a malformed body is 400, a wrong value
422), the router's own answers (an unknown path 404, a wrong method 405 with its ``Allow``
header) and an unexpected failure (500) all answer in that one shape. Messages are ours; they
never carry secrets or echo a submitted value.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    CatalogConflictError,
    ClaimStateError,
    ConflictError,
    InvalidInputError,
    KervanError,
    NotFoundError,
    PermissionDeniedError,
    RemoteError,
    StateConflictError,
)
from ..store.port import DocumentExists, DocumentNotFound
from ..tenancy import NotAuthenticated

log = logging.getLogger("kervan.api")

_STATUS: list[tuple[type[KervanError], int]] = [
    (NotAuthenticated, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (DocumentNotFound, 404),
    (DocumentExists, 409),
    (StateConflictError, 409),
    (CatalogConflictError, 409),
    (ClaimStateError, 409),
    (ConflictError, 409),
    (InvalidInputError, 422),
    (RemoteError, 502),
]

#: the ``code`` of an error the HTTP layer raises itself (router, static files, plugins' routes)
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


def status_of(exc: KervanError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 503 if exc.retryable else 400


def envelope(
    status: int,
    code: str,
    message: str,
    detail: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if detail:
        error["detail"] = detail
    return JSONResponse({"error": error}, status_code=status, headers=dict(headers or {}))


def kervan_error(exc: KervanError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """One of Kervan's errors as the envelope, with its status (401s say ``WWW-Authenticate``)."""
    extra = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else {}
    return JSONResponse(
        {"error": exc.to_dict()}, status_code=status_of(exc), headers={**extra, **(headers or {})}
    )


def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """The router's 404 and 405 and any other ``HTTPException`` (headers such as ``Allow``
    are kept)."""
    status = exc.status_code
    code = HTTP_CODES.get(status, "http_error")
    phrase = _phrase(status)
    detail: dict[str, Any] | None = None
    if status == 404 and exc.detail == phrase:
        message = f"no such path: {request.url.path}"
    elif status == 405 and exc.detail == phrase:
        allowed = (exc.headers or {}).get("Allow") or (exc.headers or {}).get("allow") or ""
        message = f"{request.method} is not allowed on {request.url.path}" + (
            f"; allowed: {allowed}" if allowed else ""
        )
    elif isinstance(exc.detail, str):
        message = exc.detail
    else:  # a plugin's route raised HTTPException(detail={...}): keep what it said
        message, detail = phrase, {"info": exc.detail}
    return envelope(status, code, message, detail, exc.headers)


def validation_error(exc: RequestValidationError) -> JSONResponse:
    """A body that is not JSON at all is 400 (nothing could be read); a JSON body, a query or
    a path value that is wrong is 422 with the fields (never their values)."""
    errors = exc.errors()
    unreadable = next((e for e in errors if _unreadable_body(e)), None)
    if unreadable is not None:
        return envelope(400, "bad_request", _unreadable_message(unreadable, exc.body))
    listed = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in errors]
    return envelope(422, "invalid_input", "invalid request", {"errors": listed})


def _unreadable_body(error: Any) -> bool:
    if error.get("type") == "json_invalid":
        return True
    # FastAPI hands a body it did not parse as JSON (another Content-Type) over as bytes
    loc = tuple(error.get("loc") or ())
    return loc == ("body",) and isinstance(error.get("input"), bytes | bytearray)


def _unreadable_message(error: Any, body: Any) -> str:
    if error.get("type") != "json_invalid":
        return "the request body must be JSON, sent with 'Content-Type: application/json'"
    reason = (error.get("ctx") or {}).get("error") or "JSON decode error"
    loc = list(error.get("loc") or ())
    pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    if pos is None:
        return f"the request body is not valid JSON: {reason}"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else body
    if not isinstance(text, str):
        return f"the request body is not valid JSON: {reason} (at character {pos})"
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return (
        f"the request body is not valid JSON: {reason} at line {line}, column {column} "
        f"(character {pos})"
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def install(app: FastAPI) -> None:
    @app.exception_handler(KervanError)
    async def kervan_exception(_: Request, exc: KervanError) -> JSONResponse:
        return kervan_error(exc)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # the trace goes to the log (it may hold data); the caller gets the error shape
        log.error("unhandled error", exc_info=exc)
        return envelope(500, "internal", "internal error; the server log has the details")

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error(request, exc)
