"""Two processes × four threads on one SQLite file: no lost update, no counter gap or repeat."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

from kervan.store import Query, declare_kind
from kervan.store.sqlite import SqliteStore

PROCS, THREADS, ROUNDS = 2, 4, 40


def test_cas_updates_and_counters_survive_processes_and_threads(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))  # so the spawned child can import the worker
    import store_concurrency_worker as worker

    path = str(tmp_path / "kervan.db")
    declare_kind("widget", indexes=["color"])
    store = SqliteStore(path)
    store.tenant("acme").insert("widget", "shared", {"n": 0})

    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=worker.hammer, args=(path, p, THREADS, ROUNDS, out))
        for p in range(PROCS)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0

    total = PROCS * THREADS * ROUNDS
    shared = store.tenant("acme").get("widget", "shared")
    assert shared is not None and shared.body["n"] == total  # no update lost
    seq = sorted(v for seen, _ in results for v in seen)
    assert seq == list(range(1, total + 1))  # no gap, no repeat
    numbers = sorted(n for _, nums in results for n in nums)
    assert numbers == list(range(1, total + 1))
    invoices = store.tenant("acme").count(Query("widget")) - 1
    assert invoices == total  # every number has its document, committed together
    store.close()
