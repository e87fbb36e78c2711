"""Keeping a lease while the work under it waits on a remote.

A run that holds a lease (one stock push per tenant, one ERP posting run per connection) may
wait minutes on its remote: Trendyol's batch results, a slow ERP. A lease that runs out
meanwhile lets a second run in beside the first, which is what the lease is there to stop.
:func:`renewed` renews it on a timer while the block runs, so the lease's length only bounds
how long a run that *died* holds the others back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

log = logging.getLogger("kervan.renewal")


@contextlib.asynccontextmanager
async def renewed(renew: Callable[[], bool], every_s: float, what: str) -> AsyncIterator[None]:
    """Call ``renew`` every ``every_s`` real seconds while the block runs.

    ``renew`` extends the lease if it is still this run's and says whether it was. When it
    answers ``False`` (taken over after it ran out) renewing stops, with a warning. When it
    raises (the store unreachable) the next turn tries again, so the lease runs out only if
    every turn fails. The timer stops before the block's exit goes on (to give the lease
    back)."""

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
