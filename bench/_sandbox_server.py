"""The first-party sandboxes in a process of their own, for ``bench/pipeline.py --mode loopback``.

:func:`start` spawns one process (``multiprocessing`` *spawn* context) that builds the Trendyol,
Nilvera and Yurtiçi sandboxes, seeds them and serves each on ``127.0.0.1`` (any free port)
with uvicorn, as ``kervan demo`` does (``sandbox.serve(host, port)``). Kervan reaches them over
real HTTP; their CPU is theirs, not Kervan's.

Control, two channels:

- **Clocks, shared memory.** Each sandbox runs on a :class:`SharedClock`: simulated time whose
  offset (seconds after a common start) lives in a ``multiprocessing.Value`` both processes
  see. Kervan's connection to that sandbox gets the same clock's ``now`` and ``sleep`` (as the
  in-process bench gives it the sandbox's ``SimClock``), so a retry or rate-limit wait on
  Kervan's side moves the remote's time at once, without a request, and the bench can jump
  every clock forward with :meth:`SandboxProcess.advance` (pickup, GİB answers, and so on).
- **Commands, a pipe.** :meth:`SandboxProcess.call` sends ``(command, *args)`` and returns the
  answer: ``seed_orders`` (give Trendyol the next slice of the scenario's orders),
  ``cpu`` (the child's user+system CPU seconds, ``resource.getrusage``), ``requests`` (requests
  answered per sandbox), ``stop``.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import importlib
import multiprocessing
import os
import resource
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from kervan_sdk.sandbox import SimClock

KEYS = ("trendyol", "nilvera", "yurtici")


class SharedClock(SimClock):
    """Simulated time shared by two processes: ``start`` plus a shared offset in seconds.

    ``sleep`` advances it (as :class:`SimClock`'s does) for every process that reads it."""

    def __init__(self, start: datetime, offset: Any) -> None:
        super().__init__(start)
        self._start = start.astimezone(UTC)
        self._offset = offset  # multiprocessing.Value("d")

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._offset.value)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._offset.get_lock():
            self._offset.value += seconds

    def set(self, when: datetime) -> None:
        seconds = (when.astimezone(UTC) - self.now()).total_seconds()
        self.advance(max(0.0, seconds))

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, float(seconds)))
        await asyncio.sleep(0)


def _scenario(n: int, now: datetime) -> tuple[Any, list[Any]]:
    """The bench's scenario (built the same way in both processes) and its orders."""
    from kervan.scenario import Scenario
    from kervan_demo import scenario_data as sd

    batch, registered = sd.bulk_orders(n, tenant_id="bench", now=now, first_package=80000000)
    scenario = Scenario(
        seller=sd.SELLER,
        orders=batch,
        registered=registered,
        products=sd.PRODUCTS,
        seller_aliases=("urn:mail:defaultgb@bench.example", "urn:mail:defaultpk@bench.example"),
    )
    return scenario, batch


def _child(
    conn: Connection, classes: dict[str, str], n: int, start: str, offsets: dict[str, Any]
) -> None:
    """The sandbox process: build, seed (all but Trendyol's orders), serve, answer commands.

    Nilvera's sandbox checks what it receives with the GİB validator; here it validates on its
    own threads (``KERVAN_VALIDATION_PROCESSES=0``), so ``getrusage`` of this process is all of
    the sandboxes' CPU."""
    os.environ["KERVAN_VALIDATION_PROCESSES"] = "0"
    when = datetime.fromisoformat(start)
    scenario, batch = _scenario(n, when)
    sandboxes: dict[str, Any] = {}
    for key in KEYS:
        module, _, name = classes[key].partition(":")
        sandboxes[key] = getattr(importlib.import_module(module), name)(
            clock=SharedClock(when, offsets[key])
        )
    # Trendyol gets its listings now and its orders slice by slice (``seed_orders``)
    sandboxes["trendyol"].seed_scenario(dataclasses.replace(scenario, orders=[]))
    for key in KEYS[1:]:
        sandboxes[key].seed_scenario(scenario)
    urls = {key: sb.serve("127.0.0.1", 0) for key, sb in sandboxes.items()}
    conn.send({key: (urls[key], sandboxes[key].demo_settings(urls[key])) for key in KEYS})
    while True:
        command, *args = conn.recv()
        if command == "seed_orders":
            first, count = args
            sandboxes["trendyol"].seed_orders(batch[first : first + count])
            conn.send(count)
        elif command == "cpu":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            conn.send(usage.ru_utime + usage.ru_stime)
        elif command == "requests":
            conn.send({key: len(sb.requests) for key, sb in sandboxes.items()})
        elif command == "paths":
            counts: dict[str, int] = {}
            for key, sb in sandboxes.items():
                for r in sb.requests:
                    # ids in a path become ":id", so one route is one row
                    shape = "/".join(
                        ":id" if any(c.isdigit() for c in p) else p for p in r.path.split("/")
                    )
                    name = f"{key} {r.method} {shape} {r.status}"
                    counts[name] = counts.get(name, 0) + 1
            conn.send(counts)
        elif command == "stop":
            for sb in sandboxes.values():
                sb.stop()
            conn.send(None)
            return
        else:
            conn.send(ValueError(f"unknown sandbox-process command {command!r}"))


class SandboxProcess:
    """The sandbox process and its two control channels (see the module docstring)."""

    def __init__(self, classes: dict[str, str], n: int, start: datetime) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.start_time = start
        self.offsets = {key: ctx.Value("d", 0.0) for key in KEYS}
        self.clocks = {key: SharedClock(start, self.offsets[key]) for key in KEYS}
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_child,
            args=(child, classes, n, start.isoformat(), self.offsets),
            name="bench-sandboxes",
        )
        self.process.start()
        atexit.register(self.close)  # a non-daemon child would keep a failed bench waiting
        if not self._conn.poll(120):
            self.process.kill()
            raise RuntimeError("the sandbox process did not come up within 120 s")
        #: key → (base URL, connector settings that work against it)
        self.served: dict[str, tuple[str, dict[str, Any]]] = self._conn.recv()

    def call(self, command: str, *args: Any) -> Any:
        self._conn.send((command, *args))
        answer = self._conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def advance(self, seconds: float) -> None:
        """Move every sandbox's clock (and so Kervan's view of it) forward."""
        for clock in self.clocks.values():
            clock.advance(seconds)

    def close(self) -> None:
        if self.process.is_alive():
            self.call("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
