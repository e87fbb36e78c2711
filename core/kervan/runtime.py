"""Wires one Kervan process: store, plugins, tenancy, connections, engine, jobs.

``kervan serve``, ``kervan worker``, ``kervan demo`` and the tests build exactly one of these.
Nothing here runs at import time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import __version__
from .catalog import Catalog
from .claims import Returns
from .connections import ConnectionService
from .domain import Connection, Tenant
from .engine import Engine
from .errors import NotFoundError
from .jobs import EngineLoop, Jobs, Scheduler
from .jobs.processes import start_processes
from .plugins import PluginHost, get_host
from .redaction import install_log_redaction
from .roles import CarrierLegal, Connector, ConnectorContext, utcnow
from .security import load_cipher
from .security.destinations import DestinationPolicy
from .store import Store, open_store
from .tenancy import TenancyService

log = logging.getLogger("kervan.runtime")

USER_AGENT = f"Kervan/{__version__}"


class Tenants:
    """The engine's view of tenants (a TenantDirectory over the tenancy service)."""

    def __init__(self, tenancy: TenancyService) -> None:
        self.tenancy = tenancy

    def get(self, tenant_id: str) -> Tenant:
        tenant = self.tenancy.get_tenant(tenant_id)
        if tenant is None:
            raise NotFoundError(f"tenant {tenant_id!r} not found")
        return tenant


@dataclass
class Connectors:
    """The engine's view of connections (a ConnectorProvider over the connection service)."""

    connections: ConnectionService
    clock: Callable[[], datetime] = utcnow
    #: connection id → ConnectorContext fields to override, e.g. ``transport`` to reach an
    #: in-process sandbox, ``clock``/``sleep`` to run on its simulated time (tests, benchmarks)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the installed carrier plugins' legal identities
    carriers: Callable[[], list[CarrierLegal]] = list

    def context(self, connection: Connection) -> ConnectorContext:
        ctx = ConnectorContext(
            tenant_id=connection.tenant_id,
            connection_id=connection.id,
            clock=self.clock,
            user_agent=USER_AGENT,
        )
        for name, value in self.overrides.get(connection.id, {}).items():
            setattr(ctx, name, value)
        return ctx

    def get(self, tenant_id: str, connection_id: str) -> Connector:
        return self.connections.build(tenant_id, connection_id, self.context)

    def known_carriers(self) -> list[CarrierLegal]:
        """The legal identities the installed carrier plugins declare (to name the carrier a
        marketplace booked on an e-Arşiv internet sale)."""
        return self.carriers()


