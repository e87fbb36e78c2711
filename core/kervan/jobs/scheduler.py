"""Polls each connection at its interval (backing off unhealthy ones) and runs the reconciler.

The reconciler is what makes the system crash-safe: whatever the store says is due gets
enqueued again, so a message lost with a killed worker only delays the order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from ..catalog.push import due_count
from ..domain import Connection
from ..roles import utcnow
from ..store.port import PLATFORM_TENANT
from .actors import Jobs, each_role

log = logging.getLogger("kervan.scheduler")
MAX_BACKOFF_EXP = 6
#: how often an ERP's products (names, prices, stock) are pulled onto the cards
PRODUCTS_EVERY = timedelta(minutes=15)
#: how often a marketplace's settlements are read (payouts are weekly; Trendyol's finance
#: endpoints allow 3000 calls a minute, ../shared/reference/apis.md)
SETTLEMENTS_EVERY = timedelta(hours=1)  # an unhealthy connection is polled at most 64× less often


class ConnectionDirectory(Protocol):
    def list(self, tenant_id: str) -> list[Connection]: ...


def next_poll(conn: Connection, now: datetime) -> datetime:
    """Healthy: every interval; after n consecutive failures: interval × 2ⁿ (capped)."""
    exp = min(conn.health.consecutive_failures, MAX_BACKOFF_EXP)
    return now + timedelta(seconds=conn.poll_interval_s * (2**exp))


class Scheduler:
    def __init__(
        self,
        jobs: Jobs,
        connections: ConnectionDirectory,
        roles_of: Callable[[str], list[str]],
        *,
        clock: Callable[[], datetime] = utcnow,
        reconcile_every_s: float = 10.0,
    ) -> None:
        self.jobs, self.connections, self.roles_of, self.clock = jobs, connections, roles_of, clock
        self.reconcile_every_s = reconcile_every_s
        self._next: dict[tuple[str, str], datetime] = {}
        self._last_reconcile = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> int:
        """One pass: enqueue due polls and (every few seconds) reconcile. Returns jobs sent."""
        sent = 0
        now = self.clock()
        tenants = [t for t in self.jobs.engine.store.tenant_ids() if t != PLATFORM_TENANT]
        for tenant_id in tenants:
            sent += self._poll_connections(tenant_id, now)
            sent += self._push_stock(tenant_id, now)
            sent += self._erp(tenant_id, now)
        if time.monotonic() - self._last_reconcile >= self.reconcile_every_s:
            self._last_reconcile = time.monotonic()
            for tenant_id in tenants:
                sent += self.reconcile(tenant_id)
        return sent

    def _poll_connections(self, tenant_id: str, now: datetime) -> int:
        sent = 0
        polled_issuer = False
        for conn in self.connections.list(tenant_id):
            key = (tenant_id, conn.id)
            if not conn.enabled or self._next.get(key, now) > now:
                continue
            self._next[key] = next_poll(conn, now)
            try:
                roles = self.roles_of(conn.connector)
            except Exception as exc:  # an uninstalled plugin must not stop the others
                log.warning("connection %s/%s: %s", tenant_id, conn.id, exc)
                continue
            for send in each_role(roles):
                sent += send(self.jobs, tenant_id, conn.id)
            if "document_issuer" in roles and not polled_issuer:
                polled_issuer = True
                sent += self.jobs.send("poll_documents", tenant_id)
        return sent

    def _push_stock(self, tenant_id: str, now: datetime) -> int:
        """A push run while any product's figure waits for its channels (every tick: a
        change reaches the channels within seconds, coalesced however often it moved)."""
        if not due_count(self.jobs.engine.store.tenant(tenant_id), now):
            return 0
        return int(self.jobs.send("push_stock", tenant_id))

    def _erp(self, tenant_id: str, now: datetime) -> int:
        """An ``erp_post`` per ERP connection while the outbox holds unfinished events, and
        an hourly settlement read per order source of a tenant that has an ERP."""
        erp, sources = [], []
        for conn in self.connections.list(tenant_id):
            if not conn.enabled:
                continue
            try:
                roles = self.roles_of(conn.connector)
            except Exception as exc:  # an uninstalled plugin must not stop the others
                log.debug("connection %s/%s: %s", tenant_id, conn.id, exc)
                continue
            if "erp_sink" in roles:
                erp.append(conn.id)
            elif "order_source" in roles or "storefront" in roles:
                sources.append(conn.id)
        if not erp:
            return 0
        from ..erp import ErpFlow

        sent = 0
        if ErpFlow(self.jobs.engine).pending(tenant_id):
            sent += sum(self.jobs.send("erp_post", tenant_id, c) for c in erp)
        for conn_id in erp:  # the ERP's products, prices and stock onto the cards
            key = (tenant_id, f"products:{conn_id}")
            if self._next.get(key, now) <= now:
                self._next[key] = now + PRODUCTS_EVERY
                sent += self.jobs.send("pull_products", tenant_id, conn_id)
        for conn_id in sources:
            key = (tenant_id, f"settlements:{conn_id}")
            if self._next.get(key, now) <= now:
                self._next[key] = now + SETTLEMENTS_EVERY
                sent += self.jobs.send("fetch_settlements", tenant_id, conn_id)
        return sent

    def reconcile(self, tenant_id: str) -> int:
        from ..claims import Returns

        orders = sum(
            self.jobs.enqueue_order(tenant_id, oid)
            for oid in self.jobs.engine.due_orders(tenant_id)
        )
        claims = Returns(self.jobs.engine).due(tenant_id)
        return orders + sum(self.jobs.send("advance_claim", tenant_id, k) for k in claims)

    def start(self, every_s: float = 1.0) -> None:
        def run() -> None:
            while not self._stop.wait(every_s):
                try:
                    self.tick()
                except Exception:  # keep scheduling; the error is logged with its trace
                    log.exception("scheduler tick failed")

        self._thread = threading.Thread(target=run, name="kervan-scheduler", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the scheduler's thread is alive (health checks)."""
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
