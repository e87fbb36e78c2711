"""The engine process's side of ``kervan serve --processes N`` (see :mod:`kervan.jobs.processes`).

A child is started with *spawn* (the serving process has threads; forking one is not safe) and
builds its own :class:`~kervan.runtime.Runtime` over the same store URL, with the same
environment (so the same plugins, key file or ``KERVAN_SECRET_KEY``, and mode). It then reads
jobs from its pipe and runs each on its engine loop, many at once, as the serving process's
loop would: a job waiting on a remote leaves the core to the others.

Messages, child → parent: ``("ready", pid)`` or ``("failed", packed error)`` once; then per job
``(job id, "emit", order ids)`` for each stage that found orders, and finally
``(job id, "done", None)`` or ``(job id, "error", packed error)``. Parent → child:
``(job id, actor, args)``, or ``None`` to stop.

A child exits when its parent does: the pipe closes (the next read fails) and, as a second
guard, a watcher thread sees its parent process id change.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from .crossing import pack


@dataclass(frozen=True)
class ChildSpec:
    """What a child needs to build its runtime; sent to it, so every field must pickle."""

    store_url: str
    #: ``KERVAN_MODE`` as the serving runtime was created with (the destination policy)
    mode: str
    #: called with the child's runtime before it takes work: connector overrides, clocks,
    #: warm-ups (an importable function; ``functools.partial`` of one is fine)
    setup: Callable[[Any], None] | None = None


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main(conn: Connection, parent: int, spec: ChildSpec) -> None:
    """The child's entry point (``multiprocessing`` target)."""
    _exit_with_parent(parent)
    # GİB validation runs here, on this process's own core: a validation process per engine
    # process would only add processes (and Saxon's memory) competing for the same cores
    os.environ.setdefault("KERVAN_VALIDATION_PROCESSES", "0")
    try:
        from ..runtime import Runtime

        runtime = Runtime.create(store_url=spec.store_url, mode=spec.mode)
        if spec.setup is not None:
            spec.setup(runtime)
    except BaseException as exc:
        conn.send(("failed", pack(exc)))
        return
    from .heap import settle

    settle()
    conn.send(("ready", os.getpid()))
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            conn.send(message)

    def finished(job_id: int, future: Future[None]) -> None:
        if future.cancelled():
            send((job_id, "error", pack(asyncio.CancelledError("the engine loop stopped"))))
            return
        exc = future.exception()
        send((job_id, "done", None) if exc is None else (job_id, "error", pack(exc)))

    from .work import run_stages

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone: its jobs go back to the queue there
            os._exit(0)
        if message is None:
            break
        job_id, actor, args = message

        def emit(ids: list[str], job_id: int = job_id) -> None:
            send((job_id, "emit", ids))

        future = asyncio.run_coroutine_threadsafe(
            run_stages(runtime.engine, actor, args, emit), runtime.loop.loop
        )
        future.add_done_callback(functools.partial(finished, job_id))
    runtime.close()
