"""The packing station: one scan, one decision (issue 22, "The packing station").

A scanned barcode goes to the best order waiting for it (ranking: :mod:`kervan.floor.queue`).
A single-item order is packed by that scan; a multi-item order goes to a slot at the station
(the smallest free number) and is packed by the scan that brings its last unit. Packed orders
move to ``PACKED`` with a timeline entry, and the answer names the invoice PDF and label
endpoints the station's printer fetches (the label is fetched from the marketplace then, if it
was not kept yet).

Nothing is printed, and a short message says why, when the item is not one any open order
waits for (wrong item), when this station's orders already have every unit of it (over-scan),
or when the order it belongs to on this table was cancelled meanwhile.

Every scan about an order is added to that order's packing log through
:func:`kervan.claims.evidence.record_pack_scan` (the returns desk's packing evidence). Every
scan's answer is kept under the handheld's scan id: the same id again returns the first answer
and changes nothing. Two stations may scan at once: the queue and the order change in one
transaction that re-checks the chosen entry, and a scan that lost the race chooses again.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..claims.evidence import record_pack_scan
from ..engine.records import ORDER, sortable
from ..store.port import (
    CasMismatch,
    DocumentExists,
    DocumentNotFound,
    Query,
    TenantStore,
    Transaction,
)
from .cards import cards_by_barcode
from .guidance import Guidance, guidance
from .queue import Entry, candidates, entries_of, replace_entry
from .records import CANCELLED, FLOOR_ORDER, LEFT, ON_TABLE, PACK_QUEUE, PACK_SCAN, PACKED

Outcome = Literal["packed", "slotted", "wrong_item", "over_scan", "cancelled"]


class PackScan(BaseModel):
    """What a handheld sends."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    scan_id: str = Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")
    barcode: str = Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")
    station: str = Field(min_length=1, max_length=50, pattern=r"^[\x21-\x7e]+$")


class Printing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_pdf: str
    label_zpl: str
    label_pdf: str


class ScanResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scan_id: str
    outcome: Outcome
    message: str = Field(description="short enough to be spoken by the handheld")
    order_id: str | None = None
    order_number: str | None = None
    slot: int | None = None
    remaining: int = Field(0, description="units the order still waits for")
    print: Printing | None = None
    guidance: Guidance | None = None
    at: datetime
    packer: str
    replayed: bool = False


@dataclass
class Decision:
    """The chosen entry (None: no order waits) and the orders seen to have left the floor."""

    entry: Entry | None
    cancelled: bool = False
    gone: list[str] = field(default_factory=list)


class _Moved(Exception):
    """The chosen entry changed between the decision and the write: choose again."""


def order_cancelled(ts: TenantStore, order_id: str) -> bool:
    """The order is gone, cancelled, or its marketplace cancelled it."""
    doc = ts.get(ORDER, order_id)
    if doc is None:
        return True
    return doc.body["state"] == "cancelled" or bool(doc.body["order"].get("source_cancelled"))


def decide(ts: TenantStore, barcode: str, station: str, now: datetime) -> Decision:
    """The station's choice for one scan: one queue read, then the candidate's order (to see
    it is still booked). Orders found cancelled or gone on the way are skipped (and listed);
    one cancelled on this station's table stops the scan."""
    doc = ts.get(PACK_QUEUE, barcode)
    gone: list[str] = []
    for entry in candidates(doc.body if doc else None, station, now):
        order = ts.get(ORDER, entry.order_id)
        body = order.body if order else None
        cancelled = body is None or body["state"] == "cancelled"
        cancelled = cancelled or bool(body and body["order"].get("source_cancelled"))
        if cancelled and entry.station == station:
            return Decision(entry, cancelled=True, gone=gone)
        if cancelled or (body is not None and body["state"] != "booked"):
            gone.append(entry.order_id)
            continue
        return Decision(entry, gone=gone)
    return Decision(None, gone=gone)


def print_paths(order_id: str) -> Printing:
    base = f"/v1/floor/orders/{order_id}"
    return Printing(
        invoice_pdf=f"{base}/invoice.pdf",
        label_zpl=f"{base}/label.zpl",
        label_pdf=f"{base}/label.pdf",
    )


