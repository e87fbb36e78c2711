"""The floor under ``bench/pipeline.py``: what the benchmark's own setup costs per order
before any of Kervan's code runs, and so the most orders/s this machine could ever reach.

Two costs are unavoidable in that setup and are measured here apart from everything else:

- **GİB validation** (XSD + schematron): an invoice is checked by Kervan's gate before it
  leaves and by the Nilvera sandbox when it arrives, as the real integrator does.
- **An in-process HTTP exchange**: a bare ``GET`` through httpx's ASGI transport into an app
  that does nothing: a raw ASGI callable (counted in the floor) and, for comparison, a
  one-route FastAPI app, the stack the sandboxes run on.

The counts per order (validations, requests) are read off the real flow on N orders (direct
mode, one thread); the unit costs are CPU time of minimal repetitions. The floor assumes all of
the rest (engine, store, JSON, pydantic, the sandboxes' own logic) costs nothing and that the
work spreads perfectly over every core, so the ceiling is generous.

    python bench/floor.py [N]

Prints one JSON line last: ``{"bench": "floor", ..., "ceiling_orders_per_s": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ["KERVAN_VALIDATION_PROCESSES"] = "0"  # count and time on this thread

sys.path.insert(0, str(Path(__file__).parent))
import httpx
import pipeline
from fastapi import FastAPI
from kervan_sdk.sandbox.transport import SandboxTransport
from kervan_ubltr.validation import Validator

TARGET = 500


def count_flow(n: int) -> tuple[float, float, list[bytes]]:
    """(GİB validations per order, HTTP requests per order, the documents validated)."""
    seen: list[bytes] = []
    requests = 0
    gib, send = Validator._gib, SandboxTransport.handle_async_request

    def counting_gib(self: Validator, xml: bytes):  # type: ignore[no-untyped-def]
        seen.append(xml)
        return gib(self, xml)

    async def counting_send(self: SandboxTransport, request: httpx.Request) -> httpx.Response:
        nonlocal requests
        requests += 1
        return await send(self, request)

    Validator._gib = counting_gib  # type: ignore[method-assign]
    SandboxTransport.handle_async_request = counting_send  # type: ignore[method-assign]
    asyncio.to_thread = pipeline._inline  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as home:
            rt = pipeline.setup(n, home)
            asyncio.run(pipeline._direct(rt))
            rt.close()
    finally:
        Validator._gib = gib  # type: ignore[method-assign]
        SandboxTransport.handle_async_request = send  # type: ignore[method-assign]
    return len(seen) / n, requests / n, seen


def validation_ms(documents: list[bytes]) -> float:
    """CPU ms of one GİB validation (XSD + schematron), over the flow's own documents."""
    validator = Validator()
    validator.validate_here(documents[0], arithmetic=False)  # warm-up: compile the rules
    t0 = time.process_time()
    for xml in documents:
        validator.validate_here(xml, arithmetic=False)
    return 1000 * (time.process_time() - t0) / len(documents)


async def _raw_app(scope: dict, receive: Any, send: Any) -> None:
    """The least an ASGI server can do: no routing, no framework."""
    await send({"type": "http.response.start", "status": 200, "headers": _JSON})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


_JSON = [(b"content-type", b"application/json")]


def bare_request_ms(framework: bool, count: int = 3000) -> float:
    """CPU ms of one in-process GET through httpx's ASGI transport into an app that does
    nothing: a one-route FastAPI app (``framework``, as the sandboxes are) or a raw ASGI
    callable (the client's side alone, near enough)."""
    app: Any = _raw_app
    if framework:
        app = FastAPI()

        @app.get("/ping")
        async def ping() -> dict[str, bool]:
            return {"ok": True}

    async def run() -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
            for _ in range(200):
                (await client.get("/ping")).json()
            t0 = time.process_time()
            for _ in range(count):
                (await client.get("/ping")).json()
            return 1000 * (time.process_time() - t0) / count

    return asyncio.run(run())


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "200"))
    validations, requests, documents = count_flow(n)
    v_ms = validation_ms(documents)
    fastapi_ms, raw_ms = bare_request_ms(framework=True), bare_request_ms(framework=False)
    r_ms = raw_ms  # the cheaper of the two: the floor stays a floor
    cores = os.cpu_count() or 1
    floor = validations * v_ms + requests * r_ms
    floor_one = v_ms + requests * r_ms  # as if Kervan trusted the integrator's check alone
    print(
        f"per order: {validations:.2f} GİB validations × {v_ms:.2f} ms + {requests:.2f} "
        f"requests × {r_ms:.3f} ms (a FastAPI route: {fastapi_ms:.3f} ms) = {floor:.2f} ms "
        f"CPU before any of Kervan's own work; {cores} cores → at most "
        f"{cores * 1000 / floor:.0f} orders/s ({cores * 1000 / floor_one:.0f} with one "
        f"validation); target {TARGET}",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "bench": "floor",
                "orders": n,
                "validations_per_order": round(validations, 2),
                "validation_cpu_ms": round(v_ms, 3),
                "requests_per_order": round(requests, 2),
                "bare_request_cpu_ms": round(r_ms, 3),
                "fastapi_request_cpu_ms": round(fastapi_ms, 3),
                "floor_cpu_ms_per_order": round(floor, 2),
                "cores": cores,
                "ceiling_orders_per_s": round(cores * 1000 / floor, 1),
                "ceiling_one_validation_orders_per_s": round(cores * 1000 / floor_one, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
