"""Store benchmark: gets, batched upserts and indexed queries on the SQLite adapter, next to
plain ``sqlite3`` key lookups on the same file in the same run.

Run: ``.venv/bin/python bench/store.py [N]``. The last line is one JSON object.
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from kervan.store import Query, declare_kind, open_store

STATUSES = ["received", "reserved", "classified", "invoiced", "shipped", "delivered"]


def body(i: int) -> dict:
    return {
        "id": f"o-{i}",
        "status": STATUSES[i % len(STATUSES)],
        "placed_at": f"2026-11-{1 + i % 28:02}T10:{i % 60:02}:00+03:00",
        "buyer": {"name": "Ayşe Yılmaz", "city": "İstanbul"},
        "total": "249.90",
        "lines": [{"sku": f"SKU-{i % 97}", "qty": 1 + i % 3}],
    }


def rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1)


def main(n: int = 20_000) -> dict:
    declare_kind("benchorder", indexes=["status", "placed_at"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kervan.db"
        store = open_store(f"sqlite:///{path}")
        t = store.tenant("bench")
        keys = [f"o-{i}" for i in range(n)]

        start = time.perf_counter()
        for batch in range(0, n, 1000):
            with t.transaction() as tx:
                for i in range(batch, min(batch + 1000, n)):
                    tx.upsert("benchorder", keys[i], body(i))
        upsert_s = time.perf_counter() - start

        # Store gets and raw sqlite3 gets run in alternating rounds over the same keys, so a
        # busy machine slows both alike and the ratio stays meaningful.
        sample = random.Random(7).choices(keys, k=n)
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("PRAGMA journal_mode = WAL")
        raw_sql = "SELECT body, cas FROM docs WHERE tenant = ? AND kind = ? AND key = ?"
        get_s = raw_s = 0.0
        rounds = 10
        for r in range(rounds):
            chunk = sample[r::rounds]
            start = time.perf_counter()
            for key in chunk:
                t.get("benchorder", key)
            get_s += time.perf_counter() - start
            start = time.perf_counter()
            for key in chunk:
                raw.execute(raw_sql, ("bench", "benchorder", key)).fetchone()
            raw_s += time.perf_counter() - start
        raw.close()

        queries = max(n // 20, 200)
        start = time.perf_counter()
        for i in range(queries):
            t.query(
                Query(
                    "benchorder", where={"status": STATUSES[i % 6]}, order_by="-placed_at", limit=20
                )
            )
        query_s = time.perf_counter() - start

        # a sweep of every document in pages of 500: by keyset (what iter_query does), and by
        # OFFSET as it did before, where page k re-reads the k·500 rows before it
        start = time.perf_counter()
        swept = sum(1 for _ in t.iter_query(Query("benchorder", order_by="placed_at")))
        keyset_s = time.perf_counter() - start
        start = time.perf_counter()
        offset, by_offset = 0, 0
        while page := t.query(Query("benchorder", order_by="placed_at", limit=500, offset=offset)):
            by_offset += len(page)
            offset += 500
        offset_s = time.perf_counter() - start
        assert swept == by_offset == n
        start = time.perf_counter()
        for _ in range(50):
            t.keys(Query("benchorder", where={"status": "shipped"}, order_by="placed_at"))
        keys_s = (time.perf_counter() - start) / 50
        start = time.perf_counter()
        for _ in range(50):
            t.query(Query("benchorder", where={"status": "shipped"}, order_by="placed_at"))
        docs_s = (time.perf_counter() - start) / 50
        store.close()

    return {
        "bench": "store",
        "n": n,
        "get_per_s": rate(n, get_s),
        "upsert_per_s": rate(n, upsert_s),
        "query_per_s": rate(queries, query_s),
        "raw_sqlite_get_per_s": rate(n, raw_s),
        "sweep_keyset_s": round(keyset_s, 3),
        "sweep_offset_s": round(offset_s, 3),
        "keys_query_ms": round(keys_s * 1000, 2),
        "docs_query_ms": round(docs_s * 1000, 2),
    }


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
    print(f"store get / raw sqlite get: {result['get_per_s'] / result['raw_sqlite_get_per_s']:.0%}")
    print(
        f"sweep of {result['n']} documents: keyset {result['sweep_keyset_s']} s, "
        f"offset {result['sweep_offset_s']} s; one status's keys "
        f"{result['keys_query_ms']} ms vs its documents {result['docs_query_ms']} ms"
    )
    print(json.dumps(result))
