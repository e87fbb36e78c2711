"""One ``erp_post`` run per ERP connection at a time.

An identity key only keeps a second job from waiting in the queue. The key is released when
the first job starts, so the scheduler's next tick can start a second run beside it. Two runs
could then ask the ERP for the same posting at once. A sink's find-then-post is idempotent
one after the other, not when two run at the same instant. So a run holds a lease
(:mod:`kervan.lease`), a ``cursor`` document taken by compare-and-set. A run that finds the
lease held does nothing. A live run renews its lease every :data:`RENEW_EVERY_S`, however long
the ERP keeps it waiting; a lease left by a killed worker ends after :data:`LEASE`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

from .. import lease as leases
from ..engine.records import CURSOR
from ..store.port import TenantStore

LEASE = timedelta(minutes=10)
#: how often a live run renews its lease, in real seconds
RENEW_EVERY_S = 60.0


def lease_key(connection_id: str) -> str:
    return f"erp_lease:{connection_id}"


def take(store: TenantStore, connection_id: str, owner: str, now: datetime) -> bool:
    """Take the lease for ``owner`` unless another holds it; True if taken."""
    return leases.take(store, CURSOR, lease_key(connection_id), owner, now, LEASE)


def release(store: TenantStore, connection_id: str, owner: str) -> None:
    leases.release(store, CURSOR, lease_key(connection_id), owner)


def held(
    store: TenantStore, connection_id: str, clock: Callable[[], datetime]
) -> AbstractAsyncContextManager[bool]:
    """The connection's lease for a run (:func:`kervan.lease.held`)."""
    return leases.held(
        store,
        CURSOR,
        lease_key(connection_id),
        length=LEASE,
        clock=clock,
        renew_every_s=RENEW_EVERY_S,
        what=f"ERP posting to {connection_id}",
    )
