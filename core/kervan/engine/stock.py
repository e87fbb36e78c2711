"""One stock figure per product, moved only by keyed movements, per warehouse and summed.

A ``stock`` document holds the product's figures: ``on_hand`` (summed over ``warehouses``),
``reserved`` (held for orders, product-wide), ``safety`` (units never offered to a channel).
Available to sell is ``on hand − reserved − safety``, never shown below zero; ``short`` says
how many reserved units the shelves lack (a count found fewer than the orders hold).

Every change is a :class:`~.change.Movement` with a reason (order reserved, released on
cancel, picked up, returned, counted, received, ERP sync, merged) recorded as a
``stock_move`` document in the same transaction; a movement whose key is already recorded is
skipped, so a replayed step cannot move stock twice, and the ledger sums to the figures.

A movement that changes what can be sold marks the product ``stock_due`` in the same
transaction: the catalog's pusher (:mod:`kervan.catalog.push`) takes the marks and sends the
new figure to every listing of the product on every channel.

Barcodes map to product ids (kind ``barcode``); a barcode with no product card is not
stock-managed, so the order is not held for it (a seller may connect before importing the
catalog) and the timeline says so.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..store.port import TenantStore, Transaction
from .change import Movement, StockShortage
from .records import BARCODE, STOCK, STOCK_DUE, STOCK_MOVE, OrderRecord, sortable

#: the warehouse a movement uses when it names none
MAIN = "main"


@dataclass(frozen=True)
class Figures:
    """A product's stock figures as the ledger has them."""

    on_hand: int
    reserved: int
    safety: int
    warehouses: dict[str, int]

    @property
    def available(self) -> int:
        """What may be offered for sale: on hand − reserved − safety, never below zero."""
        return max(self.on_hand - self.reserved - self.safety, 0)

    @property
    def short(self) -> int:
        """Reserved units the shelves lack (a count found fewer than orders hold)."""
        return max(self.reserved - self.on_hand, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "safety": self.safety,
            "available": self.available,
            "short": self.short,
            "warehouses": dict(self.warehouses),
        }


def figures(body: dict[str, Any] | None) -> Figures:
    """The figures of a ``stock`` document (an old one without warehouses keeps its units in
    :data:`MAIN`)."""
    if not body:
        return Figures(0, 0, 0, {})
    on_hand = int(body.get("on_hand", 0))
    warehouses = body.get("warehouses")
    if warehouses is None:
        warehouses = {MAIN: on_hand} if on_hand else {}
    return Figures(
        on_hand=on_hand,
        reserved=int(body.get("reserved", 0)),
        safety=int(body.get("safety", 0)),
        warehouses={str(k): int(v) for k, v in warehouses.items()},
    )


def _needs(store: TenantStore, rec: OrderRecord) -> tuple[dict[str, int], list[str]]:
    need: dict[str, int] = {}
    unmanaged: list[str] = []
    barcodes = list(dict.fromkeys(line.barcode for line in rec.order.lines))
    mappings = store.get_many(BARCODE, barcodes)
    for line in rec.order.lines:
        mapping = mappings.get(line.barcode)
        if mapping is None or _counted_by_channel(mapping.body, rec):
            unmanaged.append(line.barcode)
            continue
        pid = mapping.body["product_id"]
        need[pid] = need.get(pid, 0) + int(line.quantity)
    return need, unmanaged


def _counted_by_channel(mapping: dict[str, Any], rec: OrderRecord) -> bool:
    """The card was opened at this channel's figure after the order was placed there: the
    figure already left the order's units out, so the order does not reserve them again."""
    opened_at = mapping.get("opened_at")
    if not opened_at or mapping.get("opened_from") != rec.order.connection_id:
        return False
    return rec.order.ordered_at < datetime.fromisoformat(opened_at)


def reserve(
    store: TenantStore, rec: OrderRecord
) -> tuple[list[str], list[str], dict[str, int], list[Movement]]:
    """Plan to reserve every line or nothing: ``(shortages, unmanaged barcodes, need,
    movements)``. The movements must fit when committed; if another order took the units
    meanwhile the commit refuses them and the step is planned again.

    An order already sold on a channel may take the safety stock: safety only keeps units
    off the channels, it does not refuse a sale that happened."""
    need, unmanaged = _needs(store, rec)
    docs = store.get_many(STOCK, list(need))
    shortages = []
    for pid, qty in need.items():
        doc = docs.get(pid)
        held = figures(doc.body if doc else None)
        physical = held.on_hand - held.reserved
        if physical < qty:
            shortages.append(f"{pid}: needs {qty}, {max(physical, 0)} available")
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


def _take(warehouses: dict[str, int], qty: int) -> dict[str, int]:
    """Where ``qty`` units leave from when the movement names no warehouse: the main
    warehouse first, then the fullest; what no shelf holds is taken from main (it goes
    below zero there, and the figures say so)."""
    taken: dict[str, int] = {}
    order = [MAIN, *sorted((w for w in warehouses if w != MAIN), key=lambda w: -warehouses[w])]
    left = qty
    for wh in order:
        if left <= 0:
            break
        here = min(max(warehouses.get(wh, 0), 0), left)
        if here:
            taken[wh] = here
            left -= here
    if left:
        taken[MAIN] = taken.get(MAIN, 0) + left
    return taken


