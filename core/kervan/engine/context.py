"""What a step needs from the world, behind small protocols so tests can wire it freely."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from .. import numbering
from ..domain import OrderState, Tenant, TimelineEntry
from ..errors import InvalidInputError
from ..roles import Connector, utcnow
from ..store.port import CasMismatch, DocumentNotFound, TenantStore, Transaction
from .change import Change, write_docs
from .lifecycle import schedule
from .records import INVOICE, ORDER, OUTBOX, OrderRecord
from .stock import apply_movements

C = TypeVar("C", bound=Connector)


class ConnectorProvider(Protocol):
    """Builds (and caches) the connector instance for a tenant's connection."""

    def get(self, tenant_id: str, connection_id: str) -> Connector: ...


class TenantDirectory(Protocol):
    def get(self, tenant_id: str) -> Tenant: ...


class HealthRecorder(Protocol):
    def success(self, tenant_id: str, connection_id: str, **info: Any) -> None: ...

    def failure(self, tenant_id: str, connection_id: str, error: str) -> None: ...


class NullHealth:
    def success(self, tenant_id: str, connection_id: str, **info: Any) -> None:
        return None

    def failure(self, tenant_id: str, connection_id: str, error: str) -> None:
        return None


@dataclass
class StepContext:
    """One order's step run: its tenant's store view, its tenant, the connectors, the clock."""

    store: TenantStore
    tenant: Tenant
    connectors: ConnectorProvider
    clock: Callable[[], datetime] = utcnow
    actor: str = "engine"
    cas: int = 0
    health: HealthRecorder = field(default_factory=NullHealth)
    #: connectors already looked up by this context: a context lives for one call (one
    #: order's steps), and a connection changed meanwhile is picked up by the next one
    _seen: dict[str, Connector] = field(default_factory=dict, repr=False)

    def connector(self, connection_id: str | None, role: type[C], purpose: str) -> C:
        conn = self._seen.get(connection_id or "")
        if conn is None:
            conn = self._lookup(connection_id, purpose)
            self._seen[connection_id or ""] = conn
        if not isinstance(conn, role):
            raise InvalidInputError(
                f"connection {connection_id} ({conn.key}) cannot act as {role.__name__}"
            )
        return conn

    def _lookup(self, connection_id: str | None, purpose: str) -> Connector:
        if not connection_id:
            raise InvalidInputError(
                f"tenant {self.tenant.id} has no {purpose} connection configured "
                f"(set tenant settings default_{purpose}_connection)"
            )
        return self.connectors.get(self.tenant.id, connection_id)

    def note(
        self,
        rec: OrderRecord,
        step: str,
        outcome: str,
        message: str | None = None,
        *,
        request_id: str | None = None,
        actor: str | None = None,
        **data: Any,
    ) -> None:
        rec.log(
            TimelineEntry(
                at=self.clock(),
                step=step,
                outcome=outcome,
                actor=actor or self.actor,
                message=message,
                request_id=request_id,
                data=data,
            )
        )

    def commit(self, change: Change) -> None:
        """Apply a step's change: the order (CAS-checked against the version the step read)
        and every write it implies, in one transaction. Raises :class:`CasMismatch` (or its
        :class:`StockShortage`) when the store moved meanwhile; nothing is applied then.

        The order's ``due_at``/``waiting_for`` are set from the plan here, so an order that
        has a next step is always found by the reconciler whatever the crash point."""
        rec = change.rec
        settings = self.tenant.settings
        now = self.clock()
        if change.error is None and rec.order.state is not OrderState.ON_HOLD:
            rec.attempts = 0
        schedule(
            rec,
            now=now,
            auto_approve=settings.auto_approve,
            split_rules=settings.split_rules.active,
        )
        if change.only_order:
            rec.order.updated_at = now
            self.cas = self.store.replace(ORDER, rec.order.id, rec.to_body(), cas=self.cas).cas
            return
        with self.store.transaction() as tx:
            self.store.put_blobs(tx, change.blobs)
            if change.durable:
                tx.require_durable()
            self._apply(tx, change, now)
            self.save_in(tx, rec)

    def _apply(self, tx: Transaction, change: Change, now: datetime) -> None:
        if change.invoice is not None:
            numbered = change.invoice
            doc = tx.get(INVOICE, numbered.key)
            if doc is None or not doc.body.get("number"):  # a number once taken stays
                number = numbering.reserve_number(
                    tx, numbered.series, numbered.year, numbered.channel
                )
                tx.upsert(INVOICE, numbered.key, numbered.build(number))
        write_docs(tx, change.docs, change.updates)
        for kind, key in change.removes:
            if tx.get(kind, key) is not None:
                tx.remove(kind, key)
        for key, body in change.outbox:
            tx.upsert(OUTBOX, key, body)
        if change.stock:
            apply_movements(tx, change.stock, now)

    def save(self, rec: OrderRecord) -> None:
        """Commit just the order (a change with no other writes)."""
        self.commit(Change(rec))

    def save_in(self, tx: Transaction, rec: OrderRecord) -> None:
        """Write the order inside the caller's transaction, CAS-checked."""
        rec.order.updated_at = self.clock()
        try:
            self.cas = tx.replace(ORDER, rec.order.id, rec.to_body(), cas=self.cas).cas
        except DocumentNotFound:
            raise CasMismatch(
                f"order {rec.order.id} was removed while {self.actor} worked on it"
            ) from None
