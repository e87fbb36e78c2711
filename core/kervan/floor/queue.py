"""The pack queue: per barcode, the orders waiting for that product, and the station's choice.

Ranking (issue 22, "the packing station" and "ship-by warnings"): among the orders waiting for
the scanned product and not on another station's table,

1. orders at risk of missing their ship-by deadline (:data:`kervan.floor.facts.AT_RISK_WITHIN`);
2. single-item orders before multi-item ones;
3. a multi-item order already on this station's table before one not started (its slot
   fills instead of a new one being opened);
4. the earliest ship-by deadline (none: last), then the oldest order, then the order id.

:func:`choose` is pure; the queue document keeps entries compact (one-letter keys) because a
scan reads the whole document for its barcode.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..engine.records import sortable
from ..store.port import TenantStore
from .facts import AT_RISK_WITHIN, OrderFacts
from .records import PACK_QUEUE

NO_DEADLINE = "9999"


@dataclass(frozen=True)
class Entry:
    """One order waiting for one barcode: ``need`` units still to scan."""

    order_id: str
    need: int
    single: bool
    ship_by: str | None
    ordered_at: str
    station: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "o": self.order_id,
            "n": self.need,
            "s": self.single,
            "b": self.ship_by,
            "t": self.ordered_at,
        }
        if self.station is not None:
            out["w"] = self.station
        return out

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Entry:
        return cls(raw["o"], raw["n"], raw["s"], raw["b"], raw["t"], raw.get("w"))


def rank_key(entry: Entry, station: str, risk_before: str) -> tuple[Any, ...]:
    """Smaller is first. ``risk_before``: ship-by stamps up to it are at risk."""
    at_risk = entry.ship_by is not None and entry.ship_by <= risk_before
    return (
        not at_risk,
        not entry.single,
        entry.station != station,
        entry.ship_by or NO_DEADLINE,
        entry.ordered_at,
        entry.order_id,
    )


def eligible(entry: Entry, station: str) -> bool:
    return entry.need > 0 and entry.station in (None, station)


def ranked(entries: Iterable[Entry], station: str, now: datetime) -> list[Entry]:
    """The eligible entries, best first."""
    risk_before = sortable(now + AT_RISK_WITHIN)
    return sorted(
        (e for e in entries if eligible(e, station)),
        key=lambda e: rank_key(e, station, risk_before),
    )


def _raw_key(raw: dict[str, Any], station: str, risk_before: str) -> tuple[Any, ...]:
    """:func:`rank_key` on a stored entry, without building an :class:`Entry`."""
    ship_by = raw["b"]
    return (
        not (ship_by is not None and ship_by <= risk_before),
        not raw["s"],
        raw.get("w") != station,
        ship_by or NO_DEADLINE,
        raw["t"],
        raw["o"],
    )


def candidates(body: dict[str, Any] | None, station: str, now: datetime) -> Iterator[Entry]:
    """The eligible entries of a stored queue, best first, lazily: the best one costs one
    pass over the raw entries; the full sort happens only when the caller asks for more
    (the best was cancelled or has left meanwhile)."""
    if not body:
        return
    risk_before = sortable(now + AT_RISK_WITHIN)
    raws = [r for r in body.get("entries", ()) if r["n"] > 0 and r.get("w") in (None, station)]
    if not raws:
        return
    best = min(raws, key=lambda r: _raw_key(r, station, risk_before))
    yield Entry.of(best)
    rest = sorted(
        (r for r in raws if r is not best), key=lambda r: _raw_key(r, station, risk_before)
    )
    for raw in rest:
        yield Entry.of(raw)


def choose(entries: Iterable[Entry], station: str, now: datetime) -> Entry | None:
    found = ranked(entries, station, now)
    return found[0] if found else None


def entries_of(body: dict[str, Any] | None) -> list[Entry]:
    return [Entry.of(e) for e in body.get("entries", [])] if body else []


def entries_for(facts: OrderFacts) -> dict[str, Entry]:
    """What an order adds to each of its barcodes' queues."""
    need: dict[str, int] = {}
    for line in facts.lines:
        need[line.barcode] = need.get(line.barcode, 0) + line.quantity
    ship_by = sortable(facts.ship_by) if facts.ship_by else None
    stamp = sortable(facts.ordered_at)
    return {
        barcode: Entry(facts.order_id, n, facts.single_item, ship_by, stamp)
        for barcode, n in need.items()
    }


def add_orders(ts: TenantStore, orders: list[OrderFacts]) -> None:
    """Put ``orders`` in their barcodes' queues (an order already there is replaced)."""
    by_barcode: dict[str, list[Entry]] = {}
    for facts in orders:
        for barcode, entry in entries_for(facts).items():
            by_barcode.setdefault(barcode, []).append(entry)
    barcodes = list(by_barcode)
    for i in range(0, len(barcodes), 500):
        chunk = barcodes[i : i + 500]
        have = ts.get_many(PACK_QUEUE, chunk)
        out = {}
        for barcode in chunk:
            new = by_barcode[barcode]
            ids = {e.order_id for e in new}
            kept = [e for e in entries_of(have[barcode].body if barcode in have else None)]
            merged = [e for e in kept if e.order_id not in ids] + new
            out[barcode] = {"barcode": barcode, "entries": [e.to_json() for e in merged]}
        ts.upsert_many(PACK_QUEUE, out)


def replace_entry(body: dict[str, Any], order_id: str, entry: Entry | None) -> dict[str, Any]:
    """The queue document with ``order_id``'s entry replaced (or dropped when None)."""
    rest = [e for e in body.get("entries", []) if e["o"] != order_id]
    if entry is not None and entry.need > 0:
        rest.append(entry.to_json())
    return {**body, "entries": rest}