def _split(move: Movement, warehouses: dict[str, int]) -> dict[str, int]:
    """The movement's on-hand delta per warehouse."""
    if not move.on_hand:
        return {}
    if move.warehouse is not None:
        return {move.warehouse: move.on_hand}
    if move.on_hand > 0:
        return {MAIN: move.on_hand}
    return {wh: -qty for wh, qty in _take(warehouses, -move.on_hand).items()}


def apply_movements(tx: Transaction, moves: list[Movement], now: datetime) -> None:
    """Apply each movement not applied before, with its ledger entry, inside ``tx``; mark
    the products whose available figure changed as due for a push."""
    for move in moves:
        key = move.key
        if tx.get(STOCK_MOVE, key) is not None:
            continue
        doc = tx.get(STOCK, move.product_id)
        hops = 0
        while doc is not None and doc.body.get("merged_into") and hops < 8:
            # the card was merged: its orders' movements land on the card it went into
            move = dataclasses.replace(move, product_id=str(doc.body["merged_into"]))
            doc = tx.get(STOCK, move.product_id)
            hops += 1
        before = figures(doc.body if doc else None)
        if move.must_fit and before.on_hand - before.reserved < move.reserved:
            raise StockShortage(
                f"{move.product_id}: {move.reserved} no longer available for {move.ref}"
            )
        split = _split(move, before.warehouses)
        warehouses = dict(before.warehouses)
        for wh, delta in split.items():
            warehouses[wh] = warehouses.get(wh, 0) + delta
        after = Figures(
            on_hand=before.on_hand + move.on_hand,
            reserved=before.reserved + move.reserved,
            safety=before.safety + move.safety,
            warehouses={wh: qty for wh, qty in warehouses.items() if qty or wh == MAIN},
        )
        body: dict[str, Any] = dict(doc.body) if doc else {}
        body.update(
            on_hand=after.on_hand,
            reserved=after.reserved,
            safety=after.safety,
            warehouses=after.warehouses,
            updated_at=now.isoformat(),
        )
        tx.upsert(STOCK, move.product_id, body)
        entry: dict[str, Any] = {
            "product_id": move.product_id,
            "ref": move.ref,
            "reason": move.reason,
            "on_hand": move.on_hand,
            "reserved": move.reserved,
            "at": now.isoformat(),
        }
        if split:
            entry["warehouses"] = split
        if move.safety:
            entry["safety"] = move.safety
        if move.note:
            entry["note"] = move.note
        tx.insert(STOCK_MOVE, key, entry)
        if after.available != before.available:
            mark_due(tx, move.product_id, now)


def mark_due(tx: Transaction, product_id: str, now: datetime) -> None:
    """Queue a push of the product's figures to every listing (coalesced: one mark per
    product however many changes come before the pusher runs)."""
    due = tx.get(STOCK_DUE, product_id)
    body: dict[str, Any] = (
        dict(due.body) if due else {"product_id": product_id, "since": now.isoformat()}
    )
    body["changed_at"] = now.isoformat()
    #: tells a change made while a push was out from the one the push read
    body["change"] = uuid.uuid4().hex
    body["next_at"] = sortable(now)
    body["attempts"] = 0
    tx.upsert(STOCK_DUE, product_id, body)


def count_movement(
    current: Figures, product_id: str, on_hand: int, warehouse: str, reason: str, ref: str
) -> Movement | None:
    """The movement that makes ``warehouse`` hold ``on_hand`` (a count or an ERP sync)."""
    delta = on_hand - current.warehouses.get(warehouse, 0)
    if not delta:
        return None
    return Movement(product_id, reason, on_hand=delta, ref=ref, warehouse=warehouse)


def set_on_hand(
    tx: Transaction,
    product_id: str,
    on_hand: int,
    barcodes: list[str],
    now: datetime,
    *,
    warehouse: str = MAIN,
    reason: str = "count",
    ref: str | None = None,
    note: str | None = None,
) -> None:
    """A person's count (or an ERP's figure): ``warehouse`` holds ``on_hand`` from now on,
    recorded as a movement of the difference."""
    doc = tx.get(STOCK, product_id)
    current = figures(doc.body if doc else None)
    move = count_movement(current, product_id, on_hand, warehouse, reason, ref or uuid.uuid4().hex)
    if move is not None:
        if note:
            move = Movement(
                move.product_id,
                move.reason,
                move.on_hand,
                ref=move.ref,
                warehouse=move.warehouse,
                note=note,
            )
        apply_movements(tx, [move], now)
    elif doc is None:
        tx.upsert(
            STOCK,
            product_id,
            {
                "on_hand": 0,
                "reserved": 0,
                "safety": 0,
                "warehouses": {MAIN: 0},
                "updated_at": now.isoformat(),
            },
        )
    for barcode in barcodes:
        tx.upsert(BARCODE, barcode, {"product_id": product_id})
