"""One stock figure per product, moved only by keyed movements: reserve on order, release on
cancel, consume on pickup, count when a person sets the figure.

A ``stock`` document holds ``on_hand`` and ``reserved`` (available to sell = on hand −
reserved). Every change to it is a :class:`~.change.Movement` recorded as a ``stock_move``
document in the same transaction; a movement whose key is already recorded is skipped, so a
replayed step cannot move stock twice, and the ledger sums to the figures.

Barcodes map to product ids (kind ``barcode``); a barcode with no product card is not
stock-managed, so the order is not held for it (a seller may connect before importing the
catalog) and the timeline says so.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..store.port import TenantStore, Transaction
from .change import Movement, StockShortage
from .records import BARCODE, STOCK, STOCK_MOVE, OrderRecord


def _needs(store: TenantStore, rec: OrderRecord) -> tuple[dict[str, int], list[str]]:
    need: dict[str, int] = {}
    unmanaged: list[str] = []
    barcodes = list(dict.fromkeys(line.barcode for line in rec.order.lines))
    mappings = store.get_many(BARCODE, barcodes)
    for line in rec.order.lines:
        mapping = mappings.get(line.barcode)
        if mapping is None:
            unmanaged.append(line.barcode)
            continue
        pid = mapping.body["product_id"]
        need[pid] = need.get(pid, 0) + int(line.quantity)
    return need, unmanaged


def reserve(
    store: TenantStore, rec: OrderRecord
) -> tuple[list[str], list[str], dict[str, int], list[Movement]]:
    """Plan to reserve every line or nothing: ``(shortages, unmanaged barcodes, need,
    movements)``. The movements must fit when committed; if another order took the units
    meanwhile the commit refuses them and the step is planned again."""
    need, unmanaged = _needs(store, rec)
    docs = store.get_many(STOCK, list(need))
    shortages = []
    for pid, qty in need.items():
        doc = docs.get(pid)
        available = (doc.body["on_hand"] - doc.body["reserved"]) if doc else 0
        if available < qty:
            shortages.append(f"{pid}: needs {qty}, {max(available, 0)} available")
    if shortages:
        return shortages, unmanaged, need, []
    ref = rec.order.id
    moves = [
        Movement(pid, "reserve", reserved=qty, must_fit=True, ref=ref) for pid, qty in need.items()
    ]
    return [], unmanaged, need, moves


def release(rec: OrderRecord) -> list[Movement]:
    """Give an order's reserved units back (cancel)."""
    return [
        Movement(pid, "release", reserved=-qty, ref=rec.order.id)
        for pid, qty in rec.reserved.items()
    ]


def consume(rec: OrderRecord) -> list[Movement]:
    """Take an order's reserved units off the shelf for good (carrier pickup)."""
    return [
        Movement(pid, "pickup", on_hand=-qty, reserved=-qty, ref=rec.order.id)
        for pid, qty in rec.reserved.items()
    ]


def apply_movements(tx: Transaction, moves: list[Movement], now: datetime) -> None:
    """Apply each movement not applied before, with its ledger entry, inside ``tx``."""
    for move in moves:
        if tx.get(STOCK_MOVE, move.key) is not None:
            continue
        doc = tx.get(STOCK, move.product_id)
        body: dict[str, Any] = dict(doc.body) if doc else {"on_hand": 0, "reserved": 0}
        if move.must_fit and body["on_hand"] - body["reserved"] < move.reserved:
            raise StockShortage(
                f"{move.product_id}: {move.reserved} no longer available for {move.ref}"
            )
        body["on_hand"] += move.on_hand
        body["reserved"] += move.reserved
        body["updated_at"] = now.isoformat()
        tx.upsert(STOCK, move.product_id, body)
        tx.insert(
            STOCK_MOVE,
            move.key,
            {
                "product_id": move.product_id,
                "ref": move.ref,
                "reason": move.reason,
                "on_hand": move.on_hand,
                "reserved": move.reserved,
                "at": now.isoformat(),
            },
        )


def set_on_hand(
    tx: Transaction, product_id: str, on_hand: int, barcodes: list[str], now: datetime
) -> None:
    """A person's count: on hand becomes ``on_hand``, recorded as a ``count`` movement of
    the difference."""
    doc = tx.get(STOCK, product_id)
    current = int(doc.body["on_hand"]) if doc else 0
    count = Movement(product_id, "count", on_hand=on_hand - current, ref=uuid.uuid4().hex)
    apply_movements(tx, [count], now)
    for barcode in barcodes:
        tx.upsert(BARCODE, barcode, {"product_id": product_id})
