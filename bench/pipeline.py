"""Pipeline benchmark: N orders through ingest → classify → invoice → submit → label.

Embedded default (SQLite store, in-process dramatiq worker, GİB validation in its worker
process when the machine has a second core), with the first-party sandboxes (Trendyol, Nilvera,
Yurtiçi) as the remotes::

    python bench/pipeline.py [N] [--mode loopback|in-process] [--workers W] [--segments K]

``--mode loopback`` (default): the sandboxes run in a process of their own (see
``bench/_sandbox_server.py``) and Kervan reaches them over real HTTP on 127.0.0.1, so Kervan's
CPU (this process plus its GİB validation worker processes) is measured apart from theirs (the
sandbox process's own ``getrusage``). Their clocks are shared with Kervan's connections through
shared memory: a retry or rate-limit wait moves simulated time, it does not wait.

``--mode in-process`` (or ``--in-process``, the old bench): the sandboxes are served in this
process through httpx ASGI transports. Their CPU is then this process's too; the sampler
charges stacks running sandbox code (starlette, fastapi, the sandboxes themselves) to a
``sandboxes`` bucket, and ``kervan_cpu_ms_per_order`` is the process total less that bucket.
There the Nilvera sandbox validates what it receives through the same GİB validation worker
processes as Kervan, so that work counts as Kervan's: the in-process Kervan figure is an upper
bound and the sandbox figure a lower one.

Kervan's CPU is attributed to buckets by a stack sampler weighted by thread CPU time (see
``bench/_cpu_sampler.py``), not by cProfile's wall clock, except the store's, which is read from
the thread's CPU clock around every store call (the sampler overstates it: see
``StoreMeter``); the table is printed before the last line. ``--segments K`` feeds the N
orders in K slices (Trendyol serves slice i only after slice i-1 is booked and labelled) and
prints one row per slice, so a reader sees whether the cost per order stays flat as the store
grows. ``--workers W`` (W > 1): Redis mode, the same N orders
first with 1 worker process and then with W (``bench/_redis_workers.py``, Redis database 7,
emptied before each pass), printing orders/s for both and their ratio; the last line is the
W-process pass (no bucket table: the sampler sees only this process). ``--processes P``
(P > 1): embedded mode (``kervan serve --processes P``), the same N orders first in this
process and then in P engine processes (``bench/_engine_processes.py``), printing orders/s
for both and their ratio; Kervan's CPU includes the engine processes'.

The last line: ``{"bench": "pipeline", "orders": N, "kervan_cpu_ms_per_order": ...,
"sandbox_cpu_ms_per_order": ..., "orders_per_s": ..., "workers": W, "mode": "loopback"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _cpu_sampler import BUCKETS, SANDBOX, STORE, CpuSampler, StoreMeter
from _sandbox_server import KEYS, SandboxProcess, _scenario
from kervan.documents import has_label
from kervan.domain import OrderState
from kervan.engine.records import ORDER, SHIPMENT
from kervan.errors import KervanError
from kervan.jobs.heap import settle
from kervan.runtime import Runtime
from kervan.store import Query, open_store
from kervan_demo import scenario_data as sd
from kervan_demo import wiring
from kervan_demo.run import sandbox_for
from kervan_ubltr import default_validator

WORKERS_BUCKET = "GİB validation in Kervan's worker processes"
UNSAMPLED = "unsampled (threads ended between samples, start-up)"
SANDBOX_BUCKET = SANDBOX
#: simulated seconds every clock jumps before a slice is served (its orders are new to a poll)
SLICE_GAP_S = 60.0


@dataclasses.dataclass
class Remotes:
    """The sandboxes as the bench drives them, in either mode."""

    mode: str
    process: SandboxProcess | None = None
    inproc: dict[str, Any] = dataclasses.field(default_factory=dict)
    batch: list[Any] = dataclasses.field(default_factory=list)

    def seed_orders(self, first: int, count: int) -> None:
        if self.process is not None:
            self.process.call("seed_orders", first, count)
        else:
            self.inproc["trendyol"].seed_orders(self.batch[first : first + count])

    def advance(self, seconds: float) -> None:
        if self.process is not None:
            self.process.advance(seconds)
        else:
            for sandbox in self.inproc.values():
                sandbox.clock.advance(seconds)

    def cpu_s(self) -> float:
        """The sandbox process's CPU seconds (loopback only; in-process: 0, see the sampler)."""
        return self.process.call("cpu") if self.process is not None else 0.0

    def requests(self) -> int:
        if self.process is not None:
            return sum(self.process.call("requests").values())
        return sum(len(sb.requests) for sb in self.inproc.values())

    def paths(self) -> dict[str, int]:
        """Requests per route and status (loopback only)."""
        return self.process.call("paths") if self.process is not None else {}

    def close(self) -> None:
        if self.process is not None:
            self.process.close()


