"""Where Kervan's CPU goes: a stack sampler weighted by each thread's own CPU time.

Every ``interval`` (1 ms) a daemon thread reads ``sys._current_frames()`` and, for every other
thread of this process, the thread's CPU clock (``time.pthread_getcpuclockid`` on Linux). The
CPU a thread spent since the previous sample is charged to the bucket of the stack it is on
now. A thread blocked in ``select`` or on a lock spends no CPU, so idle threads cost nothing
here; this is what cProfile's wall-clock timer gets wrong (it charges waiting to whoever waits).

A stack's bucket is that of its innermost frame whose file belongs to a bucket (see
:data:`RULES`); frames of "neutral" code (``json``, ``asyncio`` internals, ``threading``,
``contextlib`` …) take the bucket of the code that called them, so ``json`` called by the store
counts as store and ``json`` called by the HTTP client counts as HTTP client; ``json`` with no
owner at all counts as store. The sampler's own thread CPU is measured (``time.thread_time``) so
the bench can subtract it; CPU the sampler never sees (threads that ended between two samples,
C threads) is left as the difference between the process total and the sampled sum.

Limits. The CPU a thread spent since the previous sample is charged to where it is now, so
short stretches are smeared onto their neighbours; a thread found in a known wait (``select``,
a condition, a queue) is charged to the bucket it was last seen running in, and that amount is
reported. While sampling, the GIL switch interval is 0.1 ms (default 5 ms), or nearly every
sample would land at the running thread's next blocking call; the extra GIL hand-offs cost
Kervan's threads some CPU that is not subtracted. Thread CPU includes kernel time, so the store
bucket holds the kernel's share of SQLite's ``COMMIT`` (its writes, and the ``fsync`` of a
durable commit).

The sampler needs the GIL to read a stack, and it gets it soonest when the running thread
releases it: SQLite's statements and socket writes do that, so samples gather there and the
CPU before them is charged to them. Measured against the store's own clock reads
(:class:`StoreMeter`) the store's bucket came out about 1.5-2 ms per order too high (5.2
against 3.2-3.4), so the bench reports the store from :class:`StoreMeter` and spreads the
sampler's excess over the other buckets in proportion. A thread sleeping in the kernel on the
disk (state ``D``: an ``fsync``) at a sample, and an executor's idle thread, count as waits.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STORE = "store (kervan.store, sqlite3, json)"
GIB = "GİB validation (kervan_ubltr.validation, Saxon, lxml schematron)"
ENGINE = "engine, pydantic, connectors"
HTTP = "HTTP client (httpx, aiohttp, httpcore, h11, kervan_sdk.http, socket/ssl)"
UBL = "UBL build and PDF (kervan_ubltr, labels, reportlab)"
JOBS = "job queue (dramatiq, kervan.jobs)"
LOOP = "other: event loop"
OTHER = "other"
SANDBOX = "sandboxes in-process (their code, starlette, fastapi)"
#: sandbox code (in-process mode): anything under it is the remote's work, not Kervan's
_SANDBOX_PATHS = (
    "/starlette/",
    "/fastapi/",
    "/kervan_trendyol/sandbox/",
    "/kervan_nilvera/sandbox/",
)


def _is_sandbox(filename: str) -> bool:
    if any(part in filename for part in _SANDBOX_PATHS) or filename.endswith("/sandbox.py"):
        return True
    # the SDK's sandbox package, but the clock and the in-process transport Kervan calls
    return "/kervan_sdk/sandbox/" in filename and not filename.endswith(
        ("clock.py", "transport.py")
    )


#: (path fragment, bucket), first match wins; ``None``: neutral, the caller decides
RULES: tuple[tuple[str, str | None], ...] = (
    ("/kervan/store/", STORE),
    ("/sqlite3/", STORE),
    ("/orjson", STORE),
    ("/kervan_ubltr/validation", GIB),
    ("/saxonche", GIB),
    ("/lxml/isoschematron", GIB),
    ("/kervan_ubltr/", UBL),
    ("/kervan_sdk/labels", UBL),
    ("/reportlab/", UBL),
    ("/kervan_sdk/http/", HTTP),
    ("/httpx/", HTTP),
    ("/httpcore/", HTTP),
    # ApiClient's default transport (kervan_sdk.http.network) and what aiohttp runs on
    ("/httpx_aiohttp/", HTTP),
    ("/aiohttp/", HTTP),
    ("/aiohappyeyeballs/", HTTP),
    ("/yarl/", HTTP),
    ("/multidict/", HTTP),
    ("/h11/", HTTP),
    ("/anyio/", HTTP),
    ("/ssl.py", HTTP),
    ("/socket.py", HTTP),
    ("/asyncio/selector_events.py", HTTP),
    ("/asyncio/sslproto.py", HTTP),
    ("/dramatiq/", JOBS),
    ("/kervan/jobs/", JOBS),
    ("/pydantic", ENGINE),
    ("/kervan/", ENGINE),
    ("/kervan_sdk/", ENGINE),
    ("/kervan_trendyol/", ENGINE),
    ("/kervan_nilvera/", ENGINE),
    ("/kervan_yurtici/", ENGINE),
    ("/json/", None),
    ("/asyncio/", None),
    ("/threading.py", None),
    ("/concurrent/", None),
    ("/contextlib.py", None),
    ("/functools.py", None),
    ("/typing.py", None),
    ("/enum.py", None),
    ("/copy.py", None),
    ("/abc.py", None),
)
#: the GIL switch interval while sampling (default 5 ms), see :meth:`CpuSampler.run`
SWITCH_INTERVAL = 0.0001
#: while the sampler reads the stacks (see ``_sample``)
HOLD_INTERVAL = 1.0
#: the bucket order of the table
BUCKETS = (STORE, GIB, ENGINE, HTTP, UBL, JOBS, LOOP, OTHER)


#: (file name ending, function) where a thread waits without using CPU
_WAITS = {
    ("selectors.py", "select"),
    ("threading.py", "wait"),
    ("threading.py", "_wait_for_tstate_lock"),
    ("threading.py", "join"),
    ("queue.py", "get"),
    ("connection.py", "_recv"),
    ("connection.py", "poll"),
    ("connection.py", "_poll"),
    ("connection.py", "wait"),
    # an executor's idle thread: its queue's get is C code, so this is the innermost frame
    ("thread.py", "_worker"),
}


def _blocked(frame: FrameType) -> bool:
    """Whether the innermost frame is a known blocking wait (``select``, a lock, a queue)."""
    code = frame.f_code
    name = code.co_name
    if name in {"sleep", "wait", "select", "acquire", "get", "poll", "_recv", "join", "_worker"}:
        return (code.co_filename.rsplit("/", 1)[-1], name) in _WAITS or name in {"sleep", "acquire"}
    return False


def _in_disk_wait(ident: int) -> bool:
    """Whether the thread sleeps in the kernel waiting for the disk (state ``D``: an
    ``fsync``), which no Python frame shows: it is in a C call that released the GIL. The CPU
    it spent since the last sample ran before that wait began, on other code. (A thread
    that waits for the GIL sleeps in state ``S``, on a futex: that is not this.)"""
    thread = threading._active.get(ident)  # type: ignore[attr-defined]
    native = getattr(thread, "native_id", None)
    if native is None:
        return False
    try:
        with open(f"/proc/self/task/{native}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return False
    # "tid (comm) S ...": the state follows the last ')' (a thread's name may hold one)
    state = text.rindex(b")") + 2
    return text[state : state + 1] == b"D"


def _rule(filename: str) -> str | bool | None:
    """The bucket of a file; ``None``: neutral; ``False``: no rule (unknown code)."""
    path = filename.replace("\\", "/")
    for fragment, bucket in RULES:
        if fragment in path:
            return bucket
    return False


class CpuSampler(threading.Thread):
    """Samples this process's threads every ``interval`` s until :meth:`stop`; ``cpu`` holds
    thread-CPU seconds per bucket."""

    def __init__(
        self, interval: float = 0.001, *, sandbox_code: bool = False, where: bool = False
    ) -> None:
        super().__init__(name="bench-cpu-sampler", daemon=True)
        self.interval = interval
        #: charge any stack running sandbox code to :data:`SANDBOX` (sandboxes in-process)
        self.sandbox_code = sandbox_code
        self.cpu: dict[str, float] = defaultdict(float)
        self.samples = 0
        #: CPU seconds spent by threads found blocked at the sample (charged to their last
        #: running stack's bucket; the attribution's uncertainty)
        self.smeared = 0.0
        #: with ``where``: CPU per (bucket, innermost file:function), to check the rules
        self.where: dict[tuple[str, str], float] | None = defaultdict(float) if where else None
        #: CPU seconds this sampler's own thread used (to subtract from the process total)
        self.own_cpu = 0.0
        self._stop_event = threading.Event()
        self._files: dict[str, str | bool | None] = {}

    def classify(self, frame: FrameType | None) -> str:
        if self.sandbox_code:
            probe = frame
            while probe is not None and hasattr(probe, "f_code"):
                if _is_sandbox(probe.f_code.co_filename):
                    return SANDBOX
                probe = probe.f_back
        saw_json = saw_loop = False
        unknown = False
        while frame is not None:
            code = getattr(frame, "f_code", None)
            if code is None:
                # another thread's frame read while it changes: rarely, CPython 3.11 hands back
                # a stale object as ``f_back``; this stack is classified by what was read
                break
            filename = code.co_filename
            rule = self._files.get(filename, 0)
            if rule == 0:
                rule = self._files[filename] = _rule(filename)
            if isinstance(rule, str):
                return rule
            if rule is None:
                saw_json = saw_json or "/json/" in filename
                saw_loop = saw_loop or "/asyncio/" in filename
            else:
                unknown = True
            frame = frame.f_back
        if saw_json:
            return STORE
        if saw_loop and not unknown:
            return LOOP
        return OTHER

    def run(self) -> None:
        # the thread holding the GIL gives it up within the switch interval of the sampler
        # asking; at the default 5 ms it gives it up first at its next blocking call (a socket
        # write, an SQLite COMMIT) and every sample would land there
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            self._sample()
        finally:
            sys.setswitchinterval(switch)
            self.own_cpu = time.thread_time()

    def _sample(self) -> None:
        me = threading.get_ident()
        clocks: dict[int, int] = {}
        last: dict[int, float] = {}
        previous: dict[int, str] = {}
        while not self._stop_event.wait(self.interval):
            self.samples += 1
            # Read the stacks without letting another thread run meanwhile: in CPython 3.11 a
            # frame whose function returned while we held it can hand back a freed ``f_back``
            # (seen as a torn read, and once as a segfault in a 10,000-order run). A long
            # switch interval keeps the GIL here until the walk is done.
            sys.setswitchinterval(HOLD_INTERVAL)
            try:
                self._take(me, clocks, last, previous)
            finally:
                sys.setswitchinterval(SWITCH_INTERVAL)

    def _take(
        self,
        me: int,
        clocks: dict[int, int],
        last: dict[int, float],
        previous: dict[int, str],
    ) -> None:
        """One sample: every other thread's CPU since the last one, charged to its bucket."""
        frames = sys._current_frames()
        for gone in [i for i in clocks if i not in frames]:
            del clocks[gone]
            last.pop(gone, None)
        for ident, frame in frames.items():
            if ident == me:
                continue
            try:
                clock = clocks.get(ident)
                if clock is None:
                    clock = clocks[ident] = time.pthread_getcpuclockid(ident)
                now = time.clock_gettime(clock)
            except (OSError, OverflowError):
                clocks.pop(ident, None)
                continue
            spent = now - last.get(ident, now)
            last[ident] = now
            if spent <= 0:
                continue
            if not hasattr(frame, "f_code"):  # a torn read (see classify): as last seen
                self.cpu[previous.get(ident, OTHER)] += spent
            elif _blocked(frame) or _in_disk_wait(ident):
                # it ran since the last sample but waits now: charge the stack it was last
                # seen running on (its first samples: "other")
                self.smeared += spent
                self.cpu[previous.get(ident, OTHER)] += spent
            else:
                bucket = previous[ident] = self.classify(frame)
                self.cpu[bucket] += spent
                if self.where is not None:
                    code = frame.f_code
                    self.where[(bucket, f"{code.co_filename}:{code.co_name}")] += spent
        del frames

    def own_cpu_now(self) -> float:
        """CPU seconds the sampler's thread has used so far (read from another thread)."""
        if self.ident is None or not self.is_alive():
            return self.own_cpu
        return time.clock_gettime(time.pthread_getcpuclockid(self.ident))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


