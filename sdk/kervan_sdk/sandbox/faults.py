"""Fault injection: what can go wrong on the wire, queued per path and consumed as it fires."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any, Literal, NamedTuple

FaultKind = Literal[
    "latency",
    "status",
    "rate_limit",
    "timeout",
    "malformed",
    "duplicate_page",
    "overlap_page",
    "damaged_record",
]
FAULT_KINDS: frozenset[str] = frozenset(
    {
        "latency",
        "status",
        "rate_limit",
        "timeout",
        "malformed",
        "duplicate_page",
        "overlap_page",
        "damaged_record",
    }
)
#: faults the transport (in-process) or the middleware (on loopback) applies around a request
WIRE_FAULTS = frozenset({"latency", "status", "rate_limit", "timeout", "malformed"})
#: faults that change what a list endpoint returns; consulted by ``paginate``
PAGE_FAULTS = frozenset({"duplicate_page", "overlap_page"})
#: faults that damage one record of a good answer; applied by the middleware after the app
RECORD_FAULTS = frozenset({"damaged_record"})


@dataclass(frozen=True)
class Fault:
    """One fault to inject, ``times`` times, on requests matching ``method`` and ``path``.

    ``path`` is an fnmatch pattern on the request path (``"/orders*"``), ``"*"`` for any.

    - ``latency``: the response comes ``delay`` seconds late (simulated time in-process; beyond
      the client's read timeout it becomes a timeout).
    - ``status``: answer ``status`` (default 500) with ``body`` (default a JSON message).
    - ``rate_limit``: answer 429 with ``Retry-After: retry_after`` (default 1 s).
    - ``timeout``: the remote *does* process the request, but the answer never arrives
      (in-process: ``httpx.ReadTimeout``; on loopback the server hangs ``delay or 60`` s).
    - ``malformed``: answer 200 with the real body cut in half (or ``body``).
    - ``duplicate_page`` / ``overlap_page``: the next page of a list repeats the previous page
      / half of it, as when new records arrive while a client pages; nothing is lost.
    - ``damaged_record``: the next successful JSON answer that holds a list of records (at
      the top level or under a key, e.g. ``content``) comes with its first record broken:
      its ids and other plain values stay, every nested part (lines, addresses, items)
      becomes the string ``"<damaged>"``. The page itself is fine; only that record breaks
      the remote's contract. The record as it was is kept in ``FaultInjector.damaged``.
    """

    kind: FaultKind
    path: str = "*"
    method: str = "*"
    times: int = 1
    status: int = 500
    retry_after: float | None = None
    delay: float = 0
    body: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(FAULT_KINDS)}")
        if self.times < 1:
            raise ValueError("times must be at least 1")

    def matches(self, method: str | None, path: str) -> bool:
        method_ok = self.method == "*" or method is None or self.method.upper() == method.upper()
        return method_ok and fnmatchcase(path, self.path)


class FiredFault(NamedTuple):
    kind: str
    method: str | None
    path: str


@dataclass
class _Queued:
    fault: Fault
    left: int


class FaultInjector:
    """A queue of faults. Each matching request consumes one use of the first matching fault."""

    def __init__(self) -> None:
        self._queue: list[_Queued] = []
        #: faults that fired, in order (kind, method, path)
        self.fired: list[FiredFault] = []
        #: records a ``damaged_record`` fault broke, each as it was before
        self.damaged: list[dict[str, Any]] = []

    def add(self, fault: Fault | None = None, /, **kw: object) -> Fault:
        """Queue ``fault`` (or build one from keyword arguments: ``add(kind="status", status=503)``)."""
        if fault is None:
            fault = Fault(**kw)  # type: ignore[arg-type]
        elif kw:
            raise TypeError("pass a Fault or keyword arguments, not both")
        self._queue.append(_Queued(fault, fault.times))
        return fault

    def clear(self) -> None:
        """Drop every queued fault (the ``fired`` log stays)."""
        self._queue.clear()

    def pending(self) -> list[Fault]:
        """Queued faults with ``times`` set to the uses left."""
        return [replace(q.fault, times=q.left) for q in self._queue]

    def peek(self, kinds: frozenset[str], method: str | None, path: str) -> Fault | None:
        """The fault :meth:`take` would consume, without consuming it."""
        for queued in self._queue:
            if queued.fault.kind in kinds and queued.fault.matches(method, path):
                return queued.fault
        return None

    def take(self, kinds: frozenset[str], method: str | None, path: str) -> Fault | None:
        """Consume one use of the first queued fault of ``kinds`` matching the request."""
        for queued in self._queue:
            fault = queued.fault
            if fault.kind in kinds and fault.matches(method, path):
                queued.left -= 1
                if queued.left <= 0:
                    self._queue.remove(queued)
                self.fired.append(FiredFault(fault.kind, method, path))
                return fault
        return None


DAMAGED = "<damaged>"


def damage_first_record(body: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Break the first record of the first list of records in ``body`` (in place): keep its
    plain values, turn every nested part into ``"<damaged>"``. Returns ``(before, after)``, or
    None when the body holds no record with a nested part to break."""
    lists = [body] if isinstance(body, list) else []
    if isinstance(body, dict):
        lists = [v for v in body.values() if isinstance(v, list)]
    for records in lists:
        for i, record in enumerate(records):
            if isinstance(record, dict) and any(
                isinstance(v, dict | list) for v in record.values()
            ):
                damaged = {
                    k: DAMAGED if isinstance(v, dict | list) else v for k, v in record.items()
                }
                records[i] = damaged
                return record, damaged
    return None
