"""The ASGI middleware that applies wire faults and records every request a sandbox sees."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from .faults import RECORD_FAULTS, WIRE_FAULTS, Fault, damage_first_record

#: set by the in-process transport when it has already applied this request's fault, so one
#: request never consumes two faults (the transport and the app run in the same task)
fault_applied: ContextVar[bool] = ContextVar("kervan_sandbox_fault_applied", default=False)

if TYPE_CHECKING:
    from .base import Sandbox

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


class RequestRecord(NamedTuple):
    """One request a sandbox answered: ``(method, path, status)``."""

    method: str
    path: str
    status: int


class TimedRequest(NamedTuple):
    """One request with the sandbox-clock time it arrived: ``(at, method, path, status)``."""

    at: datetime
    method: str
    path: str
    status: int


class _Buffered:
    """Collects an app's response instead of sending it, so a fault can rewrite it."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def _respond(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _json_headers() -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json")]


class FaultMiddleware:
    """Wraps a sandbox's FastAPI app: applies queued wire faults, logs ``(method, path, status)``."""

    def __init__(self, app: Any, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        arrived = self.sandbox.clock.now()
        fault = None if fault_applied.get() else self.sandbox.faults.take(WIRE_FAULTS, method, path)
        buffered = _Buffered()
        if fault is None or fault.kind == "latency":
            if fault is not None:
                await asyncio.sleep(fault.delay)  # on loopback: a real delay
            await self.app(scope, receive, buffered.send)
            status, body, headers = buffered.status, buffered.body, buffered.headers
            if status == 200:
                body = self._damage_a_record(method, path, body)
        else:
            status, body, headers = await self._faulted(fault, scope, receive, buffered)
        self.sandbox.requests.append(RequestRecord(method, path, status))
        self.sandbox.timeline.append(TimedRequest(arrived, method, path, status))
        await _respond(send, status, body, headers)

    def _damage_a_record(self, method: str, path: str, body: bytes) -> bytes:
        """Apply a queued ``damaged_record`` fault, if one matches and the answer holds a
        record to break (otherwise the fault waits for a later answer)."""
        faults = self.sandbox.faults
        if faults.peek(RECORD_FAULTS, method, path) is None:
            return body
        try:
            data = json.loads(body)
        except ValueError:
            return body
        broken = damage_first_record(data)
        if broken is None:
            return body
        faults.take(RECORD_FAULTS, method, path)
        faults.damaged.append(broken[0])
        return json.dumps(data).encode()

    async def _faulted(
        self, fault: Fault, scope: Scope, receive: Any, buffered: _Buffered
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        if fault.kind == "status":
            body = fault.body or json.dumps({"message": f"injected fault: HTTP {fault.status}"})
            return fault.status, body.encode(), _json_headers()
        if fault.kind == "rate_limit":
            after = 1.0 if fault.retry_after is None else fault.retry_after
            headers = [*_json_headers(), (b"retry-after", f"{after:g}".encode())]
            body = fault.body or json.dumps({"message": "Too Many Requests"})
            return 429, body.encode(), headers
        await self.app(scope, receive, buffered.send)
        if fault.kind == "malformed":
            cut = fault.body.encode() if fault.body else _truncate(buffered.body)
            return 200, cut, buffered.headers
        # "timeout" on loopback: the work is done, the answer comes too late to be read
        await asyncio.sleep(fault.delay or 60)
        return buffered.status, buffered.body, buffered.headers


def _truncate(body: bytes) -> bytes:
    if len(body) < 4:
        return b'{"trunc'
    return body[: len(body) // 2]