def scan(
    ts: TenantStore,
    req: PackScan,
    *,
    packer: str,
    now: datetime,
    ship_alone_skus: list[str] | None = None,
    photo_blob: str | None = None,
) -> ScanResult:
    """Handle one scan (see the module's docstring)."""
    alone = ship_alone_skus or []
    prior = ts.get(PACK_SCAN, req.scan_id)
    if prior is not None:
        return _guided(ts, _replay(prior.body), alone)
    for _ in range(8):
        decision = decide(ts, req.barcode, req.station, now)
        _forget(ts, decision.gone)
        try:
            result = _apply(ts, req, decision, packer, now)
            break
        except _Moved:
            continue
        except DocumentExists:  # the same scan id won a race with this one
            found = ts.get(PACK_SCAN, req.scan_id)
            assert found is not None
            return _guided(ts, _replay(found.body), alone)
    else:
        raise CasMismatch("the pack queue kept changing: scan again")
    if result.order_id is not None:
        record_pack_scan(
            ts,
            result.order_id,
            scan_id=req.scan_id,
            barcode=req.barcode,
            packer=packer,
            station=req.station,
            at=now,
            photo_blob=photo_blob,
            order_number=result.order_number,
        )
    if result.outcome == "packed" and result.order_id is not None:
        _mark_packed(ts, result.order_id, packer, req.station, now)
    return _guided(ts, result, alone)


def _replay(body: dict[str, Any]) -> ScanResult:
    return ScanResult.model_validate({**body["result"], "replayed": True})


def _guided(ts: TenantStore, result: ScanResult, ship_alone: list[str]) -> ScanResult:
    """Packing guidance for an order the scan put on the table or completed."""
    if result.outcome in ("packed", "slotted") and result.order_id is not None:
        result.guidance = _guidance(ts, result.order_id, ship_alone)
    return result


def _apply(
    ts: TenantStore, req: PackScan, decision: Decision, packer: str, now: datetime
) -> ScanResult:
    base: dict[str, Any] = {"scan_id": req.scan_id, "at": now, "packer": packer}
    entry = decision.entry
    if entry is None:
        return _refuse(ts, req, base, packer)
    if decision.cancelled:
        return _cancelled(ts, req, entry, base, packer)
    slot = _free_slot(ts, req.station) if not entry.single else None
    with ts.transaction() as tx:
        queue = tx.get(PACK_QUEUE, req.barcode)
        current = next(
            (e for e in entries_of(queue.body if queue else None) if e.order_id == entry.order_id),
            None,
        )
        fo = tx.get(FLOOR_ORDER, entry.order_id)
        if queue is None or fo is None or current is None or current.need <= 0:
            raise _Moved
        if current.station not in (None, req.station):
            raise _Moved
        body = dict(fo.body)
        scanned = dict(body["scanned"])
        scanned[req.barcode] = scanned.get(req.barcode, 0) + 1
        remaining = sum(max(n - scanned.get(b, 0), 0) for b, n in body["need"].items())
        starting = body["status"] != ON_TABLE
        stamp = sortable(now)
        body.update(scanned=scanned, packer=body["packer"] or packer)
        body["first_scan_at"] = body["first_scan_at"] or stamp
        if remaining == 0:
            body.update(status=PACKED, packed_at=stamp, packed_by=packer, station=req.station)
        elif starting:
            body.update(status=ON_TABLE, station=req.station, slot=slot)
        left = Entry(
            current.order_id,
            current.need - 1,
            current.single,
            current.ship_by,
            current.ordered_at,
            req.station,
        )
        tx.replace(
            PACK_QUEUE, req.barcode, replace_entry(queue.body, entry.order_id, left), cas=queue.cas
        )
        if starting and remaining:
            _claim_other_barcodes(tx, body, req.barcode, req.station)
        tx.replace(FLOOR_ORDER, entry.order_id, body, cas=fo.cas)
        packed = remaining == 0
        result = ScanResult(
            **base,
            outcome="packed" if packed else "slotted",
            message=(
                f"Order {body['order_number']} complete: printing."
                if packed
                else f"Slot {body['slot']}: {remaining} more to go."
            ),
            order_id=entry.order_id,
            order_number=body["order_number"],
            slot=body["slot"],
            remaining=remaining,
            print=print_paths(entry.order_id) if packed else None,
        )
        _keep(tx, req, result, lines=body["lines"], items=body["items"], packed=packed)
    return result


def _claim_other_barcodes(tx: Transaction, fo: dict[str, Any], scanned: str, station: str) -> None:
    """A multi-item order on a table: its other products' entries say which station has it."""
    for barcode in fo["need"]:
        if barcode == scanned:
            continue
        queue = tx.get(PACK_QUEUE, barcode)
        if queue is None:
            continue
        entries = []
        for raw in queue.body.get("entries", []):
            if raw["o"] == fo["order_id"]:
                raw = {**raw, "w": station}
            entries.append(raw)
        tx.replace(PACK_QUEUE, barcode, {**queue.body, "entries": entries}, cas=queue.cas)


