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
    conflicts = sum(c for _, _, c in results)
    print(f"CAS conflicts retried: {conflicts}")
    assert conflicts > 0  # and the CAS path was really contended
    seq = sorted(v for seen, _, _ in results for v in seen)
    assert seq == list(range(1, total + 1))  # no gap, no repeat
    numbers = sorted(n for _, nums, _ in results for n in nums)
    assert numbers == list(range(1, total + 1))
    invoices = store.tenant("acme").count(Query("widget")) - 1
    assert invoices == total  # every number has its document, committed together
    store.close()


def _child_writes(path: str) -> None:
    # Runs in a forked child: the parent's store object, but a connection of its own.
    child_store = _FORKED["store"]
    assert not hasattr(child_store._local, "conn"), "the parent's connection crossed the fork"
    child_store.tenant("acme").insert("widget", "from-child", {"ok": True})
    child_store.tenant("acme").counter("forked")


_FORKED: dict = {}


def test_a_forked_child_gets_its_own_connection(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "kervan.db"))
    store.tenant("acme").insert("widget", "from-parent", {"ok": True})  # parent opens a connection
    _FORKED["store"] = store
    proc = multiprocessing.get_context("fork").Process(target=_child_writes, args=(store.path,))
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == 0
    assert store.tenant("acme").get("widget", "from-child") is not None
    assert store.tenant("acme").counter("forked") == 2
    store.close()
