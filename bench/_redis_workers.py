"""Worker processes for ``bench/pipeline.py --workers W``: Redis mode, as ``kervan worker``.

Each process is what ``kervan worker`` runs (``Runtime.create`` then
``start_jobs(broker_url=..., scheduler=False)``, see ``core/kervan/cli/serve_cmd.py``) on the
bench's SQLite file and a bench-only Redis database, with one difference the CLI cannot give
it: its connections run on the sandboxes' shared simulated clocks (``SharedClock``), as the
bench's own process does, so a rate-limit wait moves simulated time instead of really waiting.
The bench process only sends jobs, waits for the queue, and runs the label sweep.

Pipe commands: ``cpu`` (this process's CPU seconds plus its live GİB validation workers'),
``stop``.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import resource
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _sandbox_server import KEYS, SharedClock


def tree_cpu_s(exclude: set[int | None] | None = None) -> tuple[float, float]:
    """CPU seconds of this process, and of its live ``multiprocessing`` children (GİB
    validation workers) but those in ``exclude``."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    tick = os.sysconf("SC_CLK_TCK")
    children = 0.0
    for child in multiprocessing.active_children():
        if exclude and child.pid in exclude:
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
            children += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return own.ru_utime + own.ru_stime, children


def _worker(
    conn: Connection, db: str, broker_url: str, start: str, offsets: dict[str, Any]
) -> None:
    from kervan.jobs.heap import settle
    from kervan.runtime import Runtime
    from kervan.store import open_store
    from kervan_ubltr import default_validator

    when = datetime.fromisoformat(start)
    rt = Runtime.create(store=open_store(f"sqlite:///{db}"), mode="sandbox")
    for key in KEYS:
        clock = SharedClock(when, offsets[key])
        rt.connectors.overrides[key] = {"clock": clock.now, "sleep": clock.sleep}
    rt.start_jobs(broker_url=broker_url, scheduler=False, worker_threads=4)
    default_validator().warm_up()
    settle()  # as kervan worker does (kervan.jobs.heap)
    conn.send("ready")
    while True:
        command = conn.recv()
        if command == "cpu":
            conn.send(sum(tree_cpu_s()))
        elif command == "stop":
            rt.close()
            conn.send(None)
            return


class RedisWorkers:
    """``count`` worker processes on ``db`` and ``broker_url``, on the clocks in ``offsets``."""

    def __init__(
        self, count: int, db: str, broker_url: str, start: datetime, offsets: dict[str, Any]
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.processes = []
        for i in range(count):
            conn, child = ctx.Pipe()
            process = ctx.Process(
                target=_worker,
                args=(child, db, broker_url, start.isoformat(), offsets),
                name=f"bench-worker-{i}",
            )
            process.start()
            atexit.register(process.kill)  # a non-daemon child would keep a failed bench waiting
            self.conns.append(conn)
            self.processes.append(process)
        for conn in self.conns:
            if not conn.poll(120) or conn.recv() != "ready":
                self.close()
                raise RuntimeError("a bench worker process did not come up within 120 s")

    @property
    def pids(self) -> set[int | None]:
        return {p.pid for p in self.processes}

    def cpu_s(self) -> float:
        total = 0.0
        for conn in self.conns:
            conn.send("cpu")
            total += conn.recv()
        return total

    def close(self) -> None:
        for conn, process in zip(self.conns, self.processes, strict=True):
            if process.is_alive():
                with contextlib.suppress(OSError, EOFError):
                    conn.send("stop")
                    conn.recv()
            process.join(10)
            if process.is_alive():
                process.kill()
