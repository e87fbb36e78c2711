"""``GET /v1/health``: is this process alive, and is it ready for work?

No API key: a supervisor, a load balancer or a seller's uptime check asks it. It says *what*
is wrong, never *where* or *with what*: no URLs, hosts, paths or secrets, and an error is named
by its class only (the server log has the rest). ``/healthz`` is the bare liveness probe.

Ready means: the store answers a real read, the job runner can take work (Redis answers a PING
in Redis mode; the in-process worker's threads are alive in embedded mode), and the scheduler —
which polls remotes and sweeps due work — is alive where this process runs one. Plugins that
failed to load leave the process ready but ``degraded`` (the connections that need them fail
on their own), except under ``KERVAN_STRICT_PLUGINS=1``, where a failure is an error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from .. import __version__
from ..plugins.report import PluginStatus
from ..tenancy import TENANT

log = logging.getLogger("kervan.api.health")
router = APIRouter()

#: longest a check may take before it counts as failed (a hung store or broker)
CHECK_TIMEOUT_S = 2.0
_PROBE_KEY = "~health"  # a key no tenant can have: the read finds nothing, cheaply

R = TypeVar("R")


class StoreCheck(BaseModel):
    ok: bool
    kind: str = Field(description="the store adapter: sqlite or couchbase")
    latency_ms: float | None = Field(default=None, description="how long the probe read took")
    error: str | None = Field(default=None, description="the error's class, when it failed")


class BrokerCheck(BaseModel):
    ok: bool
    mode: Literal["embedded", "redis", "none"] = Field(
        description="embedded (in-process queue), redis, or none (this process runs no jobs)"
    )
    worker: bool = Field(description="a worker runs in this process and its threads are alive")
    scheduler: bool = Field(description="a scheduler (polling, due-work sweep) runs here")
    error: str | None = Field(default=None, description="what is wrong, when it is not ok")


class PluginFailure(BaseModel):
    name: str
    status: PluginStatus


class PluginsCheck(BaseModel):
    ok: bool = Field(description="every plugin loaded (GET /v1/plugins says why one did not)")
    loaded: int
    failed: int
    skipped: int = Field(description="left out on purpose (KERVAN_LOAD/DISABLED_PLUGINS)")
    connectors: int = Field(description="connector classes available")
    failures: list[PluginFailure] = Field(default_factory=list)


class HealthChecks(BaseModel):
    store: StoreCheck
    broker: BrokerCheck
    plugins: PluginsCheck


class HealthOut(BaseModel):
    """Liveness (it answered) and readiness, with each check's result."""

    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="ok; degraded (ready, but a plugin did not load); unavailable (not ready)"
    )
    live: bool = Field(description="always true: the process answered")
    ready: bool = Field(description="it can take work: 200 when true, 503 when false")
    version: str
    checks: HealthChecks


@router.get(
    "/health",
    response_model=HealthOut,
    summary="Liveness and readiness (no API key)",
    responses={503: {"model": HealthOut, "description": "not ready: a check failed"}},
    openapi_extra={"x-roles": [], "x-auth": "none"},
)
async def health(request: Request, response: Response) -> HealthOut:
    """Store, broker and plugins, each checked now; 200 when ready, 503 when not."""
    rt = request.app.state.runtime
    store, broker = await asyncio.gather(_store(rt), _broker(rt))
    plugins = _plugins(rt.host)
    ready = store.ok and broker.ok and (plugins.ok or not rt.host.strict)
    response.status_code = 200 if ready else 503
    return HealthOut(
        status="unavailable" if not ready else "ok" if plugins.ok else "degraded",
        live=True,
        ready=ready,
        version=__version__,
        checks=HealthChecks(store=store, broker=broker, plugins=plugins),
    )


async def _within(fn: Callable[[], R]) -> R:
    """``fn`` in a thread, given up on after CHECK_TIMEOUT_S (raises TimeoutError)."""
    return await asyncio.wait_for(asyncio.to_thread(fn), CHECK_TIMEOUT_S)


def _failed(what: str, exc: BaseException) -> str:
    log.warning("health: %s check failed", what, exc_info=exc)
    return "TimeoutError" if isinstance(exc, TimeoutError) else type(exc).__name__


async def _store(rt: Any) -> StoreCheck:
    kind = type(rt.store).__name__.removesuffix("Store").lower()
    started = time.perf_counter()
    try:
        await _within(lambda: rt.store.platform().get(TENANT, _PROBE_KEY))
    except Exception as exc:
        return StoreCheck(ok=False, kind=kind, error=_failed("store", exc))
    latency = round((time.perf_counter() - started) * 1000, 2)
    return StoreCheck(ok=True, kind=kind, latency_ms=latency)


async def _broker(rt: Any) -> BrokerCheck:
    jobs, scheduler = rt.jobs, rt.scheduler
    scheduling = scheduler is not None and scheduler.running
    if jobs is None:
        return BrokerCheck(ok=True, mode="none", worker=False, scheduler=scheduling)
    mode: Literal["embedded", "redis"] = "embedded" if jobs.embedded else "redis"
    worker = jobs.worker_running
    error = None
    if jobs.embedded and not worker:
        error = "no worker runs the in-process queue"
    elif jobs.has_worker and not worker:
        error = "this process's worker stopped"
    elif scheduler is not None and not scheduling:
        error = "the scheduler stopped: remotes are not polled and due work is not swept"
    if not jobs.embedded and error is None:
        try:
            await _within(lambda: jobs.ping_broker(CHECK_TIMEOUT_S))
        except Exception as exc:
            error = f"the broker does not answer ({_failed('broker', exc)})"
    return BrokerCheck(
        ok=error is None, mode=mode, worker=worker, scheduler=scheduling, error=error
    )


def _plugins(host: Any) -> PluginsCheck:
    failures = [PluginFailure(name=r.name, status=r.status) for r in host.failures]
    return PluginsCheck(
        ok=not failures,
        loaded=sum(r.loaded for r in host.report),
        failed=len(failures),
        skipped=len(host.skipped),
        connectors=len(host.connectors()),
        failures=failures,
    )
