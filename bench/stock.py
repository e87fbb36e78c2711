"""Stock bench: a stock change on N cards until every channel's sandbox shows the new figure.

C Trendyol stores (one sandbox each, all on ONE shared :class:`SimClock`) list the same N items
under the same barcodes, so ``Catalog.import_listings`` puts each item on one card with C
listings. The stock of every card then changes (a third counted, a third received, a third
reserved by an order) and the push runs as production runs it: the scheduler sends a
``push_stock`` job on each tick (1 s) while any product is due, and the job is one
``Catalog.push`` run. Here that loop is simulated on the shared clock, one run at a time.

Measured per (card, channel): SIMULATED seconds from the change's commit until the channel's
sandbox product state holds the new figure ("visible"), and until Kervan has read the item's
result back from Trendyol's batch result ("confirmed"). The clock moves only by:

- **Kervan's own work**: the real time of each push run's own code (engine, store, SQLite,
  pydantic, connector, HTTP client), measured between requests and charged to the clock as it
  happens, so work done before a request delays that request. By default the thread's CPU
  time (this machine may be shared: wall time would charge other processes' work to Kervan;
  ``--charge wall`` charges wall time, SQLite's fsyncs included). The sandboxes' own time
  (serving in-process) and this bench's bookkeeping are excluded: the remote's time is
  modelled by the round trip below;
- **a modelled network round trip per HTTP request** (``--rtt-ms``, default 150): half before
  the sandbox handles the request, half after;
- **the connector's own waits**: batch-result polling, client-side rate limiting, retry
  backoff (told apart by who asked to sleep);
- **idle time**: waiting for the next tick while nothing runs.

Round trips and waits are simulated sleeps that let other tasks go on: the clock moves to the
nearest sleeper's deadline only when every task waits (:meth:`Bench.until_done`), so if the
core ever sends to several channels at once, overlapping waits count once, not added up.

The changes themselves commit at planned instants spread over ``--spread`` seconds (default 1,
one tick period, so the changes meet the tick at every phase); their own cost is not charged:
in production they come through the API on other workers while the scheduler ticks.

Each sandbox enforces Trendyol's rate limits; every 429 is counted and reported.

    python bench/stock.py [--cards N] [--channels N] [--rtt-ms MS] [--spread S]
                          [--tick S] [--charge cpu|wall] [--profile]

``--profile`` runs the push runs under cProfile and prints where Kervan's time goes (the
profiler slows Kervan's code, and that slower time is what the clock is charged).
Prints a breakdown, then one JSON line last:
{"bench": "stock", "cards": N, "channels": C, "p50_visible_s": ..., "p99_visible_s": ...,
"requests": ...}
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import heapq
import json
import math
import pstats
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, TypeVar

import httpx
from kervan import ConnectorContext
from kervan.catalog import Catalog
from kervan.domain import Tenant, TenantSettings
from kervan.engine import Engine
from kervan.engine.change import Movement
from kervan.engine.stock import apply_movements
from kervan.store import open_store
from kervan_sdk.sandbox.clock import SimClock
from kervan_trendyol import Trendyol, TrendyolSettings
from kervan_trendyol.sandbox import TrendyolSandbox
from kervan_trendyol.sandbox.products_api import BATCH_PROCESSING, add_product

T = TypeVar("T")
TENANT = "bench"
STOCK_PATH = "/products/price-and-inventory"
BATCH_PATH = "/products/batch-requests/"
START_QUANTITY = 10
#: give up (and report what never became visible) after this much simulated time
HORIZON_S = 3600.0

#: where the simulated time of a push run goes (each a category of :attr:`Bench.spent`)
CATEGORIES = (
    "kervan",  # Kervan's own code, real time charged to the clock
    "rtt",  # the modelled network round trips
    "batch_wait",  # the connector waiting before reading a batch's results
    "rate_limit_wait",  # the client's own rate limiter holding a request back
    "retry_backoff",  # the client backing off after an error (429, 5xx)
    "other_wait",  # any other sleep on the clock
)


class Tenants:
    def __init__(self) -> None:
        self.tenant = Tenant(id=TENANT, name="Bench seller", settings=TenantSettings())

    def get(self, tenant_id: str) -> Tenant:
        return self.tenant


@dataclass
class Pair:
    """One (card, channel): the figure it must show, when it changed, when it showed."""

    barcode: str
    channel: str
    expected: int
    commit: datetime
    visible: datetime | None = None
    confirmed: datetime | None = None
    #: simulated seconds by category from the commit to ``visible``
    parts: dict[str, float] = field(default_factory=dict)


@dataclass
class Run:
    start: datetime
    end: datetime | None = None
    #: Kervan's time as charged, and its wall time
    kervan_s: float = 0.0
    wall_s: float = 0.0
    requests: int = 0


@dataclass
class Bench:
    clock: SimClock
    rtt_s: float
    sandboxes: dict[str, TrendyolSandbox]
    spent: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0.0))
    idle_s: float = 0.0
    sandbox_s: float = 0.0
    #: what Kervan's time is measured by: thread CPU time ("cpu") or wall time ("wall")
    charge_by: str = "cpu"
    #: Kervan's time by both measures, whichever is charged
    kervan_wall_s: float = 0.0
    kervan_cpu_s: float = 0.0
    mark: tuple[float, float] = (0.0, 0.0)
    charging: bool = False
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    #: channel → barcode → the pair waiting to show its figure
    pending: dict[str, dict[str, Pair]] = field(default_factory=lambda: defaultdict(dict))
    unconfirmed: dict[str, dict[str, Pair]] = field(default_factory=lambda: defaultdict(dict))
    #: every pair, in commit order
    pairs: list[Pair] = field(default_factory=list)
    run: Run | None = None
    run_spent: dict[str, float] = field(default_factory=dict)
    waiters: list[tuple[datetime, int, str, asyncio.Future[None]]] = field(default_factory=list)
    _seq: int = 0

    # -- the clock ------------------------------------------------------------------------

    def charge(self) -> None:
        """Charge the clock with Kervan's real time since the last mark."""
        now = (time.perf_counter(), time.thread_time())
        if self.charging:
            wall, cpu = now[0] - self.mark[0], now[1] - self.mark[1]
            self.kervan_wall_s += wall
            self.kervan_cpu_s += cpu
            elapsed = cpu if self.charge_by == "cpu" else wall
            self.clock.advance(elapsed)
            self.spent["kervan"] += elapsed
            if self.run is not None:
                self.run.kervan_s += elapsed
                self.run.wall_s += wall
        self.mark = now

    def resume(self) -> None:
        """Kervan's code runs again from here (what happened since was not Kervan's)."""
        self.mark = (time.perf_counter(), time.thread_time())

    # -- waiting on the clock ---------------------------------------------------------------

    async def sleep(self, seconds: float, kind: str) -> None:
        """Wait ``seconds`` of simulated time while other tasks go on: the clock moves when
        every task waits (:meth:`until_done`), so waits that overlap are not added up."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        self._seq += 1
        deadline = self.clock.now() + timedelta(seconds=seconds)
        heapq.heappush(self.waiters, (deadline, self._seq, kind, future))
        await future

    async def until_done(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` to its end; whenever no task can go on, move the clock to the nearest
        sleeper's deadline (the gap counts for that sleeper's kind) and wake it."""
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(coro)
        while not task.done():
            await asyncio.sleep(0)
            if getattr(loop, "_ready", None):  # some task can still go on
                continue
            if not self.waiters:  # something outside the loop (a thread) is working
                await asyncio.sleep(0.0005)
                continue
            deadline, _, kind, future = heapq.heappop(self.waiters)
            gap = (deadline - self.clock.now()).total_seconds()
            if gap > 0:
                self.clock.advance(gap)
                self.spent[kind] += gap
            future.set_result(None)
            self.resume()
        return task.result()

    # -- what the sandboxes show ----------------------------------------------------------

    def observe(self, channel: str, request: httpx.Request, status: int) -> None:
        """At the sandbox's moment of handling: which pairs its products now show, and which
        batch results Kervan is now reading."""
        path = request.url.path
        self.statuses[status] += 1
        kind = (
            "POST price-and-inventory"
            if path.endswith(STOCK_PATH)
            else "GET batch-requests"
            if BATCH_PATH in path
            else f"{request.method} other"
        )
        self.requests[kind] += 1
        if self.run is not None:
            self.run.requests += 1
        now = self.clock.now()
        sb = self.sandboxes[channel]
        if kind == "POST price-and-inventory" and status < 300:
            waiting = self.pending[channel]
            for barcode, pair in list(waiting.items()):
                if sb.products[barcode]["variants"][0]["stock"]["quantity"] == pair.expected:
                    pair.visible = now
                    pair.parts = self._parts(pair)
                    del waiting[barcode]
        elif kind == "GET batch-requests" and status < 300:
            batch = sb.batches.get(path.rsplit("/", 1)[1])
            if batch is not None and now - batch["created"] >= BATCH_PROCESSING:
                waiting = self.unconfirmed[channel]
                for item in batch["items"]:
                    read = waiting.get(str(item["requestItem"]["barcode"]))
                    if read is not None and read.visible is not None:
                        # the answer reaches Kervan half a round trip later
                        read.confirmed = now + timedelta(seconds=self.rtt_s / 2)
                        del waiting[read.barcode]

    def _parts(self, pair: Pair) -> dict[str, float]:
        assert self.run is not None
        parts = {k: self.spent[k] - self.run_spent[k] for k in CATEGORIES}
        parts["tick_wait"] = (self.run.start - pair.commit).total_seconds()
        return parts


