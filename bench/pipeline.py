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
from datetime import UTC, datetime

from kervan.demo import scenario_data as sd
from kervan.demo import wiring
from kervan.demo.run import sandbox_for
from kervan.domain import (
    OrderState,
)
from kervan.engine.records import ORDER
from kervan.runtime import Runtime
from kervan.scenario import Scenario
from kervan.store import Query, open_store

KEYS = ("trendyol", "nilvera", "yurtici")


def setup(n: int, home: str) -> Runtime:
    rt = Runtime.create(store=open_store(f"sqlite:///{home}/bench.db"))
    now = datetime.now(UTC)
    batch, registered = sd.bulk_orders(n, tenant_id="bench", now=now, first_package=80000000)
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
