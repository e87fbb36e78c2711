"""Shared fixtures: a small remote stand-in and a context wired to it on simulated time."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from kervan import ConnectorContext
from kervan_sdk.sandbox import RateLimit, Sandbox, paginate

pytest_plugins = ["pytester"]

# the toy connectors name their sandbox by import path ("sdk_toys:ToySandbox"), as real plugins
# do, so their module must be importable by name (the suite runs with --import-mode=importlib)
sys.path.insert(0, str(Path(__file__).parent))


class EchoSandbox(Sandbox):
    """Items to page through, a POST that counts what it creates, and a secret-checking route."""

    name = "echo"

    def __init__(self, **kw):
        self.created: list[dict] = []
        self.items = list(range(23))
        super().__init__(**kw)

    def routes(self, app: FastAPI) -> None:
        @app.get("/items")
        async def items(page: int = 0, size: int = 5):
            return {
                "content": paginate(self, "/items", self.items, page, size),
                "total": len(self.items),
            }

        @app.post("/things")
        async def create(request: Request):
            body = await request.json()
            self.created.append(body)
            return {"id": len(self.created)}

        @app.get("/things/{ref}")
        async def find(ref: str):
            for i, thing in enumerate(self.created, 1):
                if thing.get("ref") == ref:
                    return {"id": i}
            return JSONResponse({"message": "no such thing"}, status_code=404)

        @app.get("/whoami")
        async def whoami(authorization: str | None = Header(default=None)):
            if authorization != "Bearer good-token-1":
                return JSONResponse({"message": "token expired"}, status_code=401)
            return {"me": "seller"}

        @app.get("/limited")
        async def limited():
            return self.throttle("GET /limited", RateLimit(2, 10)) or {"ok": True}

        @app.get("/headers")
        async def headers(request: Request):
            return dict(request.headers)


@pytest.fixture
def sandbox() -> EchoSandbox:
    return EchoSandbox()


@pytest.fixture
def context(sandbox: EchoSandbox) -> ConnectorContext:
    return ConnectorContext(
        tenant_id="t1",
        connection_id="c1",
        transport=sandbox.transport(),
        clock=sandbox.clock.now,
        sleep=sandbox.clock.sleep,
    )
