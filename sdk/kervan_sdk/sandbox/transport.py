"""The in-process transport: httpx talks to a sandbox without sockets, on simulated time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from .faults import WIRE_FAULTS, Fault
from .middleware import fault_applied

if TYPE_CHECKING:
    from .base import Sandbox

DEFAULT_READ_TIMEOUT = 30.0
_CLIENT_SIDE = frozenset({"timeout", "latency"})


def _read_timeout(request: httpx.Request) -> float:
    timeout = request.extensions.get("timeout") or {}
    read = timeout.get("read")
    return DEFAULT_READ_TIMEOUT if read is None else float(read)


class SandboxTransport(httpx.AsyncBaseTransport):
    """Routes requests into the sandbox app; turns ``timeout``/``latency`` faults into
    ``httpx.ReadTimeout`` and clock advances, so nothing really waits."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._asgi = httpx.ASGITransport(app=sandbox.asgi)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        # faults fire in queue order, one per request; only the client-side kinds are ours
        first = self.sandbox.faults.peek(WIRE_FAULTS, method, path)
        if first is None or first.kind not in _CLIENT_SIDE:
            return await self._asgi.handle_async_request(request)
        fault = self.sandbox.faults.take(_CLIENT_SIDE, method, path)
        assert fault is first
        timeout = _read_timeout(request)
        if fault.kind == "latency" and fault.delay < timeout:
            await self.sandbox.clock.sleep(fault.delay)
            return await self._unfaulted(request)
        return await self._time_out(fault, request, timeout)

    async def _unfaulted(self, request: httpx.Request) -> httpx.Response:
        """Into the app with this request's fault already spent (the middleware adds none)."""
        token = fault_applied.set(True)
        try:
            return await self._asgi.handle_async_request(request)
        finally:
            fault_applied.reset(token)

    async def _time_out(
        self, fault: Fault, request: httpx.Request, timeout: float
    ) -> httpx.Response:
        if fault.kind == "timeout":
            # the remote acts on the request; only its answer is lost (the case that makes
            # blind re-sending of a POST create duplicates)
            response = await self._unfaulted(request)
            await response.aclose()
        await self.sandbox.clock.sleep(timeout)
        raise httpx.ReadTimeout(
            f"injected {fault.kind}: no answer within {timeout:g}s", request=request
        )

    async def aclose(self) -> None:
        await self._asgi.aclose()
