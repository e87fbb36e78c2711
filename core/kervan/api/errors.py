"""Kervan errors → HTTP problem responses. Messages are ours; they never carry secrets."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..errors import (
    ConflictError,
    InvalidInputError,
    KervanError,
    NotFoundError,
    PermissionDeniedError,
    RemoteError,
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
    (ConflictError, 409),
    (InvalidInputError, 422),
    (RemoteError, 502),
]


def status_of(exc: KervanError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 503 if exc.retryable else 400


def install(app: FastAPI) -> None:
    @app.exception_handler(KervanError)
    async def kervan_error(_: Request, exc: KervanError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
        return JSONResponse({"error": exc.to_dict()}, status_code=status_of(exc), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # the trace goes to the log (it may hold data); the caller gets the error shape
        log.error("unhandled error", exc_info=exc)
        return JSONResponse(
            {
                "error": {
                    "code": "internal",
                    "message": "internal error; the server log has the details",
                }
            },
            status_code=500,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        return JSONResponse(
            {
                "error": {
                    "code": "invalid_input",
                    "message": "invalid request",
                    "detail": {"errors": errors},
                }
            },
            status_code=422,
        )
