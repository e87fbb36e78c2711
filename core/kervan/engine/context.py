"""What a step needs from the world, behind small protocols so tests can wire it freely."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ..domain import Tenant, TimelineEntry
from ..errors import InvalidInputError
from ..roles import Connector, utcnow
from ..store.port import CasMismatch, DocumentNotFound, TenantStore, Transaction
from .records import ORDER, OrderRecord

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

    def save(self, rec: OrderRecord, *also: tuple[str, str, dict[str, Any]]) -> None:
        """CAS-save the record; raises CasMismatch if someone else moved the order meanwhile.

        ``also`` are ``(kind, key, body)`` documents the step wrote: they are upserted in the
        same transaction, so the record never says more (or less) than what is stored."""
        if not also:
            rec.order.updated_at = self.clock()
            self.cas = self.store.replace(ORDER, rec.order.id, rec.to_body(), cas=self.cas).cas
            return
        with self.store.transaction() as tx:
            for kind, key, body in also:
                tx.upsert(kind, key, body)
            self.save_in(tx, rec)

    def save_in(self, tx: Transaction, rec: OrderRecord) -> None:
        """:meth:`save` inside the caller's transaction."""
        rec.order.updated_at = self.clock()
        try:
            self.cas = tx.replace(ORDER, rec.order.id, rec.to_body(), cas=self.cas).cas
        except DocumentNotFound:
            raise CasMismatch(
                f"order {rec.order.id} was removed while {self.actor} worked on it"
            ) from None
