"""Leases: one run at a time over a key, kept for as long as the run works.

Some work must not run twice at once: one stock push per tenant (two would send the same
figures, and Trendyol refuses a repeat within 15 minutes), one ERP posting run per connection
(a sink's find-then-post is idempotent only one run after another). The job queue's identity
keys do not stop that: a key is released when its job starts. So such a run holds a lease: a
document ``{"owner", "until"}`` taken by compare-and-set, on any store.

A run may wait minutes on its remote (Trendyol's batch results, a slow ERP). :func:`held`
renews the lease on a timer while the run works, so the lease's length only bounds how long a
run that *died* holds the others back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from .engine.records import sortable
from .store.port import CasMismatch, DocumentExists, DocumentNotFound, TenantStore

log = logging.getLogger("kervan.lease")


def take(
    store: TenantStore, kind: str, key: str, owner: str, now: datetime, length: timedelta
) -> bool:
    """Take the lease for ``owner`` unless another holds it; True if taken."""
    body = {"owner": owner, "until": sortable(now + length)}
    doc = store.get(kind, key)
    try:
        if doc is None:
            store.insert(kind, key, body)
            return True
        if str(doc.body.get("until", "")) > sortable(now):
            return False
        store.replace(kind, key, body, cas=doc.cas)
        return True
    except (DocumentExists, CasMismatch, DocumentNotFound):
        return False  # another run took it meanwhile


def renew(
    store: TenantStore, kind: str, key: str, owner: str, now: datetime, length: timedelta
) -> bool:
    """Extend ``owner``'s lease to ``now`` + ``length``; ``False`` if it is not theirs."""
    doc = store.get(kind, key)
    if doc is None or doc.body.get("owner") != owner:
        return False
    try:
        store.replace(kind, key, {"owner": owner, "until": sortable(now + length)}, cas=doc.cas)
    except DocumentNotFound:  # released or taken over meanwhile
        return False
    except CasMismatch:  # another write in between: the next turn looks again
        pass
    return True


def release(store: TenantStore, kind: str, key: str, owner: str) -> None:
    doc = store.get(kind, key)
    if doc is None or doc.body.get("owner") != owner:
        return
    # taken over after it ran out: the lease is the new holder's now
    with contextlib.suppress(CasMismatch, DocumentNotFound):
        store.remove(kind, key, cas=doc.cas)


@contextlib.asynccontextmanager
async def held(
    store: TenantStore,
    kind: str,
    key: str,
    *,
    length: timedelta,
    clock: Callable[[], datetime],
    renew_every_s: float,
    what: str,
) -> AsyncIterator[bool]:
    """The lease for the block: ``True`` if this run holds it (renewed every
    ``renew_every_s`` real seconds, given back after), ``False`` if another run does."""
    owner = uuid.uuid4().hex
    if not take(store, kind, key, owner, clock(), length):
        yield False
        return
    try:
        async with _renewed(
            lambda: renew(store, kind, key, owner, clock(), length), renew_every_s, what
        ):
            yield True
    finally:
        release(store, kind, key, owner)


@contextlib.asynccontextmanager
async def _renewed(renew: Callable[[], bool], every_s: float, what: str) -> AsyncIterator[None]:
    """Call ``renew`` every ``every_s`` real seconds while the block runs.

    When it answers ``False`` (taken over after it ran out) renewing stops, with a warning.
    When it raises (the store unreachable) the next turn tries again, so the lease runs out
    only if every turn fails. The timer stops before the block's exit goes on (to give the
    lease back)."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                if not renew():
                    log.warning("%s: the lease is no longer this run's; not renewing it", what)
                    return
            except Exception:
                log.exception("%s: the lease could not be renewed; trying again", what)

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