def setup(n: int, home: str) -> Runtime:
    """The old bench's set-up, kept for ``bench/floor.py``: sandboxes in-process, all ``n``
    orders seeded."""
    rt, remotes = build(n, home, "in-process")
    remotes.seed_orders(0, n)
    return rt


async def _inline(func: Any, /, *args: Any, **kwargs: Any) -> Any:
    """``asyncio.to_thread`` on the calling thread (``bench/floor.py`` counts on one thread)."""
    return func(*args, **kwargs)


async def _direct(rt: Runtime) -> None:
    """The same work without the job queue, on this thread (used by ``bench/floor.py``)."""
    await rt.engine.ingest("bench", "trendyol")
    due = rt.engine.due_orders("bench", 100_000)
    for i in range(0, len(due), 8):
        await asyncio.gather(*(rt.engine.advance("bench", o) for o in due[i : i + 8]))
    await rt.engine.fetch_missing_labels("bench")  # the label step: a first print


def build(n: int, home: str, mode: str) -> tuple[Runtime, Remotes]:
    """A runtime with the bench tenant and its three connections, and the sandboxes in
    ``mode``; Trendyol serves no orders until :meth:`Remotes.seed_orders`."""
    # the sandboxes listen on loopback: sandbox mode lets connections point there
    rt = Runtime.create(store=open_store(f"sqlite:///{home}/bench.db"), mode="sandbox")
    now = datetime.now(UTC)
    scenario, batch = _scenario(n, now)
    wiring.create_tenant(rt, "bench", "Bench seller", scenario)
    if mode == "loopback":
        classes = {key: rt.host.connector(key).sandbox for key in KEYS}
        remotes = Remotes(mode, process=SandboxProcess(classes, n, now))
        for key in KEYS:
            _url, settings = remotes.process.served[key]  # type: ignore[union-attr]
            clock = remotes.process.clocks[key]  # type: ignore[union-attr]
            rt.connections.create(
                "bench", key, key, settings, name=f"{key} (sandbox)", poll_interval_s=30
            )
            rt.connectors.overrides[key] = {"clock": clock.now, "sleep": clock.sleep}
    else:
        remotes = Remotes(mode, batch=batch)
        for key in KEYS:
            sandbox = sandbox_for(rt, key, live=False)
            sandbox.clock.set(now)
            if key == "trendyol":  # its orders come slice by slice (Remotes.seed_orders)
                sandbox.seed_scenario(dataclasses.replace(scenario, orders=[]))
            else:
                sandbox.seed_scenario(scenario)
            remotes.inproc[key] = sandbox
            wiring.connect(rt, "bench", key, sandbox, f"http://{key}.sandbox", in_process=True)
    wiring.stock_catalog(rt, "bench", scenario, {p.id: 10 * n for p in sd.PRODUCTS})
    return rt, remotes


def drain(rt: Runtime) -> None:
    jobs = rt.jobs
    assert jobs is not None
    for _ in range(10):
        jobs.join()
        if not sum(
            jobs.send("process_order", "bench", o) for o in rt.engine.due_orders("bench", 100_000)
        ):
            return


def _label_sweep(rt: Runtime, tries: int = 5) -> int:
    """The label step (``fetch_missing_labels``), run again while it fails: a sweep fetches
    many labels at once and can exhaust its retries on Trendyol's 429s (common-label: 16 per
    10 s); labels already fetched are skipped by the next sweep. Returns how many failed."""
    assert rt.jobs is not None
    for failed in range(tries):
        try:
            rt.jobs.loop.run(rt.engine.fetch_missing_labels("bench"), timeout=None)
            return failed
        except KervanError as exc:
            print(
                f"label sweep failed ({type(exc).__name__}: {exc}); sweeping again", file=sys.stderr
            )
    raise SystemExit(f"the label sweep failed {tries} times in a row")


