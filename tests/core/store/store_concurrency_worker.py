"""Runs in a spawned process: hammer one document and one counter from several threads."""

from __future__ import annotations

import threading
from typing import Any

from kervan.store import CasMismatch, declare_kind
from kervan.store.sqlite import SqliteStore


def hammer(path: str, proc: int, threads: int, rounds: int, out: Any) -> None:
    """CAS-increment ``widget/shared``, bump counter ``seq`` and number an invoice in a
    transaction, ``rounds`` times per thread; send back what this process observed."""
    declare_kind("widget", indexes=["color"])
    store = SqliteStore(path)
    tenant = store.tenant("acme")
    seen: list[int] = []
    numbers: list[int] = []
    lock = threading.Lock()
    conflicts = [0] * threads

    def work(thread: int) -> None:
        mine, my_numbers = [], []
        for i in range(rounds):
            while True:  # an explicit CAS loop: read, then write only if nobody wrote since
                doc = tenant.get("widget", "shared")
                try:
                    tenant.replace("widget", "shared", {"n": doc.body["n"] + 1}, cas=doc.cas)
                    break
                except CasMismatch:
                    conflicts[thread] += 1
            mine.append(tenant.counter("seq"))
            with tenant.transaction() as tx:
                n = tx.counter("invoice")
                tx.insert("widget", f"inv-{n}", {"by": f"{proc}.{thread}.{i}"})
            my_numbers.append(n)
        with lock:
            seen.extend(mine)
            numbers.extend(my_numbers)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    store.close()
    out.put((seen, numbers, sum(conflicts)))