class Wire(httpx.AsyncBaseTransport):
    """The sandbox's transport with a modelled round trip; Kervan's time is charged first."""

    def __init__(self, bench: Bench, channel: str, sb: TrendyolSandbox) -> None:
        self.bench, self.channel, self.inner = bench, channel, sb.transport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        bench = self.bench
        bench.charge()
        await bench.sleep(bench.rtt_s / 2, "rtt")
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        bench.sandbox_s += time.perf_counter() - started
        bench.observe(self.channel, request, response.status_code)
        await bench.sleep(bench.rtt_s / 2, "rtt")
        bench.resume()
        return response


def _sleep_kind(frame: FrameType | None) -> str:
    name = frame.f_code.co_filename if frame is not None else ""
    if name.endswith("ratelimit.py"):
        return "rate_limit_wait"
    if name.endswith("products.py"):
        return "batch_wait"
    if name.endswith("client.py"):
        return "retry_backoff"
    return "other_wait"


def sleeper(bench: Bench) -> Any:
    async def sleep(seconds: float) -> None:
        bench.charge()
        await bench.sleep(float(seconds), _sleep_kind(sys._getframe(1)))
        bench.resume()

    return sleep


class Channels:
    """Connection id → a Trendyol connector on its own sandbox (one store each)."""

    def __init__(self, bench: Bench) -> None:
        self.conns: dict[str, Trendyol] = {}
        for cid, sb in bench.sandboxes.items():
            ctx = ConnectorContext(
                tenant_id=TENANT,
                connection_id=cid,
                transport=Wire(bench, cid, sb),
                clock=bench.clock.now,
                sleep=sleeper(bench),
            )
            settings = TrendyolSettings(**sb.demo_settings(f"http://{cid}.sandbox"))
            self.conns[cid] = Trendyol(settings, ctx)

    def get(self, tenant_id: str, connection_id: str) -> Trendyol:
        return self.conns[connection_id]