def _process_cpu_s(exclude: set[int | None]) -> tuple[float, float]:
    """CPU seconds of this process, and of its live children (GİB validation workers) but
    those in ``exclude`` (the sandbox process)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    tick = os.sysconf("SC_CLK_TCK")
    children = 0.0
    for child in multiprocessing.active_children():
        if child.pid in exclude:
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
            children += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return own.ru_utime + own.ru_stime, children


def _count(rt: Runtime) -> tuple[dict[str, int], int]:
    ts = rt.store.tenant("bench")
    states: dict[str, int] = {}
    for d in ts.iter_query(Query(ORDER)):
        states[d.body["state"]] = states.get(d.body["state"], 0) + 1
    labels = sum(1 for d in ts.iter_query(Query(SHIPMENT)) if has_label(ts, d.body["order_id"]))
    return states, labels


def _slices(n: int, k: int) -> list[tuple[int, int]]:
    k = max(1, min(k, n))
    edges = [n * i // k for i in range(k + 1)]
    return [(a, b - a) for a, b in itertools.pairwise(edges)]


def _corrected(sampled: dict[str, float], store: float, metering: float) -> dict[str, float]:
    """The sampled buckets with the store's row replaced by its measured CPU (``StoreMeter``)
    and the difference spread over the other rows in proportion to their samples: the
    sampler's samples gather where SQLite releases the GIL, so it overstates the store by
    CPU that ran elsewhere just before. ``metering``: what the measuring itself cost (in
    the samples, not in the total)."""
    if store <= 0:  # not measured (--no-sampler)
        return sampled
    rest = sum(v for b, v in sampled.items() if b != STORE)
    scale = (rest + sampled.get(STORE, 0.0) - store - metering) / rest if rest > 0 else 1.0
    return {b: store if b == STORE else v * scale for b, v in sampled.items()}


def _table(rows: list[list[str]], head: list[str]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"
    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    body = [
        "| "
        + " | ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        + " |"
        for r in rows
    ]
    return "\n".join([line, rule, *body])


REDIS_URL = "redis://127.0.0.1:6379/7"  # a bench-only database: emptied before each pass


def redis_pass(n: int, workers: int) -> dict[str, float]:
    """N orders with ``workers`` worker processes in Redis mode (see ``bench/_redis_workers.py``):
    orders/s, and Kervan's CPU per order (this process, the workers and their GİB validation
    workers) apart from the sandboxes'."""
    import redis
    from _redis_workers import RedisWorkers, tree_cpu_s
    from kervan.jobs.actors import QUEUE

    client = redis.Redis.from_url(REDIS_URL)
    if client.dbsize() and not all(k.startswith(b"kervan") for k in client.scan_iter(count=1000)):
        raise SystemExit(f"{REDIS_URL} holds keys the bench did not write: not emptying it")
    client.flushdb()
    with tempfile.TemporaryDirectory() as home:
        rt, remotes = build(n, home, "loopback")
        assert remotes.process is not None
        pool = RedisWorkers(
            workers,
            f"{home}/bench.db",
            REDIS_URL,
            remotes.process.start_time,
            remotes.process.offsets,
        )
        try:
            jobs = rt.start_jobs(broker_url=REDIS_URL, scheduler=False, worker=False)
            exclude = {remotes.process.process.pid, *pool.pids}
            remotes.advance(SLICE_GAP_S)
            remotes.seed_orders(0, n)
            own0, kids0 = tree_cpu_s(exclude)
            w0, sb0, t0 = pool.cpu_s(), remotes.cpu_s(), time.perf_counter()
            jobs.send("poll_source", "bench", "trendyol")
            for _ in range(10):
                jobs.broker.join(QUEUE, timeout=600_000)
                due = rt.engine.due_orders("bench", 100_000)
                if not sum(jobs.send("process_order", "bench", o) for o in due):
                    break
            _label_sweep(rt)
            wall = time.perf_counter() - t0
            own1, kids1 = tree_cpu_s(exclude)
            kervan = (own1 - own0) + (kids1 - kids0) + (pool.cpu_s() - w0)
            sandbox = remotes.cpu_s() - sb0
        finally:
            pool.close()
        states, labels = _count(rt)
        rt.close()
        remotes.close()
    client.flushdb()
    booked = states.get(OrderState.BOOKED.value, 0)
    print(f"redis, {workers} worker process(es): states {states}, labels {labels}", file=sys.stderr)
    _all_booked(booked, n, states)
    return {
        "booked": booked,
        "orders_per_s": booked / wall,
        "kervan_cpu_ms_per_order": 1000 * kervan / max(booked, 1),
        "sandbox_cpu_ms_per_order": 1000 * sandbox / max(booked, 1),
    }


