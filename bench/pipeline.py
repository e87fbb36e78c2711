"""Pipeline benchmark: N orders through ingest → classify → invoice → label.

Embedded default (SQLite store, in-process dramatiq worker) with the first-party sandboxes
in-process (httpx ASGI transports), waiting on their simulated clocks, so the figure is
Kervan's own cost plus the sandboxes' (which run in the same process and are counted too).
Prints one JSON line last: {"bench": "pipeline", "orders": N, "orders_per_s": ..., "cpu_ms_per_order": ...}

    python bench/pipeline.py [N] [--profile]
"""

from __future__ import annotations

import cProfile
import json
import pstats
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from kervan.demo import scenario_data as sd
from kervan.demo import wiring
from kervan.demo.run import sandbox_for
from kervan.domain import (
    Address,
    Order,
    OrderLine,
    OrderState,
    Party,
    PartyKind,
)
from kervan.engine.records import ORDER
from kervan.runtime import Runtime
from kervan.scenario import Scenario
from kervan.store import Query, open_store
from stdnum.tr import tckimlik, vkn

KEYS = ("trendyol", "nilvera", "yurtici")


def orders(n: int, now: datetime) -> tuple[list[Order], dict[str, str]]:
    out, registered = [], {}
    cities = [
        ("Kadıköy", "İstanbul", "34710"),
        ("Çankaya", "Ankara", "06680"),
        ("Konak", "İzmir", "35250"),
        ("Nilüfer", "Bursa", "16110"),
        ("Muratpaşa", "Antalya", "07100"),
    ]
    products = [p for p in sd.PRODUCTS if p.id != sd.OUT_OF_STOCK_PRODUCT]
    for i in range(n):
        district, city, postal = cities[i % len(cities)]
        addr = Address(
            lines=[f"Cumhuriyet Cd. No: {i % 200 + 1}"],
            district=district,
            city=city,
            postal_code=postal,
        )
        if i % 4 == 3:
            base = f"{100000000 + i * 7919 % 899999999:09d}"
            buyer = Party(
                kind=PartyKind.COMPANY,
                tax_id=base + vkn.calc_check_digit(base),
                company_name=f"Örnek Ticaret {i} A.Ş.",
                tax_office="Merkez",
                address=addr,
            )
            if i % 8 == 3:
                registered[buyer.tax_id] = f"urn:mail:defaultpk@firma{i}.example"
        else:
            base = f"{100000000 + i * 104729 % 899999999:09d}"
            buyer = Party(
                kind=PartyKind.PERSON,
                tax_id=base + tckimlik.calc_check_digits(base),
                first_name="Ayşe",
                last_name=f"Yılmaz{i}",
                address=addr,
            )
        lines = []
        for k in range(1 + i % 3):
            card = products[(i + k) % len(products)]
            lines.append(
                OrderLine(
                    line_id=f"{i}-{k}",
                    barcode=card.barcodes[0],
                    sku=card.sku,
                    name=card.name,
                    quantity=1 + (i + k) % 2,
                    unit_price=card.sale_price,
                    vat_rate=card.vat_rate,
                    discount=Decimal("5.00") if k == 1 else Decimal(0),
                )
            )
        pid = str(80000000 + i)
        out.append(
            Order(
                id=f"trendyol:{pid}",
                tenant_id="bench",
                connection_id="trendyol",
                source="trendyol",
                order_number=f"9{pid}",
                package_id=pid,
                lines=lines,
                buyer=buyer,
                shipping_address=addr,
                invoice_address=addr,
                ordered_at=now - timedelta(minutes=60) + timedelta(milliseconds=i),
                remote_status="Created",
            )
        )
    return out, registered


def setup(n: int, home: str) -> Runtime:
    rt = Runtime.create(store=open_store(f"sqlite:///{home}/bench.db"))
    now = datetime.now(UTC)
    batch, registered = orders(n, now)
    scenario = Scenario(
        seller=sd.SELLER,
        orders=batch,
        registered=registered,
        products=sd.PRODUCTS,
        seller_aliases=("urn:mail:defaultgb@bench.example", "urn:mail:defaultpk@bench.example"),
    )
    wiring.create_tenant(rt, "bench", "Bench seller", scenario)
    for key in KEYS:
        sandbox = sandbox_for(rt, key, live=False)
        sandbox.clock.set(now)
        sandbox.seed_scenario(scenario)
        wiring.connect(rt, "bench", key, sandbox, f"http://{key}.sandbox", in_process=True)
    wiring.stock_catalog(rt, "bench", scenario, {p.id: 10 * n for p in sd.PRODUCTS})
    return rt


def drain(rt: Runtime) -> None:
    jobs = rt.jobs
    assert jobs is not None
    for _ in range(10):
        jobs.join()
        if not sum(
            jobs.send("process_order", "bench", o) for o in rt.engine.due_orders("bench", 10_000)
        ):
            return


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "5000"))
    profile = "--profile" in sys.argv
    with tempfile.TemporaryDirectory() as home:
        rt = setup(n, home)
        jobs = rt.start_jobs(broker_url="", scheduler=False, worker_threads=4)
        prof = cProfile.Profile() if profile else None
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        jobs.send("poll_source", "bench", "trendyol")
        drain(rt)
        if prof:
            prof.disable()
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        states: dict[str, int] = {}
        for d in rt.store.tenant("bench").iter_query(Query(ORDER)):
            states[d.body["state"]] = states.get(d.body["state"], 0) + 1
        booked = states.get(OrderState.BOOKED.value, 0)
        print(f"states: {states}", file=sys.stderr)
        if prof:
            pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(35)
        rt.close()
    print(
        json.dumps(
            {
                "bench": "pipeline",
                "orders": n,
                "booked": booked,
                "orders_per_s": round(booked / wall, 1),
                "wall_s": round(wall, 2),
                "cpu_ms_per_order": round(1000 * cpu / max(booked, 1), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