def barcode_of(i: int) -> str:
    return f"869{i:010d}"


def build(cards: int, channels: int, rtt_s: float, home: str) -> tuple[Bench, Catalog]:
    clock = SimClock()
    sandboxes = {}
    for c in range(channels):
        sb = TrendyolSandbox(clock=clock, seed=c + 1)
        for i in range(cards):  # the same item under the same barcode in every store
            add_product(
                sb,
                barcode=barcode_of(i),
                stock_code=f"SKU-{i:05d}",
                title=f"Ürün {i}",
                sale_price=100.0 + i % 50,
                vat_rate=20,
                quantity=START_QUANTITY,
            )
        sandboxes[f"store-{c + 1}"] = sb
    bench = Bench(clock=clock, rtt_s=rtt_s, sandboxes=sandboxes)
    store = open_store(f"sqlite:///{home}/kervan.db")
    engine = Engine(store=store, connectors=Channels(bench), tenants=Tenants(), clock=clock.now)
    return bench, Catalog(engine)


async def import_all(bench: Bench, catalog: Catalog, cards: int) -> None:
    for cid in bench.sandboxes:
        report = await bench.until_done(catalog.import_listings(TENANT, cid))
        if report.problems:
            raise SystemExit(f"import from {cid}: {report.problems} problems")
    listed = catalog.cards(TENANT, limit=cards + 1)
    if len(listed) != cards:
        raise SystemExit(f"expected {cards} cards (one per barcode), got {len(listed)}")
    # a listing attached to an existing card is sent the card's figure once (not measured)
    for _ in range(10):
        if not catalog.due(TENANT):
            return
        await bench.until_done(catalog.push(TENANT))
        bench.clock.advance(1)
    raise SystemExit("the first push after the import did not settle")


@dataclass
class Change:
    at: datetime
    product_id: str
    barcode: str
    kind: str
    amount: int


