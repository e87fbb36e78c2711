"""Engine processes behind the embedded broker: ``kervan serve --processes N``.

One Python process runs the engine on one core (one event loop, one GIL). With ``processes``
N > 1 the serving process keeps the API, the scheduler and the broker, and every job's engine
work runs in N child processes, each with its own runtime over the same store (the SQLite
store is safe across processes: WAL, ``BEGIN IMMEDIATE``, CAS; Couchbase is a server).

The dramatiq worker threads stay in the serving process: each takes a message, hands the job
to the least busy child and waits for it, so retries, backoff, time limits and dead letters
are the same middleware as ever. An error crosses back as its own class with its attributes
(:mod:`kervan.jobs.crossing`), so the retry policy decides as it would have in-process. A
child that dies (OOM, ``kill -9``) fails its running jobs with :class:`EngineProcessLost`,
which is retryable: dramatiq retries them on its backoff, and a new child takes the dead
one's place. A job is an idempotent step over the store, so one cut short is safe to run
again. Children exit when the serving process does (:mod:`kervan.jobs.engine_child`).

What cannot cross to a child: a private store (``sqlite:///:memory:`` or a test's temporary
one), connector overrides (an in-process sandbox transport, a simulated clock) and a clock
given to ``Runtime.create``. :func:`start_processes` refuses those unless a ``setup`` hook is
given that rebuilds them in each child (the benchmark shares its simulated clocks that way).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import KervanError
from ..roles import utcnow
from . import engine_child
from .crossing import unpack
from .engine_child import ChildSpec

log = logging.getLogger("kervan.jobs")

#: how long a child may take to build its runtime (plugins, store) before it counts as failed
START_TIMEOUT_S = 120.0


class EngineProcessLost(KervanError):
    """The engine process running a job died before the job finished; the job is retried."""

    code = "engine_process_lost"
    retryable = True


class ProcessesRefused(ValueError):
    """``processes`` > 1 was asked for a runtime whose parts cannot reach a child process."""


class _Child:
    """The serving process's handle on one engine process: its pipe and its running jobs."""

    def __init__(self, ctx: Any, spec: ChildSpec, index: int) -> None:
        self.conn, child_conn = ctx.Pipe()
        self.process = ctx.Process(
            target=engine_child.main,
            args=(child_conn, os.getpid(), spec),
            name=f"kervan-engine-{index}",
            # not a daemon: a daemonic process may not start processes of its own (a plugin's
            # pool, KERVAN_VALIDATION_PROCESSES); EngineProcesses kills them at exit instead
            daemon=False,
        )
        self.process.start()
        child_conn.close()
        self.jobs: dict[int, queue.Queue[tuple[str, Any]]] = {}
        self.lock = threading.Lock()
        self.alive = True

    def wait_ready(self) -> None:
        if not self.conn.poll(START_TIMEOUT_S):
            self.process.kill()
            raise RuntimeError(f"an engine process did not start within {START_TIMEOUT_S:g} s")
        try:
            kind, payload = self.conn.recv()
        except (EOFError, OSError):
            kind, payload = "failed", None
        if kind != "ready":
            self.process.join(5)
            cause = unpack(payload) if payload else None
            raise RuntimeError(f"an engine process failed to start: {cause!r}") from cause

    def submit(self, job_id: int, actor: str, args: tuple[Any, ...]) -> queue.Queue[Any]:
        box: queue.Queue[tuple[str, Any]] = queue.Queue()
        with self.lock:
            if not self.alive:
                raise EngineProcessLost(f"engine process {self.process.pid} is gone")
            self.jobs[job_id] = box
            try:
                self.conn.send((job_id, actor, list(args)))
            except OSError as exc:
                self.jobs.pop(job_id, None)
                raise EngineProcessLost(f"engine process {self.process.pid}: {exc}") from exc
        return box

    def read(self) -> None:
        """Route the child's messages to the waiting jobs until its pipe closes."""
        while True:
            try:
                job_id, kind, payload = self.conn.recv()
            except (EOFError, OSError):
                break
            with self.lock:
                box = self.jobs.get(job_id) if kind == "emit" else self.jobs.pop(job_id, None)
            if box is not None:
                box.put((kind, payload))
        self.process.join(5)
        with self.lock:
            self.alive = False
            orphans, self.jobs = self.jobs, {}
        why = f"engine process {self.process.pid} died (exit code {self.process.exitcode})"
        for box in orphans.values():  # one error each: each is raised on its own thread
            box.put(("lost", EngineProcessLost(why)))

    def stop(self) -> None:
        with self.lock:
            self.alive = False
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()


