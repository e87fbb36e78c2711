"""Pipeline benchmark: N orders through ingest → classify → invoice → label.

Embedded default (SQLite store, in-process dramatiq worker, GİB validation in its worker
process when the machine has a second core) with the first-party sandboxes in-process (httpx
ASGI transports), waiting on their simulated clocks, so the figure is Kervan's own cost plus
the sandboxes' (which run in the same process and are counted too). CPU time counts this
process and its validation workers.
Prints one JSON line last: {"bench": "pipeline", "orders": N, "orders_per_s": ..., "cpu_ms_per_order": ...}

    python bench/pipeline.py [N] [--profile]

``--profile`` runs the same work without the job queue, all on one thread (validation too)
under cProfile (slower), and prints before the last line where the CPU goes per order (see
:func:`breakdown`).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import multiprocessing
import os
import pstats
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kervan.documents import has_label
from kervan.domain import (
    OrderState,
)
from kervan.engine.records import ORDER, SHIPMENT
from kervan.runtime import Runtime
from kervan.scenario import Scenario
from kervan.store import Query, open_store
from kervan_demo import scenario_data as sd
from kervan_demo import wiring
from kervan_demo.run import sandbox_for
from kervan_ubltr import default_validator

KEYS = ("trendyol", "nilvera", "yurtici")


def setup(n: int, home: str) -> Runtime:
    # the sandboxes listen on loopback: sandbox mode lets connections point there
    rt = Runtime.create(store=open_store(f"sqlite:///{home}/bench.db"), mode="sandbox")
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


_SANDBOX_CODE = ("/sandbox", "/starlette/", "/fastapi/", "/httpx/_transports/asgi.py", "/anyio/")


def breakdown(stats: pstats.Stats, orders: int) -> dict[str, float]:
    """CPU ms per order by where it goes, from a cProfile of the whole run.

    GİB validation (XSD, schematron, our arithmetic) is measured whole and split by caller:
    Kervan's own gate before a document leaves, and the Nilvera sandbox checking what it
    receives. ``sandbox_python`` is the time spent in the sandboxes' own code and the web
    framework serving them in-process (functions' own time, so a lower bound); ``kervan`` is
    everything else: engine, store, SQLite, JSON, pydantic, HTTP client, UBL build, labels."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    sandbox = validation_ours = validation_sandbox = 0.0
    for (path, _line, name), (_cc, _nc, tt, _ct, callers) in raw.items():
        if any(part in path for part in _SANDBOX_CODE):
            sandbox += tt
        if name == "validate" and path.endswith("kervan_ubltr/validation.py"):
            for (cpath, _cl, _cn), (_a, _b, _t, cct) in callers.items():
                if cpath.endswith("kervan_ubltr/validation.py"):
                    continue  # the method under the module function: counted once
                if "/sandbox" in cpath:
                    validation_sandbox += cct
                else:
                    validation_ours += cct
    per = 1000 / max(orders, 1)
    return {
        "total": round(total * per, 2),
        "gib_validation_kervan": round(validation_ours * per, 2),
        "gib_validation_sandbox": round(validation_sandbox * per, 2),
        "sandbox_python": round(sandbox * per, 2),
        "kervan": round((total - sandbox - validation_ours - validation_sandbox) * per, 2),
    }


async def _inline(func: Any, /, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


async def _direct(rt: Runtime) -> None:
    """The same work without the job queue, on this thread (cProfile sees one thread)."""
    await rt.engine.ingest("bench", "trendyol")
    due = rt.engine.due_orders("bench", 100_000)
    for i in range(0, len(due), 8):
        await asyncio.gather(*(rt.engine.advance("bench", o) for o in due[i : i + 8]))
    await rt.engine.fetch_missing_labels("bench")  # the label step: a first print


def _cpu_s() -> float:
    """CPU seconds of this process and its live children (GİB validation workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "5000"))
    profile = "--profile" in sys.argv
    if profile:  # cProfile sees one thread: keep every step on it
        os.environ["KERVAN_VALIDATION_PROCESSES"] = "0"
        asyncio.to_thread = _inline  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as home:
        rt = setup(n, home)
        prof = cProfile.Profile() if profile else None
        jobs = None if prof else rt.start_jobs(broker_url="", scheduler=False, worker_threads=4)
        default_validator().warm_up()  # workers started before the clock, as a server's are
        cpu0 = _cpu_s()
        t0 = time.perf_counter()
        if prof:
            prof.enable()
            asyncio.run(_direct(rt))
            prof.disable()
        else:
            assert jobs is not None
            jobs.send("poll_source", "bench", "trendyol")
            drain(rt)
            jobs.loop.run(rt.engine.fetch_missing_labels("bench"), timeout=None)
        wall = time.perf_counter() - t0
        cpu = _cpu_s() - cpu0
        states: dict[str, int] = {}
        for d in rt.store.tenant("bench").iter_query(Query(ORDER)):
            states[d.body["state"]] = states.get(d.body["state"], 0) + 1
        booked = states.get(OrderState.BOOKED.value, 0)
        ts = rt.store.tenant("bench")
        labels = sum(1 for d in ts.iter_query(Query(SHIPMENT)) if has_label(ts, d.body["order_id"]))
        print(f"states: {states}", file=sys.stderr)
        if prof:
            stats = pstats.Stats(prof)
            print(json.dumps({"ms_per_order": breakdown(stats, booked)}), file=sys.stderr)
            stats.stream = sys.stderr  # type: ignore[attr-defined]
            stats.sort_stats("tottime").print_stats(25)
        rt.close()
    print(
        json.dumps(
            {
                "bench": "pipeline",
                "orders": n,
                "booked": booked,
                "labels": labels,
                "orders_per_s": round(booked / wall, 1),
                "wall_s": round(wall, 2),
                "cpu_ms_per_order": round(1000 * cpu / max(booked, 1), 2),
                **({"mode": "profiled, direct (no job queue)"} if prof else {}),
            }
        )
    )


if __name__ == "__main__":
    main()
