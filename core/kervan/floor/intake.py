"""Orders entering the floor: every order ready to pick and pack (BOOKED: its label exists,
and not cancelled) gets a ``floor_order`` and its entries in the pack queue.

The engine has no hook for "became packable" yet, so :func:`refresh` sweeps the declared
``state`` index for booked orders; the API runs it before pick lists are made and on demand,
and a scan drops queue entries of orders that left BOOKED meanwhile (lazily).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain import OrderState
from ..engine.records import ORDER, OrderRecord, sortable
from ..store.port import Query, TenantStore
from .cards import cards_by_barcode
from .facts import OrderFacts, order_facts
from .queue import add_orders
from .records import FLOOR_ORDER, QUEUED


def floor_order_body(facts: OrderFacts, rec: OrderRecord) -> dict[str, Any]:
    need: dict[str, int] = {}
    for line in facts.lines:
        need[line.barcode] = need.get(line.barcode, 0) + line.quantity
    return {
        "order_id": facts.order_id,
        "order_number": facts.order_number,
        "status": QUEUED,
        "need": need,
        "scanned": {},
        "lines": len(facts.lines),
        "items": facts.items,
        "single": facts.single_item,
        "ship_by": sortable(facts.ship_by) if facts.ship_by else None,
        "ordered_at": sortable(facts.ordered_at),
        "station": None,
        "slot": None,
        "packer": None,
        "first_scan_at": None,
        "packed_at": None,
        "pick_list": None,
        "target": None,
        "invoice_id": rec.invoice_id,
        "shipment_id": rec.shipment_id,
        "label_printed_at": None,
    }


def admit(ts: TenantStore, recs: list[OrderRecord]) -> int:
    """Put ready orders not on the floor yet onto it; returns how many were new."""
    ready = [r for r in recs if r.order.state is OrderState.BOOKED and not r.order.source_cancelled]
    have = set()
    ids = [r.order.id for r in ready]
    for i in range(0, len(ids), 500):
        have |= set(ts.get_many(FLOOR_ORDER, ids[i : i + 500]))
    new = [r for r in ready if r.order.id not in have]
    if not new:
        return 0
    cards = cards_by_barcode(ts, [ln.barcode for r in new for ln in r.order.lines])
    facts = [order_facts(r, cards) for r in new]
    ts.upsert_many(
        FLOOR_ORDER, {f.order_id: floor_order_body(f, r) for f, r in zip(facts, new, strict=True)}
    )
    add_orders(ts, facts)
    return len(new)


def refresh(ts: TenantStore, now: datetime | None = None, batch: int = 2000) -> int:
    """Admit every booked order not on the floor yet; returns how many were admitted."""
    added = 0
    chunk: list[OrderRecord] = []
    query = Query(ORDER, where={"state": OrderState.BOOKED.value})
    for doc in ts.iter_query(query, page_size=batch):
        chunk.append(OrderRecord.from_body(doc.body))
        if len(chunk) >= batch:
            added += admit(ts, chunk)
            chunk = []
    return added + admit(ts, chunk)
