"""The FastAPI application (``/v1``). Build it with :func:`create_app` around a Runtime."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from .. import __version__
from ..documents import Documents
from . import (
    docs_ui,
    errors,
    gate,
    openapi,
    routes_admin,
    routes_catalog,
    routes_connections,
    routes_fiscal,
    routes_floor,
    routes_health,
    routes_orders,
    routes_parts,
    routes_problems,
    routes_returns,
    routes_webhooks,
)


def create_app(runtime: Any, limits: gate.Limits | None = None) -> FastAPI:
    """The app around ``runtime``; ``limits`` (body size, JSON depth, failed-key throttle)
    default to the ``KERVAN_API_*`` environment (see docs/api.md)."""
    app = FastAPI(
        title="Kervan API",
        version=__version__,
        description="Order-to-cash hub for e-commerce sellers in Turkey. "
        "Authenticate with `Authorization: Bearer <API key>`.",
        docs_url=None,  # served from packaged files instead of a CDN (docs_ui)
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.documents = Documents(
        runtime.store, runtime.connectors, runtime.engine.tenants, runtime.engine.marketplace_label
    )
    errors.install(app)
    limits = limits or gate.Limits.from_env()
    app.add_middleware(
        gate.Gate,
        openapi=lambda: app.openapi(),  # the document as served (openapi.install below)
        tenancy=runtime.tenancy,
        limits=limits,
        throttle=gate.KeyThrottle(limits),
        uploads=lambda: gate.larger_bodies("/v1", [routes_returns.router]),  # photo uploads
    )
    openapi.install(app)
    docs_ui.install(app)
    v1 = APIRouter(prefix="/v1")
    v1.include_router(routes_health.router, tags=["health"])
    v1.include_router(routes_admin.router, tags=["admin"])
    v1.include_router(routes_connections.router, tags=["connections"])
    v1.include_router(routes_orders.router, tags=["orders"])
    v1.include_router(routes_fiscal.router, tags=["fiscal"])
    v1.include_router(routes_catalog.router, tags=["catalog"])
    v1.include_router(routes_returns.router, tags=["returns"])
    v1.include_router(routes_parts.router, tags=["returns"])
    v1.include_router(routes_floor.router, tags=["floor"])
    v1.include_router(routes_webhooks.router, tags=["webhooks"])
    v1.include_router(routes_problems.router, tags=["problems"])
    ext = APIRouter(prefix="/ext")
    runtime.host.hooks.register_routes(ext)
    v1.include_router(ext, tags=["plugins"])
    app.include_router(v1)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness only: the process answers (readiness: GET /v1/health)."""
        return {"status": "ok"}

    runtime.host.hooks.startup(app)
    return app