def _keep(tx: Transaction, req: PackScan, result: ScanResult, **extra: Any) -> None:
    tx.insert(
        PACK_SCAN,
        req.scan_id,
        {
            "packer": result.packer,
            "at": sortable(result.at),
            "station": req.station,
            "barcode": req.barcode,
            "outcome": result.outcome,
            "order_id": result.order_id,
            "result": result.model_dump(mode="json"),
            **extra,
        },
    )


def _refuse(ts: TenantStore, req: PackScan, base: dict[str, Any], packer: str) -> ScanResult:
    """No order waits for the item: an over-scan when this table's orders already have all
    of it, a wrong item otherwise."""
    on_table = ts.query(Query(FLOOR_ORDER, where={"status": ON_TABLE, "station": req.station}))
    full = next((d.body for d in on_table if req.barcode in d.body["need"]), None)
    if full is not None and order_cancelled(ts, full["order_id"]):
        gone = Entry(full["order_id"], 0, False, full["ship_by"], full["ordered_at"], req.station)
        return _cancelled(ts, req, gone, base, packer)
    if full is not None:
        result = ScanResult(
            **base,
            outcome="over_scan",
            message=f"Too many: slot {full['slot']} already has this item. Put it back.",
            order_id=full["order_id"],
            order_number=full["order_number"],
            slot=full["slot"],
            remaining=sum(max(n - full["scanned"].get(b, 0), 0) for b, n in full["need"].items()),
        )
    else:
        result = ScanResult(
            **base,
            outcome="wrong_item",
            message="Wrong item: no open order needs it. Set it aside.",
        )
    with ts.transaction() as tx:
        _keep(tx, req, result)
    return result


def _cancelled(
    ts: TenantStore, req: PackScan, entry: Entry, base: dict[str, Any], packer: str
) -> ScanResult:
    fo = ts.get(FLOOR_ORDER, entry.order_id)
    body = fo.body if fo else {"order_number": None, "slot": None, "need": {}}
    result = ScanResult(
        **base,
        outcome="cancelled",
        message=f"Stop: order {body['order_number']} was cancelled. Empty slot {body['slot']}.",
        order_id=entry.order_id,
        order_number=body["order_number"],
        slot=body["slot"],
    )
    with ts.transaction() as tx:
        _keep(tx, req, result)
    if fo is not None:
        ts.update(FLOOR_ORDER, entry.order_id, _cancelled_status)
    _forget(ts, [entry.order_id])
    return result


def _cancelled_status(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "status": CANCELLED}


def _forget(ts: TenantStore, order_ids: list[str]) -> None:
    """Take orders that left the floor (cancelled, shipped, gone) out of every queue."""
    for order_id in order_ids:
        fo = ts.get(FLOOR_ORDER, order_id)
        if fo is None:
            continue
        for barcode in fo.body["need"]:
            with contextlib.suppress(DocumentNotFound):
                ts.update(PACK_QUEUE, barcode, functools.partial(_without, order_id=order_id))
        if fo.body["status"] not in (PACKED, CANCELLED):
            ts.update(FLOOR_ORDER, order_id, _left)


def _without(body: dict[str, Any], order_id: str) -> dict[str, Any]:
    return replace_entry(body, order_id, None)


def _left(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "status": LEFT}


def _free_slot(ts: TenantStore, station: str) -> int:
    used = {
        d.body["slot"]
        for d in ts.query(Query(FLOOR_ORDER, where={"status": ON_TABLE, "station": station}))
    }
    slot = 1
    while slot in used:
        slot += 1
    return slot


def _mark_packed(ts: TenantStore, order_id: str, packer: str, station: str, now: datetime) -> None:
    entry: dict[str, Any] = {
        "at": now.isoformat(),
        "step": "pack",
        "outcome": "ok",
        "actor": f"user:{packer}",
        "message": f"packed at station {station}",
        "request_id": None,
        "data": {},
    }

    def change(body: dict[str, Any]) -> dict[str, Any] | None:
        if body["state"] != "booked":
            return None
        order = {**body["order"], "state": "packed"}
        order["timeline"] = [*order.get("timeline", []), entry]
        return {**body, "order": order, "state": "packed"}

    with contextlib.suppress(DocumentNotFound, CasMismatch):  # gone or busy: the log stands
        ts.update(ORDER, order_id, change)


def _guidance(ts: TenantStore, order_id: str, ship_alone: list[str]) -> Guidance | None:
    fo = ts.get(FLOOR_ORDER, order_id)
    if fo is None:
        return None
    need: dict[str, int] = fo.body["need"]
    cards = cards_by_barcode(ts, list(need))
    return guidance(
        [(cards.get(b), n) for b, n in need.items()], ship_alone, fo.body.get("gift_note")
    )