class EngineProcesses:
    """N engine processes and the dispatch of jobs to them (see the module doc)."""

    def __init__(self, count: int, spec: ChildSpec) -> None:
        if count < 1:
            raise ValueError("processes must be at least 1")
        self.spec = spec
        self._ctx = multiprocessing.get_context("spawn")
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._closed = False
        self._started = 0
        self._spawned: list[_Child] = []
        self.children: list[_Child] = []
        try:
            for _ in range(count):
                self.children.append(self._spawn())
            for child in self.children:
                child.wait_ready()
        except BaseException:
            self.close()
            raise
        for child in self.children:
            self._watch(child)
        # before multiprocessing's own exit handler, which would wait for non-daemonic children
        atexit.register(self._kill)

    def _kill(self) -> None:
        self._closed = True
        for child in list(self._spawned):  # one still starting too
            if child.process.is_alive():
                child.process.kill()

    def _spawn(self) -> _Child:
        self._started += 1
        child = _Child(self._ctx, self.spec, self._started)
        self._spawned = [c for c in self._spawned if c.process.is_alive()] + [child]
        return child

    def _watch(self, child: _Child) -> None:
        def run() -> None:
            child.read()
            self._replace(child)

        threading.Thread(target=run, name=f"{child.process.name}-reader", daemon=True).start()

    def _replace(self, dead: _Child) -> None:
        """Start a child in ``dead``'s place (unless closing), retrying with a backoff."""
        delay = 1.0
        while not self._closed:
            log.warning(
                "engine process %s exited (code %s); starting another",
                dead.process.pid,
                dead.process.exitcode,
            )
            try:
                fresh = self._spawn()
                fresh.wait_ready()
            except Exception:
                log.exception("an engine process failed to start; trying again in %.0f s", delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            with self._lock:
                if self._closed:
                    fresh.stop()
                    return
                self.children = [fresh if c is dead else c for c in self.children]
            self._watch(fresh)
            return

    @property
    def pids(self) -> list[int]:
        """The live children's process ids."""
        with self._lock:
            return [c.process.pid for c in self.children if c.alive and c.process.pid]

    @property
    def running(self) -> bool:
        """Whether any child is up to take work (health checks)."""
        with self._lock:
            return not self._closed and any(c.alive for c in self.children)

    def _pick(self) -> _Child:
        with self._lock:
            live = [c for c in self.children if c.alive]
        if not live:
            raise EngineProcessLost("no engine process is running (one is being started)")
        return min(live, key=lambda c: len(c.jobs))

    def run(
        self,
        actor: str,
        args: tuple[Any, ...],
        emit: Callable[[list[str]], None],
        timeout_s: float = 300,
    ) -> None:
        """Run the job in a child and wait; each stage's ids go to ``emit`` here, on the
        calling thread. Raises what the job raised, or :class:`EngineProcessLost`."""
        box = self._pick().submit(next(self._ids), actor, args)
        while True:
            try:
                kind, payload = box.get(timeout=timeout_s)
            except queue.Empty:
                message = f"{actor} took over {timeout_s:g} s in an engine process"
                raise TimeoutError(message) from None
            if kind == "emit":
                emit(payload)
            elif kind == "done":
                return
            elif kind == "lost":
                raise payload
            else:
                raise unpack(payload)

    def close(self) -> None:
        """Stop the children (after the worker threads stopped: no job is running)."""
        atexit.unregister(self._kill)
        with self._lock:
            self._closed = True
            children, self.children = self.children, []
        for child in children:
            child.stop()


def start_processes(
    runtime: Any,
    count: int,
    *,
    setup: Callable[[Any], None] | None = None,
    store_url: str | None = None,
) -> EngineProcesses:
    """``count`` engine processes for ``runtime`` (a :class:`~kervan.runtime.Runtime`);
    raises :class:`ProcessesRefused` for what cannot cross (see the module doc)."""
    url = store_url or _store_url(runtime.store)
    if setup is None:
        if runtime.connectors.overrides:
            raise ProcessesRefused(
                "connections "
                + ", ".join(sorted(runtime.connectors.overrides))
                + " have in-process overrides (a sandbox transport or a simulated clock) "
                "that an engine process cannot share; run with processes=1, or give a setup "
                "hook that sets them up in each engine process"
            )
        if runtime.engine.clock is not utcnow:
            raise ProcessesRefused(
                "this runtime runs on a clock of its own, which an engine process cannot "
                "share; run with processes=1, or give a setup hook"
            )
    spec = ChildSpec(url, runtime.connections.destinations.mode, setup)
    return EngineProcesses(count, spec)


def _store_url(store: Any) -> str:
    """The URL an engine process opens to reach ``store``."""
    from ..store.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        if store._tmpdir is not None:  # ":memory:": a file only this process may see
            raise ProcessesRefused(
                "an in-memory store (sqlite:///:memory:) is private to this process: engine "
                "processes cannot share it; use a store file or processes=1"
            )
        return f"sqlite:///{os.path.abspath(store.path)}"
    url = os.environ.get("KERVAN_STORE_URL")
    if url:
        return url
    raise ProcessesRefused(
        f"cannot tell engine processes how to reach {store!r}: set KERVAN_STORE_URL or pass "
        "store_url"
    )