class StoreMeter:
    """The store's CPU measured exactly: the calling thread's CPU clock read around every
    operation of the SQLite adapter (the outermost one of a thread, so nested calls count
    once) and around the begin and the commit of each transaction.

    The sampler cannot do this part honestly. It needs the GIL to read a stack, and SQLite
    releases the GIL around each statement, so its samples land at those statements more
    often than their share of the CPU (by about 1.5 ms per order in the pipeline: 5 against
    3.4 measured here). The bench puts this figure in the store's row and spreads the
    difference over the other sampled buckets in proportion (see ``pipeline.py``)."""

    OPS = ("get", "insert", "replace", "upsert", "remove", "counter", "put_blob")
    TENANT_OPS = ("get_blob", "get_many", "upsert_many", "query", "keys", "count")

    def __init__(self) -> None:
        self.cpu = 0.0
        self.calls = 0
        self._local = threading.local()
        self._undo: list[tuple[object, str, object]] = []

    def install(self) -> None:
        from kervan.store import sqlite as adapter

        for owner, names in (
            (adapter._Ops, self.OPS),
            (adapter.SqliteTenantStore, self.TENANT_OPS),
        ):
            for name in names:
                real = owner.__dict__.get(name) or getattr(owner, name)
                self._undo.append((owner, name, owner.__dict__.get(name)))
                setattr(owner, name, self._timed(real))
        real_write = adapter.SqliteStore.write
        self._undo.append((adapter.SqliteStore, "write", real_write))
        adapter.SqliteStore.write = self._timed_write(real_write)

    def uninstall(self) -> None:
        for owner, name, real in reversed(self._undo):
            if real is None:
                delattr(owner, name)
            else:
                setattr(owner, name, real)
        self._undo.clear()

    def _timed(self, fn: Any) -> Any:
        local, clock = self._local, time.thread_time

        def timed(*args: Any, **kwargs: Any) -> Any:
            if getattr(local, "inside", False):
                return fn(*args, **kwargs)
            local.inside = True
            start = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu += clock() - start
                self.calls += 1
                local.inside = False

        return timed

    def _timed_write(self, write: Any) -> Any:
        local, clock = self._local, time.thread_time

        @contextmanager
        def timed(store: Any, *, atomic: bool = True) -> Iterator[Any]:
            outer = not getattr(local, "inside", False) and not getattr(store._local, "depth", 0)
            start = clock()
            manager = write(store, atomic=atomic)
            conn = manager.__enter__()
            if outer:
                self.cpu += clock() - start
                self.calls += 1
            try:
                yield conn
            except BaseException as exc:
                if not manager.__exit__(type(exc), exc, exc.__traceback__):
                    raise
            else:
                start = clock()
                manager.__exit__(None, None, None)
                if outer:
                    self.cpu += clock() - start
                    self.calls += 1

        return timed

    def cost_per_call(self, rounds: int = 20_000) -> float:
        """CPU seconds one measurement adds (two clock reads and the wrapper), to subtract."""
        local = self._local
        noop = self._timed(lambda: None)
        before, calls = self.cpu, self.calls
        start = time.thread_time()
        for _ in range(rounds):
            noop()
        spent = time.thread_time() - start
        self.cpu, self.calls = before, calls
        local.inside = False
        return spent / rounds