def plan_changes(catalog: Catalog, start: datetime, spread_s: float) -> list[Change]:
    """A third counted (to 3..9), a third received (+1..5), a third reserved by an order
    (1..3): every one changes the available figure."""
    entries = catalog.cards(TENANT, limit=1_000_000)
    n = len(entries)
    out = []
    for i, entry in enumerate(entries):
        card = entry["card"]
        kind = ("count", "receive", "reserve")[i % 3]
        amount = {"count": 3 + i % 7, "receive": 1 + i % 5, "reserve": 1 + i % 3}[kind]
        at = start + timedelta(seconds=spread_s * i / max(n, 1))
        out.append(Change(at, str(card["id"]), str(card["barcodes"][0]), kind, amount))
    return out


def commit(bench: Bench, catalog: Catalog, change: Change) -> None:
    """Apply one change through the catalog/ledger; every channel now waits for its figure."""
    pid = change.product_id
    if change.kind == "count":
        catalog.count(TENANT, pid, change.amount, actor="bench")
    elif change.kind == "receive":
        catalog.receive(TENANT, pid, change.amount, actor="bench", ref=f"delivery-{pid}")
    else:
        move = Movement(pid, "reserve", reserved=change.amount, must_fit=True, ref=f"order-{pid}")
        store = catalog.engine.store.tenant(TENANT)
        with store.transaction() as tx:
            apply_movements(tx, [move], bench.clock.now())
    expected = int(catalog.stock(TENANT, pid)["available"])
    for cid in bench.sandboxes:
        pair = Pair(change.barcode, cid, expected, change.at)
        bench.pairs.append(pair)
        bench.pending[cid][change.barcode] = pair
        bench.unconfirmed[cid][change.barcode] = pair


def advance_to(bench: Bench, when: datetime) -> None:
    gap = (when - bench.clock.now()).total_seconds()
    if gap > 0:
        bench.clock.advance(gap)
        bench.idle_s += gap


