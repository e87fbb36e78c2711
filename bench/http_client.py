"""HTTP client benchmark: Kervan's CPU per request through ``ApiClient`` over real loopback HTTP.

Run: ``.venv/bin/python bench/http_client.py [N] [--profile KIND]``. A server (uvicorn, in a
process of its own, so its CPU is not counted) answers three routes; this process sends ``N``
keep-alive requests of each kind through an :class:`~kervan_sdk.http.ApiClient` set up as a
connector's is (Basic auth, a secret to redact, a rate limit, ``client.json``), once with
httpx's own transport and once with :class:`~kervan_sdk.http.network.NetworkTransport`
(aiohttp), and prints this process's CPU (``time.process_time``) per request:

- ``get_small``: ``GET`` a small JSON object;
- ``post_json``: ``POST`` a small JSON object, a small JSON answer;
- ``get_20kb``: ``GET`` a 20 KB JSON answer.

Kinds and transports take turns in rounds, so a busy machine slows both alike. ``--profile
KIND`` runs that kind once more under cProfile with ``time.process_time`` as its timer (CPU,
not wall clock) and prints the top functions by own time. The last line is one JSON object:
``{"bench": "http_client", "requests": N, "<transport>_<kind>_cpu_ms": ..., ...}``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import multiprocessing
import pstats
import socket
import sys
import time
from typing import Any

import httpx
from kervan_sdk.http import ApiClient, BasicAuth, RateLimit
from kervan_sdk.http.network import NetworkTransport

SECRET = "bench-api-secret-0123456789"
BIG = {"items": [{"id": i, "sku": f"SKU-{i:05}", "title": "Çay bardağı 6'lı"} for i in range(250)]}
KINDS = ("get_small", "post_json", "get_20kb")
TRANSPORTS = {"httpx": httpx.AsyncHTTPTransport, "aiohttp": NetworkTransport}


def _serve(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    small = json.dumps({"id": "o-1", "status": "Created", "total": "249.90"}).encode()
    big = json.dumps(BIG).encode()

    async def get_small(request: Request) -> Response:
        return Response(small, media_type="application/json")

    async def post_json(request: Request) -> Response:
        await request.body()
        return Response(small, media_type="application/json")

    async def get_big(request: Request) -> Response:
        return Response(big, media_type="application/json")

    app = Starlette(
        routes=[
            Route("/orders/1", get_small),
            Route("/orders", post_json, methods=["POST"]),
            Route("/products", get_big),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, timeout: float = 30.0) -> None:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the bench server did not start on port {port}")


class Client(ApiClient):
    remote_name = "bench"


def client(base: str, transport: str) -> Client:
    return Client(
        base,
        auth=BasicAuth("bench-user", SECRET),
        secrets=[SECRET],
        rate_limit=RateLimit(1_000_000, 1),
        transport=TRANSPORTS[transport](),
    )


async def one(c: Client, kind: str) -> None:
    if kind == "get_small":
        body = await c.json("GET", "/orders/1")
    elif kind == "post_json":
        body = await c.json("POST", "/orders", json={"lines": [{"sku": "SKU-1", "qty": 2}]})
    else:
        body = await c.json("GET", "/products")
    assert body


async def measure(base: str, n: int, rounds: int) -> dict[str, float]:
    clients = {t: client(base, t) for t in TRANSPORTS}
    spent = {(t, k): 0.0 for t in TRANSPORTS for k in KINDS}
    for c in clients.values():  # connect, warm caches
        for kind in KINDS:
            for _ in range(50):
                await one(c, kind)
    per_round = max(1, n // rounds)
    for _ in range(rounds):
        for kind in KINDS:
            for name, c in clients.items():
                started = time.process_time()
                for _ in range(per_round):
                    await one(c, kind)
                spent[name, kind] += time.process_time() - started
    for c in clients.values():
        await c.aclose()
    sent = per_round * rounds
    return {f"{t}_{k}_cpu_ms": round(s * 1000 / sent, 4) for (t, k), s in spent.items()}


async def profile(base: str, kind: str, n: int, transport: str) -> None:
    c = client(base, transport)
    for _ in range(50):
        await one(c, kind)
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for _ in range(n):
        await one(c, kind)
    prof.disable()
    await c.aclose()
    print(f"\ncProfile ({transport}, {kind}, {n} requests, CPU time), top 25 by own time:")
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=2000, help="requests per kind and transport")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile", choices=KINDS)
    ap.add_argument("--transport", choices=tuple(TRANSPORTS), default="aiohttp")
    args = ap.parse_args(argv)
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        _wait_for(port)
        base = f"http://127.0.0.1:{port}"
        result = asyncio.run(measure(base, args.n, args.rounds))
        print(f"{'kind':10} " + " ".join(f"{t + ' ms':>11}" for t in TRANSPORTS))
        for kind in KINDS:
            cells = " ".join(f"{result[f'{t}_{kind}_cpu_ms']:11.3f}" for t in TRANSPORTS)
            print(f"{kind:10} {cells}")
        if args.profile:
            asyncio.run(profile(base, args.profile, args.n, args.transport))
    finally:
        server.terminate()
        server.join(5)
    line = {"bench": "http_client", "requests": args.n, **result}
    print(json.dumps(line))
    return line


if __name__ == "__main__":
    main()
