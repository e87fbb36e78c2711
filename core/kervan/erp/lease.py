"""One ``erp_post`` run per ERP connection at a time.

An identity key only keeps a second job from waiting in the queue. The key is released when
the first job starts, so the scheduler's next tick can start a second run beside it. Two runs
could then ask the ERP for the same posting at once. A sink's find-then-post is idempotent
one after the other, not when two run at the same instant. So a run holds a lease, a
``cursor`` document taken by compare-and-set. A run that finds the lease held does nothing.
A live run renews its lease every :data:`RENEW_EVERY_S` (:mod:`kervan.renewal`), however long
the ERP keeps it waiting; a lease left by a killed worker ends after :data:`LEASE`.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from ..engine.records import CURSOR
from ..store.port import CasMismatch, DocumentExists, DocumentNotFound, TenantStore

LEASE = timedelta(minutes=10)
#: how often a live run renews its lease, in real seconds
RENEW_EVERY_S = 60.0


def lease_key(connection_id: str) -> str:
    return f"erp_lease:{connection_id}"


def take(store: TenantStore, connection_id: str, owner: str, now: datetime) -> bool:
    """Take the lease for ``owner`` unless another holds it; True if taken."""
    key = lease_key(connection_id)
    body = {"owner": owner, "until": (now + LEASE).isoformat()}
    doc = store.get(CURSOR, key)
    try:
        if doc is None:
            store.insert(CURSOR, key, body)
            return True
        if str(doc.body.get("until", "")) > now.isoformat():
            return False
        store.replace(CURSOR, key, body, cas=doc.cas)
        return True
    except (DocumentExists, CasMismatch, DocumentNotFound):
        return False  # another run took it meanwhile


def release(store: TenantStore, connection_id: str, owner: str) -> None:
    key = lease_key(connection_id)
    doc = store.get(CURSOR, key)
    if doc is None or doc.body.get("owner") != owner:
        return
    # taken over after it ran out: the lease is the new holder's now
    with contextlib.suppress(CasMismatch, DocumentNotFound):
        store.remove(CURSOR, key, cas=doc.cas)


def renew(store: TenantStore, connection_id: str, owner: str, now: datetime) -> bool:
    """Extend ``owner``'s lease to ``now`` + :data:`LEASE`; ``False`` if it is not theirs."""
    key = lease_key(connection_id)
    doc = store.get(CURSOR, key)
    if doc is None or doc.body.get("owner") != owner:
        return False
    try:
        store.replace(
            CURSOR, key, {"owner": owner, "until": (now + LEASE).isoformat()}, cas=doc.cas
        )
    except DocumentNotFound:  # released or taken over meanwhile
        return False
    except CasMismatch:  # another write in between: the next turn looks again
        pass
    return True