async def drive(
    bench: Bench,
    catalog: Catalog,
    changes: list[Change],
    tick_s: float,
    profiler: cProfile.Profile | None,
) -> list[Run]:
    """The scheduler's loop on simulated time: commit each change at its instant; on each tick
    while anything is due, one push run (one at a time; a tick that falls during a run is
    taken by the next tick after it)."""
    start = bench.clock.now()
    horizon = start + timedelta(seconds=HORIZON_S)
    queue = list(changes)
    runs: list[Run] = []
    ticks = 1
    while bench.clock.now() < horizon:
        next_tick = start + timedelta(seconds=tick_s * ticks)
        if queue and queue[0].at <= next_tick:
            change = queue.pop(0)
            advance_to(bench, change.at)  # a change planned during a run commits after it
            commit(bench, catalog, change)
            continue
        advance_to(bench, next_tick)
        run = Run(start=bench.clock.now())
        bench.run, bench.run_spent = run, dict(bench.spent)
        bench.charging = True
        bench.resume()
        if catalog.due(TENANT):  # the scheduler's check, then the job
            if profiler is not None:
                profiler.enable()
            await bench.until_done(catalog.push(TENANT))
            if profiler is not None:
                profiler.disable()
            bench.charge()
            run.end = bench.clock.now()
            runs.append(run)
        else:
            bench.charge()
        bench.charging, bench.run = False, None
        elapsed = (bench.clock.now() - start).total_seconds()
        ticks = max(ticks + 1, math.floor(elapsed / tick_s) + 1)
        if not queue and not any(bench.pending.values()) and not catalog.due(TENANT):
            break
    return runs


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def report(bench: Bench, runs: list[Run], pairs: list[Pair], rtt_s: float) -> dict[str, Any]:
    shown = [p for p in pairs if p.visible is not None]
    latency = [(p.visible - p.commit).total_seconds() for p in shown]  # type: ignore[operator]
    confirmed = [(p.confirmed - p.commit).total_seconds() for p in pairs if p.confirmed is not None]
    missing = len(pairs) - len(shown)
    out = {
        "p50": round(pct(latency, 50), 3) if latency else None,
        "p99": round(pct(latency, 99), 3) if latency else None,
    }
    w = sys.stdout.write
    w(f"pairs (card, channel): {len(pairs)}; visible: {len(shown)}; never visible: {missing}\n")
    if latency:
        w(
            "visible after commit (s): "
            f"p50 {pct(latency, 50):.3f}  p90 {pct(latency, 90):.3f}  "
            f"p99 {pct(latency, 99):.3f}  max {max(latency):.3f}\n"
        )
    if confirmed:
        w(
            "result read back after commit (s): "
            f"p50 {pct(confirmed, 50):.3f}  p99 {pct(confirmed, 99):.3f}  "
            f"max {max(confirmed):.3f}\n"
        )
    by_channel: dict[str, list[float]] = defaultdict(list)
    for p, lat in zip(shown, latency, strict=True):
        by_channel[p.channel].append(lat)
    for cid, lats in sorted(by_channel.items()):
        w(f"  {cid}: visible p50 {pct(lats, 50):.3f}  p99 {pct(lats, 99):.3f}  n={len(lats)}\n")
    keys = ("tick_wait", *CATEGORIES)
    if shown:
        w(
            "where a pair's time goes, commit → visible (mean s; and the p99 pair's); "
            "tick_wait: until the run that sent it started (the tick, or an earlier run)\n"
        )
        slowest = sorted(zip(latency, shown, strict=True), key=lambda t: t[0])
        p99_pair = slowest[max(math.ceil(0.99 * len(slowest)) - 1, 0)][1]
        for k in keys:
            mean = sum(p.parts.get(k, 0.0) for p in shown) / len(shown)
            w(f"  {k:<16} {mean:8.3f}   {p99_pair.parts.get(k, 0.0):8.3f}\n")
    w(f"push runs: {len(runs)}\n")
    for i, run in enumerate(runs[:10]):
        dur = ((run.end or run.start) - run.start).total_seconds()
        w(
            f"  run {i + 1}: starts at +{(run.start - runs[0].start).total_seconds():.3f} s, "
            f"lasts {dur:.3f} s (simulated), Kervan {run.kervan_s * 1000:.0f} ms charged "
            f"({run.wall_s * 1000:.0f} ms wall), {run.requests} requests\n"
        )
    total = sum(bench.spent.values()) + bench.idle_s
    w("simulated time of the whole push phase by category (s):\n")
    for k in CATEGORIES:
        w(f"  {k:<16} {bench.spent[k]:8.3f}\n")
    w(f"  {'idle (ticks)':<16} {bench.idle_s:8.3f}\n  {'total':<16} {total:8.3f}\n")
    w(
        f"Kervan's own time in the push runs: {bench.kervan_cpu_s:.3f} s CPU, "
        f"{bench.kervan_wall_s:.3f} s wall; charged: {bench.charge_by}\n"
    )
    w(
        f"sandbox serving time (real, not charged): {bench.sandbox_s:.3f} s; "
        f"modelled round trip {rtt_s * 1000:.0f} ms per request\n"
    )
    w(f"requests: {dict(bench.requests)}; statuses: {dict(bench.statuses)}\n")
    w(f"429 answers: {bench.statuses.get(429, 0)}\n")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--cards", type=int, default=1000)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--rtt-ms", type=float, default=150.0, help="round trip per HTTP request")
    ap.add_argument("--spread", type=float, default=1.0, help="the changes arrive over S s")
    ap.add_argument("--tick", type=float, default=1.0, help="the scheduler's tick (s)")
    ap.add_argument(
        "--charge",
        choices=("cpu", "wall"),
        default="cpu",
        help="charge the clock with Kervan's thread CPU time (default) or its wall time",
    )
    ap.add_argument("--profile", action="store_true", help="cProfile the push runs")
    args = ap.parse_args(argv)
    rtt_s = args.rtt_ms / 1000
    with tempfile.TemporaryDirectory() as home:
        bench, catalog = build(args.cards, args.channels, rtt_s, home)
        bench.charge_by = args.charge
        wall0 = time.perf_counter()
        asyncio.run(import_all(bench, catalog, args.cards))
        imported = dict(bench.requests)
        sys.stdout.write(
            f"imported {args.cards} cards × {args.channels} channels in "
            f"{time.perf_counter() - wall0:.1f} s real ({imported})\n"
        )
        bench.requests.clear()
        bench.statuses.clear()
        bench.spent = dict.fromkeys(CATEGORIES, 0.0)
        bench.sandbox_s = 0.0
        changes = plan_changes(catalog, bench.clock.now(), args.spread)
        profiler = cProfile.Profile() if args.profile else None
        runs = asyncio.run(drive(bench, catalog, changes, args.tick, profiler))
        figures = report(bench, runs, bench.pairs, rtt_s)
        if profiler is not None:
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats("tottime").print_stats(25)
        catalog.engine.store.close()
    print(
        json.dumps(
            {
                "bench": "stock",
                "cards": args.cards,
                "channels": args.channels,
                "p50_visible_s": figures["p50"],
                "p99_visible_s": figures["p99"],
                "requests": sum(bench.requests.values()),
            }
        )
    )


if __name__ == "__main__":
    main()
