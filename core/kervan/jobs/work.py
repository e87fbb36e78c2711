"""What each job does: its stages, each a coroutine over the engine.

A stage returns the order ids it found due (a poll's new orders, a carrier's moved parcels);
whoever runs the job queues them before the next stage starts, as the actors always did. The
same stages run on the serving process's engine loop (embedded, ``processes=1``) and in an
engine process (``kervan serve --processes N``, :mod:`kervan.jobs.processes`), where only
the ids come back: the broker and the identity keys live in the serving process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from ..engine import Engine
from ..errors import UnsupportedOperationError

log = logging.getLogger("kervan.jobs")

Stage = Callable[..., Coroutine[Any, Any, list[str]]]


async def _advance(engine: Engine, tenant_id: str, order_id: str) -> list[str]:
    await engine.advance(tenant_id, order_id)
    return []


async def _ingest(engine: Engine, tenant_id: str, connection_id: str) -> list[str]:
    result = await engine.ingest(tenant_id, connection_id)
    return result.new + result.updated


async def _track(engine: Engine, tenant_id: str, connection_id: str) -> list[str]:
    return await engine.track(tenant_id, connection_id)


async def _track_inbound(engine: Engine, tenant_id: str, _connection_id: str) -> list[str]:
    """Return parcels on their way back under a carrier return code."""
    from ..claims import Returns

    await Returns(engine).track_inbound(tenant_id)
    return []


async def _poll_documents(engine: Engine, tenant_id: str) -> list[str]:
    return await engine.poll_documents(tenant_id)


async def _find_return_invoices(engine: Engine, tenant_id: str) -> list[str]:
    """Returns waiting for the buyer's IADE: it arrives among the same incoming documents."""
    from ..claims import Returns

    await Returns(engine).find_return_invoices(tenant_id)
    return []


async def _sync_claims(engine: Engine, tenant_id: str, connection_id: str) -> list[str]:
    from ..claims import Returns

    await Returns(engine).sync(tenant_id, connection_id)
    return []


async def _advance_claim(engine: Engine, tenant_id: str, key: str) -> list[str]:
    from ..claims import Returns

    await Returns(engine).advance(tenant_id, key)
    return []


async def _erp_post(engine: Engine, tenant_id: str, connection_id: str) -> list[str]:
    """Post the outbox to one ERP connection (kervan.erp.flow)."""
    from ..erp import ErpFlow

    await ErpFlow(engine).run(tenant_id, connection_id)
    return []


async def _fetch_settlements(engine: Engine, tenant_id: str, connection_id: str) -> list[str]:
    """A marketplace's settlements in, as payment closings for the ERP flow."""
    from ..erp import ErpFlow

    await ErpFlow(engine).settle(tenant_id, connection_id)
    return []


async def _pull_products(engine: Engine, tenant_id: str, connection_id: str) -> list[str]:
    """An ERP's products onto the cards (names, prices and stock as the tenant's toggles
    say); a stock or price change queues the push to the channels."""
    from ..catalog import Catalog

    try:
        await Catalog(engine).pull_erp(tenant_id, connection_id)
    except UnsupportedOperationError:
        log.info("%s/%s: this ERP offers no product pull", tenant_id, connection_id)
    return []


async def _push_stock(engine: Engine, tenant_id: str) -> list[str]:
    from ..catalog import Catalog

    await Catalog(engine).push(tenant_id)
    return []


async def _import_listings(engine: Engine, tenant_id: str, connection_id: str) -> list[str]:
    from ..catalog import Catalog

    await Catalog(engine).import_listings(tenant_id, connection_id)
    return []


#: actor name → its stages, run in order; each stage's ids are queued before the next starts
STAGES: dict[str, tuple[Stage, ...]] = {
    "process_order": (_advance,),
    "poll_source": (_ingest,),
    "track_carrier": (_track, _track_inbound),
    "poll_documents": (_poll_documents, _find_return_invoices),
    "push_stock": (_push_stock,),
    "import_listings": (_import_listings,),
    "sync_claims": (_sync_claims,),
    "advance_claim": (_advance_claim,),
    "erp_post": (_erp_post,),
    "fetch_settlements": (_fetch_settlements,),
    "pull_products": (_pull_products,),
}


async def run_stages(
    engine: Engine, actor: str, args: tuple[Any, ...] | list[Any], emit: Callable[[list[str]], None]
) -> None:
    """All of ``actor``'s stages on this loop, handing each stage's ids to ``emit``."""
    for stage in STAGES[actor]:
        ids = await stage(engine, *args)
        if ids:
            emit(ids)