class Health:
    """The engine's health recorder, kept on each connection document.

    Besides successes and failures it notices silence: an order source that answers fine but
    has brought no new order for ``quiet_after`` raises an alert (a marketplace that stopped
    sending, a store closed by mistake, a filter gone wrong), which the next new order clears.
    """

    def __init__(
        self,
        connections: ConnectionService,
        *,
        quiet_after: timedelta = timedelta(hours=6),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.connections, self.quiet_after, self.clock = connections, quiet_after, clock

    def success(self, tenant_id: str, connection_id: str, **info: Any) -> None:
        now = self.clock()
        new_orders = info.get("new_orders")
        conn = self.connections.record_success(
            tenant_id,
            connection_id,
            last_order_at=now if new_orders else None,
            open_problems=info.get("open_problems"),
        )
        if new_orders == 0:
            last = conn.health.last_order_at or conn.created_at
            if last is not None and now - last > self.quiet_after:
                hours = int((now - last).total_seconds() // 3600)
                self.connections.raise_alert(
                    tenant_id,
                    connection_id,
                    f"no new orders for {hours} h (last {last:%Y-%m-%d %H:%M} UTC)",
                )

    def failure(self, tenant_id: str, connection_id: str, error: str) -> None:
        self.connections.record_failure(tenant_id, connection_id, error)


@dataclass
class Runtime:
    store: Store
    host: PluginHost
    tenancy: TenancyService
    connections: ConnectionService
    connectors: Connectors
    engine: Engine
    loop: EngineLoop
    jobs: Jobs | None = None
    scheduler: Scheduler | None = None

    @property
    def catalog(self) -> Catalog:
        """Cards, listings, the stock ledger and pushes (over this runtime's engine)."""
        return Catalog(self.engine)

    @property
    def returns(self) -> Returns:
        """Claims, the returns desk, return documents, exchanges (over this engine)."""
        return Returns(self.engine)

    @classmethod
    def create(
        cls,
        *,
        store: Store | None = None,
        store_url: str | None = None,
        host: PluginHost | None = None,
        clock: Callable[[], datetime] = utcnow,
        mode: str | None = None,
    ) -> Runtime:
        """``mode`` overrides ``KERVAN_MODE`` (``production``, ``sandbox``, ``development``):
        outside production, connections may point at any host, loopback included."""
        install_log_redaction()  # every log record is redacted of the secrets in use
        env = dict(os.environ) if mode is None else {**os.environ, "KERVAN_MODE": mode}
        destinations = DestinationPolicy.from_env(env)
        store = store or open_store(store_url)
        host = host or get_host()
        tenancy = TenancyService(store)
        connections = ConnectionService(
            store, host.connector, load_cipher(), destinations=destinations
        )
        connectors = Connectors(connections, clock, carriers=lambda: _carrier_parties(host))
        engine = Engine(
            store=store,
            connectors=connectors,
            tenants=Tenants(tenancy),
            clock=clock,
            health=Health(connections, clock=clock),
        )
        return cls(store, host, tenancy, connections, connectors, engine, EngineLoop())

    def start_jobs(
        self,
        *,
        broker_url: str | None = None,
        worker_threads: int = 4,
        scheduler: bool = True,
        worker: bool = True,
        processes: int = 1,
        process_setup: Callable[[Runtime], None] | None = None,
        store_url: str | None = None,
    ) -> Jobs:
        """Embedded by default; Redis when ``broker_url`` (or KERVAN_BROKER_URL) is set.

        ``processes`` > 1 runs every job's engine work in that many engine processes
        (:mod:`kervan.jobs.processes`), each with ``worker_threads`` jobs at a time; this
        process keeps the broker, the worker threads that hand jobs over, and the
        scheduler. The store must be one the children can open (a file, or ``store_url``);
        ``process_setup`` (an importable function, called with each child's runtime) must
        rebuild whatever :attr:`connectors` overrides or clock this runtime has, or they
        are refused (:class:`~kervan.jobs.processes.ProcessesRefused`)."""
        url = broker_url if broker_url is not None else os.environ.get("KERVAN_BROKER_URL") or None
        pool = None
        if worker and processes > 1:
            pool = start_processes(self, processes, setup=process_setup, store_url=store_url)
        try:
            self.jobs = Jobs(self.engine, self.loop, url, processes=pool)
        except BaseException:
            if pool is not None:
                pool.close()
            raise
        if worker:
            self.jobs.start_worker(worker_threads * (processes if pool else 1))
        if scheduler:
            self.scheduler = Scheduler(
                self.jobs, self.connections, lambda key: self.host.connector(key).roles()
            )
            self.scheduler.start()
        return self.jobs

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.jobs is not None:
            self.jobs.stop()
        self._close_connectors()
        self.loop.stop()
        self.store.close()

    def _close_connectors(self) -> None:
        """``aclose()`` every cached connector on the loop its HTTP clients were opened on,
        so their connections end cleanly (aiohttp also logs a session left unclosed)."""

        built = list(self.connections.built())
        if not built:
            return

        async def close_all() -> None:
            for instance in built:
                try:
                    await instance.aclose()
                except Exception:  # one connector failing to close must not stop the rest
                    log.warning("closing connector %r failed", instance, exc_info=True)

        try:
            self.loop.run(close_all(), timeout=10)
        except Exception:
            log.warning("closing connectors at shutdown failed", exc_info=True)


def _carrier_parties(host: PluginHost) -> list[CarrierLegal]:
    found = []
    for cls in host.connectors("carrier").values():
        party = getattr(cls, "legal_party", None)
        if party is not None:
            found.append(party)
    return found
