"""Benchmark: the store's SQLite work per order, recorded from a pipeline run and replayed alone.

Usage: ``.venv/bin/python bench/store_replay.py [N] [--rounds R]``

1. **Record.** ``bench/pipeline.py``'s loopback pipeline runs ``N`` orders (no sampler) while
   every SQL statement the store's connections execute is recorded with its parameters, in
   the order the statements took effect, and so is each ``fsync`` of the log.
2. **Replay.** The same statements, in the same order, on a fresh database file: one
   connection per recorded connection, opened as the store opens its own, all driven from
   this thread; each statement's rows are fetched. The set-up before the orders arrive
   (schema, tenant, catalog) is replayed untimed; the orders' part is timed by this thread's
   CPU clock, ``R`` times on fresh files (the best round is reported, as ``timeit`` does).

What this measures is SQLite and the ``sqlite3`` module alone: not the store's Python
(JSON, CAS values, the side-table bookkeeping), not the engine. The pipeline's
store row (``StoreMeter``, the thread's CPU clock around every store call) includes both, so
the difference between the two is the store's own Python.

Order of statements: a statement is recorded once it has run, except ``COMMIT`` and
``ROLLBACK``, recorded just before they run (and struck out again if they fail), so that a
``BEGIN IMMEDIATE`` another thread was waiting in is always recorded after the commit that
let it through.

The last line: ``{"bench": "store_replay", "orders": N, "statements_per_order": ...,
"transactions_per_order": ..., "syncs_per_order": ..., "sqlite_cpu_ms_per_order": ...}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from typing import Any

import pipeline
from kervan.store import sqlite as adapter

#: one recorded event: (connection id, SQL, parameters), or a marker (None, "sync"/"start"/...)
Event = list[Any]

_BEFORE = ("COMMIT", "ROLLBACK")


class Trace:
    """What the store's connections did, in order; filled from any thread."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()
        self.ids = iter(range(1, 1 << 30))

    def add(self, event: Event) -> Event:
        with self.lock:
            self.events.append(event)
        return event

    def mark(self, what: str) -> None:
        self.add([None, what, None])


TRACE = Trace()
#: the store's log sync as it is, before :func:`_install` wraps it to record each call
_SYNC_LOG = adapter.SqliteStore._sync_log


