"""What a step needs from the world, behind small protocols so tests can wire it freely."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ..domain import Tenant, TimelineEntry
from ..errors import InvalidInputError
from ..roles import Connector, utcnow
from ..store.port import TenantStore
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

    def connector(self, connection_id: str | None, role: type[C], purpose: str) -> C:
        if not connection_id:
            raise InvalidInputError(
                f"tenant {self.tenant.id} has no {purpose} connection configured "
                f"(set tenant settings default_{purpose}_connection)"
            )
        conn = self.connectors.get(self.tenant.id, connection_id)
        if not isinstance(conn, role):
            raise InvalidInputError(
                f"connection {connection_id} ({conn.key}) cannot act as {role.__name__}"
            )
        return conn

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

    def save(self, rec: OrderRecord) -> None:
        """CAS-save the record; raises CasMismatch if someone else moved the order meanwhile."""
        rec.order.updated_at = self.clock()
        doc = self.store.replace(ORDER, rec.order.id, rec.to_body(), cas=self.cas)
        self.cas = doc.cas