def _compare(n: int, what: str, one: dict[str, float], many: dict[str, float], k: int) -> dict:
    """Print the 1-against-``k`` table and ratio of ``what`` (worker or engine processes);
    return the last line's fields for the ``k`` pass."""
    rows = [
        [
            str(w),
            str(int(r["booked"])),
            f"{r['orders_per_s']:.1f}",
            f"{r['kervan_cpu_ms_per_order']:.2f}",
            f"{r['sandbox_cpu_ms_per_order']:.2f}",
        ]
        for w, r in ((1, one), (k, many))
    ]
    head = [what, "booked", "orders/s", "Kervan CPU ms/order", "sandbox CPU ms/order"]
    print(_table(rows, head), file=sys.stderr)
    ratio = many["orders_per_s"] / max(one["orders_per_s"], 1e-9)
    print(
        f"orders/s with {k} {what} against 1: {ratio:.2f}x; load average {os.getloadavg()}",
        file=sys.stderr,
    )
    sys.stderr.flush()
    return {
        "bench": "pipeline",
        "orders": n,
        "kervan_cpu_ms_per_order": round(many["kervan_cpu_ms_per_order"], 2),
        "sandbox_cpu_ms_per_order": round(many["sandbox_cpu_ms_per_order"], 2),
        "orders_per_s": round(many["orders_per_s"], 1),
    }


def workers_main(n: int, workers: int) -> None:
    """``--workers W``: the same N orders with 1 worker process, then with W, in Redis mode."""
    one, many = redis_pass(n, 1), redis_pass(n, workers)
    line = _compare(n, "worker processes", one, many, workers)
    print(json.dumps({**line, "workers": workers, "mode": "loopback"}))


def processes_pass(n: int, processes: int) -> dict[str, float]:
    """N orders in embedded mode with ``processes`` engine processes (1: in this process, the
    default), as ``kervan serve --processes P`` runs them (``kervan.jobs.processes``): this
    process holds the broker and drains it, the children do the engine work on the shared
    clocks (``bench/_engine_processes.py``). Kervan's CPU is this process's and all its live
    children's (engine processes, GİB validation workers) but the sandbox process's."""
    from _engine_processes import setup_hook

    with tempfile.TemporaryDirectory() as home:
        rt, remotes = build(n, home, "loopback")
        assert remotes.process is not None
        exclude = {remotes.process.process.pid}
        if processes > 1:
            hook = setup_hook(remotes.process.start_time, remotes.process.offsets)
            jobs = rt.start_jobs(
                broker_url="", scheduler=False, processes=processes, process_setup=hook
            )
        else:
            jobs = rt.start_jobs(broker_url="", scheduler=False)
            default_validator().warm_up()
            settle()  # as an engine process does (kervan.jobs.heap)
        remotes.advance(SLICE_GAP_S)
        remotes.seed_orders(0, n)
        own0, kids0 = _process_cpu_s(exclude)
        sb0, t0 = remotes.cpu_s(), time.perf_counter()
        jobs.send("poll_source", "bench", "trendyol")
        drain(rt)
        _label_sweep(rt)
        wall = time.perf_counter() - t0
        own1, kids1 = _process_cpu_s(exclude)
        sandbox = remotes.cpu_s() - sb0
        states, labels = _count(rt)
        rt.close()
        remotes.close()
    booked = states.get(OrderState.BOOKED.value, 0)
    print(
        f"embedded, {processes} engine process(es): states {states}, labels {labels}",
        file=sys.stderr,
    )
    _all_booked(booked, n, states)
    return {
        "booked": booked,
        "orders_per_s": booked / wall,
        "kervan_cpu_ms_per_order": 1000 * ((own1 - own0) + (kids1 - kids0)) / max(booked, 1),
        "sandbox_cpu_ms_per_order": 1000 * sandbox / max(booked, 1),
    }


def processes_main(n: int, processes: int) -> None:
    """``--processes P``: the same N orders in embedded mode in this process, then with P
    engine processes; orders/s for both and their ratio. The last line is the P pass."""
    one, many = processes_pass(n, 1), processes_pass(n, processes)
    line = _compare(n, "engine processes", one, many, processes)
    print(json.dumps({**line, "workers": 1, "processes": processes, "mode": "loopback"}))


