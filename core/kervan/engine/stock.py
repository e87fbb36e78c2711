"""One stock figure per product: reserve on order, release on cancel, consume on pickup.

Barcodes map to product ids (kind ``barcode``); a barcode with no product card is not
stock-managed, so the order is not held for it (a seller may connect before importing the
catalog) and the timeline says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..store.port import Transaction
from .records import BARCODE, STOCK, OrderRecord


def _needs(tx: Transaction, rec: OrderRecord) -> tuple[dict[str, int], list[str]]:
    need: dict[str, int] = {}
    unmanaged: list[str] = []
    for line in rec.order.lines:
        mapping = tx.get(BARCODE, line.barcode)
        if mapping is None:
            unmanaged.append(line.barcode)
            continue
        pid = mapping.body["product_id"]
        need[pid] = need.get(pid, 0) + int(line.quantity)
    return need, unmanaged


def reserve(tx: Transaction, rec: OrderRecord, now: datetime) -> tuple[list[str], list[str]]:
    """Reserve every line or nothing. Returns (shortages, unmanaged barcodes)."""
    need, unmanaged = _needs(tx, rec)
    docs = {pid: tx.get(STOCK, pid) for pid in need}
    shortages = []
    for pid, qty in need.items():
        doc = docs[pid]
        available = (doc.body["on_hand"] - doc.body["reserved"]) if doc else 0
        if available < qty:
            shortages.append(f"{pid}: needs {qty}, {max(available, 0)} available")
    if shortages:
        return shortages, unmanaged
    for pid, qty in need.items():
        doc = docs[pid]
        body: dict[str, Any] = dict(doc.body) if doc else {"on_hand": 0, "reserved": 0}
        body["reserved"] += qty
        body["updated_at"] = now.isoformat()
        tx.upsert(STOCK, pid, body)
    rec.reserved = need
    return [], unmanaged


def release(tx: Transaction, rec: OrderRecord, now: datetime, *, consume: bool = False) -> None:
    """Give reserved units back (cancel) or take them off the shelf for good (pickup)."""
    for pid, qty in rec.reserved.items():
        doc = tx.get(STOCK, pid)
        if doc is None:
            continue
        body = dict(doc.body)
        body["reserved"] = max(0, body["reserved"] - qty)
        if consume:
            body["on_hand"] -= qty
        body["updated_at"] = now.isoformat()
        tx.replace(STOCK, pid, body)
    if consume:
        rec.flags.stock_consumed = True
    else:
        rec.reserved = {}


def set_on_hand(
    tx: Transaction, product_id: str, on_hand: int, barcodes: list[str], now: datetime
) -> None:
    doc = tx.get(STOCK, product_id)
    body: dict[str, Any] = dict(doc.body) if doc else {"on_hand": 0, "reserved": 0}
    body["on_hand"] = on_hand
    body["updated_at"] = now.isoformat()
    tx.upsert(STOCK, product_id, body)
    for barcode in barcodes:
        tx.upsert(BARCODE, barcode, {"product_id": product_id})
