"""Mapping HTTP failures onto Kervan's error taxonomy."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import httpx
from kervan.errors import (
    AuthError,
    ConflictError,
    KervanError,
    RateLimitedError,
    RemoteRejectedError,
    RemoteUnavailableError,
)

from .redaction import redact
from .retry import parse_retry_after

REQUEST_ID_HEADERS = (
    "x-request-id",
    "x-correlation-id",
    "x-amzn-requestid",
    "request-id",
    "x-trace-id",
)
# keys remotes commonly put their human-readable error under
_MESSAGE_KEYS = (
    "message",
    "errorMessage",
    "error_description",
    "detail",
    "title",
    "error",
    "errors",
)
MAX_REMOTE_MESSAGE = 300


def request_id_of(response: httpx.Response) -> str | None:
    """The remote's request/correlation id, if it sent one."""
    for name in REQUEST_ID_HEADERS:
        value = response.headers.get(name)
        if value:
            return value
    return None


def remote_message_of(response: httpx.Response, secrets: Iterable[str] = ()) -> str | None:
    """A short, redacted human message from an error body (JSON ``message``-like key, or text)."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return None
    text = text.strip()
    if not text:
        return None
    message = _message_from_json(text) or text
    message = " ".join(message.split())
    if len(message) > MAX_REMOTE_MESSAGE:
        message = message[: MAX_REMOTE_MESSAGE - 1] + "…"
    return redact(message, secrets)


def _message_from_json(text: str) -> str | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return _find_message(body, depth=0)


def _find_message(body: object, depth: int) -> str | None:
    if depth > 3:
        return None
    if isinstance(body, str):
        return body or None
    if isinstance(body, list):
        parts = [m for item in body[:5] if (m := _find_message(item, depth + 1))]
        return "; ".join(parts) or None
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            if key in body and (found := _find_message(body[key], depth + 1)):
                return found
    return None


def default_error(
    response: httpx.Response,
    remote: str,
    secrets: Iterable[str] = (),
    now: datetime | None = None,
) -> KervanError:
    """The taxonomy error for a failed response (see ``ApiClient.map_error``)."""
    status = response.status_code
    message = remote_message_of(response, secrets)
    common: dict[str, Any] = {
        "remote": remote,
        "status": status,
        "request_id": request_id_of(response),
    }
    said = f"{remote} answered {status}" + (f": {message}" if message else "")
    if status in (401, 403):
        return AuthError(f"{remote} refused the credentials ({status})", **common)
    if status == 409:
        return ConflictError(said, remote_message=message, **common)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        return RateLimitedError(
            f"{remote} is rate limiting us"
            + (f"; retry in {retry_after:g}s" if retry_after else ""),
            retry_after=retry_after,
            **common,
        )
    if status >= 500:
        return RemoteUnavailableError(said, **common)
    return RemoteRejectedError(said, remote_message=message, **common)