def _all_booked(booked: int, n: int, states: dict[str, int]) -> None:
    """Stop before the figures if an order did not get through: a per-order cost over the
    orders that did would compare with nothing (a run with failing orders costs more each)."""
    if booked < n:
        sys.exit(
            f"only {booked} of {n} orders were booked (states {states}); the errors are above. "
            "No figures for a run that did not finish."
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("orders", nargs="?", type=int, default=5000)
    ap.add_argument("--mode", choices=("loopback", "in-process"), default="loopback")
    ap.add_argument("--in-process", action="store_true", help="the old mode: --mode in-process")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--processes", type=int, default=1, help="P>1: embedded with 1, then P engine processes"
    )
    ap.add_argument("--segments", type=int, default=1)
    ap.add_argument("--where", action="store_true", help="print each bucket's top frames")
    ap.add_argument("--no-sampler", action="store_true", help="no buckets: the sampler's cost out")
    args = ap.parse_args()
    n, mode = args.orders, "in-process" if args.in_process else args.mode
    if args.workers > 1:
        if mode != "loopback":
            raise SystemExit("--workers W>1 runs in loopback mode only")
        workers_main(n, args.workers)
        return
    if args.processes > 1:
        if mode != "loopback":
            raise SystemExit("--processes P>1 runs in loopback mode only")
        processes_main(n, args.processes)
        return
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as home:
        rt, remotes = build(n, home, mode)
        sandbox_pids = {remotes.process.process.pid} if remotes.process else set()
        jobs = rt.start_jobs(broker_url="", scheduler=False, worker_threads=4)
        default_validator().warm_up()  # workers started before the clock, as a server's are
        settle()  # as kervan serve does (kervan.jobs.heap)
        sampler = CpuSampler(sandbox_code=mode == "in-process", where=args.where)
        meter, meter_cost = StoreMeter(), 0.0
        if not args.no_sampler:
            meter_cost = meter.cost_per_call()
            meter.install()
            sampler.start()
        rows: list[list[str]] = []
        own0, kids0 = _process_cpu_s(sandbox_pids)
        sb0, start = remotes.cpu_s(), time.perf_counter()
        booked_before = sweeps_failed = 0
        seg_kervan = seg_sandbox = seg_wall = 0.0
        for first, count in _slices(n, args.segments):
            remotes.advance(SLICE_GAP_S)
            remotes.seed_orders(first, count)
            a_own, a_kids = _process_cpu_s(sandbox_pids)
            a_sampler, a_sb, a_sbcpu = (
                sampler.own_cpu_now() + meter.calls * meter_cost,
                sampler.cpu.get(SANDBOX_BUCKET, 0.0),
                remotes.cpu_s(),
            )
            t0 = time.perf_counter()
            jobs.send("poll_source", "bench", "trendyol")
            drain(rt)
            sweeps_failed += _label_sweep(rt)
            wall = time.perf_counter() - t0
            b_own, b_kids = _process_cpu_s(sandbox_pids)
            b_sampler, b_sb, b_sbcpu = (
                sampler.own_cpu_now() + meter.calls * meter_cost,
                sampler.cpu.get(SANDBOX_BUCKET, 0.0),
                remotes.cpu_s(),
            )
            states, _labels = _count(rt)  # outside the timed part
            booked = states.get(OrderState.BOOKED.value, 0)
            done = booked - booked_before
            booked_before = booked
            sandbox = (b_sbcpu - a_sbcpu) + (b_sb - a_sb)
            kervan = (b_own - a_own) + (b_kids - a_kids) - (b_sampler - a_sampler) - (b_sb - a_sb)
            seg_kervan, seg_sandbox, seg_wall = (
                seg_kervan + kervan,
                seg_sandbox + sandbox,
                seg_wall + wall,
            )
            rows.append(
                [
                    f"{first + 1}–{first + count}",
                    str(done),
                    f"{1000 * kervan / max(done, 1):.2f}",
                    f"{1000 * sandbox / max(done, 1):.2f}",
                    f"{kervan / sandbox:.2f}" if sandbox > 0 else "-",
                    f"{done / wall:.1f}",
                ]
            )
        total_wall = time.perf_counter() - start
        if not args.no_sampler:
            sampler.stop()
            meter.uninstall()
        own1, kids1 = _process_cpu_s(sandbox_pids)
        sandbox_total = remotes.cpu_s() - sb0 + sampler.cpu.get(SANDBOX_BUCKET, 0.0)
        requests, paths = remotes.requests(), remotes.paths()
        states, labels = _count(rt)
        booked = states.get(OrderState.BOOKED.value, 0)
        rt.close()
        remotes.close()
    metering = 0.0 if args.no_sampler else meter.calls * meter_cost
    kervan_total = (
        (own1 - own0)
        + (kids1 - kids0)
        - sampler.own_cpu
        - metering
        - sampler.cpu.get(SANDBOX_BUCKET, 0.0)
    )
    per = 1000 / max(booked, 1)
    # a measurement's two clock reads fall about half inside the span it measures (the
    # store's figure) and half outside (in the other buckets' samples)
    store_cpu = meter.cpu - metering / 2
    buckets = _corrected({b: sampler.cpu.get(b, 0.0) for b in BUCKETS}, store_cpu, metering / 2)
    buckets[WORKERS_BUCKET] = kids1 - kids0
    buckets[UNSAMPLED] = kervan_total - sum(buckets.values())
    err = sys.stderr
    print(
        f"states: {states}; labels: {labels}; requests to the sandboxes: {requests} "
        f"({requests / max(booked, 1):.2f} per order)",
        file=err,
    )
    for route, hits in sorted(paths.items(), key=lambda kv: -kv[1]):
        print(f"{hits / max(booked, 1):7.3f} per order  {route}", file=err)
    print(f"label sweeps that failed and were run again: {sweeps_failed}", file=err)
    print(
        f"load average (1, 5, 15 min) before: {load0}, after: {os.getloadavg()}; wall "
        f"{total_wall:.1f} s; sampler: {sampler.samples} samples, its own CPU "
        f"{sampler.own_cpu * per:.2f} ms/order (subtracted); CPU of threads found waiting at a "
        f"sample, charged to their last running bucket: {sampler.smeared * per:.2f} ms/order; "
        f"the store's CPU measured around its calls: {store_cpu * per:.2f} ms/order (the sampler "
        f"charged it {sampler.cpu.get(STORE, 0.0) * per:.2f}), {meter.calls / max(booked, 1):.1f} "
        f"calls per order, their measuring {metering * per:.2f} ms/order (subtracted)",
        file=err,
    )
    if args.no_sampler:
        print(f"\nKervan CPU ({mode}, {booked} orders, no buckets: --no-sampler):", file=err)
    else:
        print(f"\nKervan CPU by bucket ({mode}, {booked} orders):", file=err)
        print(
            _table(
                [
                    [b, f"{s * per:.2f}", f"{100 * s / max(kervan_total, 1e-9):.1f}%"]
                    for b, s in buckets.items()
                ],
                ["bucket", "ms/order", "share"],
            ),
            file=err,
        )
    print(f"| total (Kervan) | {kervan_total * per:.2f} | 100% |", file=err)
    if sampler.where is not None:
        print("\ntop frames as sampled (the store not yet replaced by its metered CPU):", file=err)
        top = sorted(sampler.where.items(), key=lambda kv: -kv[1])[:40]
        for (bucket, place), spent in top:
            print(f"{spent * per:8.2f} ms/order  {bucket[:24]:24}  {place}", file=err)
    if args.segments > 1:
        print(
            f"\nper segment ({len(rows)} slices; the sandboxes do the same work per order in"
            " every slice, so Kervan ÷ sandbox stays put when the machine's speed moves):",
            file=err,
        )
        print(
            _table(
                rows,
                [
                    "orders",
                    "booked",
                    "Kervan CPU ms/order",
                    "sandbox CPU ms/order",
                    "Kervan ÷ sandbox",
                    "orders/s",
                ],
            ),
            file=err,
        )
    sys.stderr.flush()
    _all_booked(booked, n, states)
    print(
        json.dumps(
            {
                "bench": "pipeline",
                "orders": n,
                "kervan_cpu_ms_per_order": round(kervan_total * per, 2),
                "sandbox_cpu_ms_per_order": round(sandbox_total * per, 2),
                "orders_per_s": round(booked / seg_wall, 1) if seg_wall else 0.0,
                "workers": args.workers,
                "mode": mode,
            }
        )
    )


if __name__ == "__main__":
    main()
