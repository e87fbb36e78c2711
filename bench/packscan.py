"""The packing station's decision under load (issue 22): 200,000 open orders in the embedded
SQLite store, a mixed catalog of 20,000 products, 10,000 scans.

Timed per scan: the decision, ``kervan.floor.station.decide`` — one read of the scanned
barcode's pack-queue document, the ranking, one read of the chosen order (is it still booked?).
The raw figure is the same two reads as hand-written SQL on the same file through ``sqlite3``
(no adapter), with the same JSON parsing and ranking, for the ratio. A third figure times the
whole scan with its writes (one transaction, the packing log, the order marked packed) on a
sample; those commits wait for the disk (``synchronous = FULL``), so they depend on the
machine's fsync more than on Kervan. Printing (the label and PDF fetch) is excluded.

Decisions are also timed in thread CPU time (``cpu_p99_ms`` on the line before the last): on a
shared machine the wall-clock tail is mostly time the process spent descheduled, and the raw
SQLite figure's tail shows the same (the load average is printed too). The build's objects are
moved out of the garbage collector's way (``gc.freeze``) before timing, as a long-running
server's would be in the oldest generation.

Orders: 70 % single-item, the rest 2–4 lines; products drawn with a skew (80 % from the 2,000
best sellers), so a best seller's queue holds ~150 orders. Ship-by deadlines spread over
three days around now, so some orders are at risk.

    python bench/packscan.py [--orders N] [--products N] [--scans N] [--full N] [--db PATH]

Building 200,000 orders takes minutes and ~1 GB; ``--db PATH`` keeps the file and reuses it
next time (the open-order count then reflects the scans earlier runs packed).

The last line is ``{"bench": "packscan", "open_orders": ..., "scans": ..., "p50_ms": ...,
"p99_ms": ..., "raw_sqlite_p99_ms": ...}``.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from kervan.domain import Address, Order, OrderLine, OrderState, Party, PartyKind
from kervan.engine.records import ORDER, OrderRecord, sortable
from kervan.floor.facts import LineFacts, OrderFacts
from kervan.floor.intake import floor_order_body
from kervan.floor.queue import add_orders, candidates
from kervan.floor.records import FLOOR_ORDER, ON_TABLE, PACK_QUEUE, QUEUED
from kervan.floor.station import PackScan, decide, scan
from kervan.store import open_store
from kervan.store.port import Query

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TENANT = "bench"


def template() -> dict[str, Any]:
    address = Address(
        lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul", postal_code="34710"
    )
    buyer = Party(
        kind=PartyKind.PERSON, tax_id="11111111111", first_name="A", last_name="B", address=address
    )
    rec = OrderRecord(
        order=Order(
            id="x",
            tenant_id=TENANT,
            connection_id="ty",
            source="trendyol",
            order_number="1",
            package_id="1",
            lines=[
                OrderLine(
                    line_id="1", barcode="b", name="n", quantity=1, unit_price=10, vat_rate=20
                )
            ],
            buyer=buyer,
            shipping_address=address,
            invoice_address=address,
            ordered_at=NOW,
            state=OrderState.BOOKED,
        )
    )
    return rec.to_body()


def pick_barcode(rnd: random.Random, products: int) -> str:
    top = min(2000, products)
    n = rnd.randrange(top) if rnd.random() < 0.8 else rnd.randrange(products)
    return f"869{n:010d}"


def build(ts: Any, orders: int, products: int, rnd: random.Random) -> None:
    base = template()
    line0 = base["order"]["lines"][0]
    batch: dict[str, dict[str, Any]] = {}
    facts: list[OrderFacts] = []
    floors: dict[str, dict[str, Any]] = {}

    def flush() -> None:
        ts.upsert_many(ORDER, batch)
        ts.upsert_many(FLOOR_ORDER, floors)
        add_orders(ts, facts)
        batch.clear(), floors.clear(), facts.clear()

    for i in range(orders):
        n_lines = 1 if rnd.random() < 0.7 else rnd.randint(2, 4)
        codes = list(dict.fromkeys(pick_barcode(rnd, products) for _ in range(n_lines)))
        qty = [1 if n_lines == 1 else rnd.choice((1, 1, 2)) for _ in codes]
        ordered = NOW - timedelta(minutes=rnd.randrange(3 * 24 * 60))
        ship_by = ordered + timedelta(hours=rnd.randrange(2, 72))
        body = copy.deepcopy(base)
        oid = f"ty:{i}"
        o = body["order"]
        o.update(
            id=oid,
            order_number=str(i),
            package_id=str(i),
            ordered_at=ordered.isoformat(),
            ship_by=ship_by.isoformat(),
        )
        o["lines"] = [
            {**line0, "line_id": f"{i}-{k}", "barcode": c, "quantity": str(q)}
            for k, (c, q) in enumerate(zip(codes, qty, strict=True))
        ]
        body.update(order_number=str(i), package_id=str(i), ordered_at=sortable(ordered))
        batch[oid] = body
        f = OrderFacts(
            order_id=oid,
            order_number=str(i),
            connection_id="ty",
            source="trendyol",
            city="İstanbul",
            district="Kadıköy",
            country="TR",
            desi=Decimal(1),
            package_count=1,
            lines=tuple(LineFacts(c, q, None, None) for c, q in zip(codes, qty, strict=True)),
            ship_by=ship_by,
            ordered_at=ordered,
            state=OrderState.BOOKED,
            cancelled=False,
        )
        facts.append(f)
        floors[oid] = floor_order_body(
            f, OrderRecord.model_construct(invoice_id=None, shipment_id=None)
        )
        if len(batch) >= 5000:
            flush()
            print(f"  {i + 1} orders", file=sys.stderr, flush=True)
    if batch:
        flush()


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, int(q * len(s)))], 3)


def raw_decide(conn: sqlite3.Connection, barcode: str, station: str) -> str | None:
    get = "SELECT body FROM docs WHERE tenant = ? AND kind = ? AND key = ?"
    row = conn.execute(get, (TENANT, PACK_QUEUE, barcode)).fetchone()
    for entry in candidates(json.loads(row[0]) if row else None, station, NOW):
        found = conn.execute(get, (TENANT, ORDER, entry.order_id)).fetchone()
        body = json.loads(found[0]) if found else None
        if body is not None and body["state"] == "booked":
            return entry.order_id
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=200_000)
    ap.add_argument("--products", type=int, default=20_000)
    ap.add_argument("--scans", type=int, default=10_000)
    ap.add_argument("--full", type=int, default=1_000, help="whole scans (with writes) timed")
    ap.add_argument(
        "--db", default=None, help="SQLite file, kept (a file from an earlier run is reused)"
    )
    args = ap.parse_args()
    rnd = random.Random(22)
    tmp = None if args.db else tempfile.mkdtemp(prefix="kervan-packscan-")
    path = os.path.abspath(args.db or os.path.join(tmp or "", "kervan.db"))
    reuse = os.path.exists(path)
    store = open_store(f"sqlite:///{path}")
    ts = store.tenant(TENANT)
    t0 = time.perf_counter()
    if not reuse:
        build(ts, args.orders, args.products, rnd)
        print(f"built {args.orders} orders in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    try:
        run(ts, path, args, rnd)
    finally:
        store.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def run(ts: Any, path: str, args: argparse.Namespace, rnd: random.Random) -> None:
    """Time decisions (adapter and raw, interleaved), then whole scans; print the figures."""
    open_orders = ts.count(Query(FLOOR_ORDER, where={"status": [QUEUED, ON_TABLE]}))
    barcodes = [pick_barcode(rnd, args.products) for _ in range(args.scans)]
    conn = sqlite3.connect(path)
    for b in barcodes[:500]:  # open both connections, warm their statement caches
        decide(ts, b, "st-1", NOW)
        raw_decide(conn, b, "st-1")
    gc.collect()
    gc.freeze()  # the build's objects: a long-running server would have them in the oldest generation too
    took, cpu, raw, chosen = [], [], [], 0
    for b in barcodes:  # interleaved, so neither side warms the page cache for the other
        start, start_cpu = time.perf_counter(), time.thread_time()
        d = decide(ts, b, "st-1", NOW)
        took.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        chosen += d.entry is not None
        start = time.perf_counter()
        raw_decide(conn, b, "st-1")
        raw.append((time.perf_counter() - start) * 1000)
    full, run_id = [], uuid.uuid4().hex[:8]
    for i, b in enumerate(barcodes[: args.full]):
        start = time.perf_counter()
        scan(
            ts,
            PackScan(scan_id=f"bench-{run_id}-{i}", barcode=b, station="st-1"),
            packer="p1",
            now=NOW,
        )
        full.append((time.perf_counter() - start) * 1000)
    conn.close()
    print(
        json.dumps(
            {
                "decisions_with_an_order": chosen,
                "p95_ms": pct(took, 0.95),
                "cpu_p50_ms": pct(cpu, 0.5),
                "cpu_p99_ms": pct(cpu, 0.99),
                "raw_sqlite_p50_ms": pct(raw, 0.5),
                "full_scans": len(full),
                "full_scan_p50_ms": pct(full, 0.5),
                "full_scan_p99_ms": pct(full, 0.99),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "cpus": os.cpu_count(),
            }
        )
    )
    print(
        json.dumps(
            {
                "bench": "packscan",
                "open_orders": open_orders,
                "scans": args.scans,
                "p50_ms": pct(took, 0.5),
                "p99_ms": pct(took, 0.99),
                "raw_sqlite_p99_ms": pct(raw, 0.99),
            }
        )
    )


if __name__ == "__main__":
    main()