class _Recording(sqlite3.Connection):
    """A store connection that records what it executes into :data:`TRACE`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ident = next(TRACE.ids)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        before = sql.lstrip().upper().startswith(_BEFORE)
        event = TRACE.add([self.ident, sql, parameters]) if before else None
        try:
            cursor = super().execute(sql, parameters)
        except BaseException:
            if event is not None:
                event[1] = None  # struck out: it did not take effect
            raise
        if not before:
            TRACE.add([self.ident, sql, parameters])
        return cursor

    def executemany(self, sql: str, seq: Any, /) -> sqlite3.Cursor:
        rows = list(seq)
        cursor = super().executemany(sql, rows)
        TRACE.add([self.ident, sql, ("many", rows)])
        return cursor


def _install() -> None:
    """Record the store's connections, its log syncs, and where the orders' part begins and
    ends (the pipeline's first Trendyol seeding; its first count of states, untimed there)."""
    real_connect, real_sync = adapter.SqliteStore._connect, adapter.SqliteStore._sync_log
    plain = sqlite3.connect

    def connect(store: adapter.SqliteStore) -> sqlite3.Connection:
        def recording(database: str, *args: Any, **kwargs: Any) -> sqlite3.Connection:
            if database != store.path:  # another thread's own database, at this moment
                return plain(database, *args, **kwargs)
            return plain(database, *args, factory=_Recording, **kwargs)

        adapter.sqlite3.connect = recording
        try:
            return real_connect(store)
        finally:
            adapter.sqlite3.connect = plain

    def sync(store: adapter.SqliteStore) -> None:
        TRACE.mark("sync")
        real_sync(store)

    adapter.SqliteStore._connect = connect
    adapter.SqliteStore._sync_log = sync
    seed, count = pipeline.Remotes.seed_orders, pipeline._count

    def seeded(self: Any, first: int, n: int) -> None:
        seed(self, first, n)
        TRACE.mark("start")

    def counted(rt: Any) -> Any:
        TRACE.mark("end")
        return count(rt)

    pipeline.Remotes.seed_orders = seeded  # type: ignore[method-assign,assignment]
    pipeline._count = counted


def record(n: int) -> list[Event]:
    """The store's statements over a pipeline run of ``n`` orders (its output to stderr)."""
    _install()
    print(
        f"recording the store's statements over {n} orders (the pipeline's own figures, "
        "printed here, include the recording's cost: they are not the bench's)",
        file=sys.stderr,
    )
    argv = sys.argv
    sys.argv = ["pipeline.py", str(n), "--no-sampler"]
    try:
        with contextlib.redirect_stdout(sys.stderr):  # this bench's line is the last on stdout
            pipeline.main()
    finally:
        sys.argv = argv
    return TRACE.events


class _Replay:
    """The recorded statements run again on a fresh file, one connection per recorded one."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conns: dict[int, sqlite3.Connection] = {}

    def conn(self, ident: int) -> sqlite3.Connection:
        conn = self.conns.get(ident)
        if conn is None:  # as SqliteStore._connect opens one; its pragmas are in the trace
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=256
            )
            self.conns[ident] = conn
        return conn

    def run(self, events: list[Event]) -> None:
        for ident, sql, parameters in events:
            if ident is None:
                if sql == "sync":
                    self.sync()
                continue
            if sql is None:
                continue
            conn = self.conn(ident)
            if type(parameters) is tuple and parameters[:1] == ("many",):
                conn.executemany(sql, parameters[1])
            else:
                conn.execute(sql, parameters).fetchall()

    def sync(self) -> None:
        """The store's own log sync, on this file (it reads only ``path``)."""
        _SYNC_LOG(self)

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def _parts(events: list[Event]) -> tuple[list[Event], list[Event]]:
    """The set-up before the orders' part, and the orders' part."""
    marks = [i for i, e in enumerate(events) if e[0] is None and e[1] in ("start", "end")]
    start = next(i for i in marks if events[i][1] == "start")
    end = next(i for i in marks if events[i][1] == "end" and i > start)
    return events[:start], events[start + 1 : end]


def replay(setup: list[Event], orders: list[Event]) -> float:
    """CPU seconds this thread spends replaying ``orders`` after ``setup``, on a fresh file."""
    with tempfile.TemporaryDirectory() as home:
        replayer = _Replay(os.path.join(home, "replay.db"))
        try:
            replayer.run(setup)
            start = time.thread_time()
            replayer.run(orders)
            return time.thread_time() - start
        finally:
            replayer.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("orders", nargs="?", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    setup, orders = _parts(record(args.orders))
    kinds = Counter(
        (e[1] or "").lstrip().split(None, 1)[0].upper() if e[0] is not None else f"<{e[1]}>"
        for e in orders
    )
    spent = [replay(setup, orders) for _ in range(args.rounds)]
    per = 1000 / args.orders
    statements = sum(1 for e in orders if e[0] is not None and e[1] is not None)
    print(
        f"\nreplayed {statements} statements ({statements / args.orders:.1f} per order) on a "
        f"fresh file, {args.rounds} rounds: {', '.join(f'{s * per:.3f}' for s in spent)} "
        "ms/order of this thread's CPU",
        file=sys.stderr,
    )
    for kind, n in kinds.most_common():
        print(f"{n / args.orders:8.2f} per order  {kind}", file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "store_replay",
                "orders": args.orders,
                "statements_per_order": round(statements / args.orders, 1),
                "transactions_per_order": round(kinds["BEGIN"] / args.orders, 2),
                "syncs_per_order": round(kinds["<sync>"] / args.orders, 2),
                "sqlite_cpu_ms_per_order": round(min(spent) * per, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
