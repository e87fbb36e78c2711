"""Paging for sandbox list endpoints, with the duplicate/overlap page faults applied."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from .faults import PAGE_FAULTS

if TYPE_CHECKING:
    from .base import Sandbox

T = TypeVar("T")


def paginate(
    sandbox: Sandbox, request_path: str, items: Sequence[T], page: int, size: int
) -> list[T]:
    """Page ``page`` (0-based) of ``items`` with ``size`` per page, as the remote would serve it.

    A queued ``overlap_page`` / ``duplicate_page`` fault on ``request_path`` makes this page and
    every later one (until the client starts over at page 0) begin ``size // 2`` / ``size``
    items earlier, as when records arrive at the head of the list while a client pages through
    it: the client sees repeats but never misses a record (the last page runs to the end of
    the list, so it may be longer than ``size``). Compute totals from ``len(items)`` as usual.
    """
    if size < 1:
        raise ValueError("page size must be at least 1")
    page = max(0, page)
    shifts = sandbox.page_shifts
    if page == 0:
        shifts.pop(request_path, None)  # a fresh pass starts clean
    else:
        fault = sandbox.faults.take(PAGE_FAULTS, None, request_path)
        if fault is not None:
            step = size if fault.kind == "duplicate_page" else max(1, size // 2)
            shifts[request_path] = min(page * size, shifts.get(request_path, 0) + step)
    start = max(0, page * size - shifts.get(request_path, 0))
    last_page = max(0, (len(items) - 1) // size)
    end = len(items) if page == last_page else start + size
    return list(items[start:end])


def page_count(total: int, size: int) -> int:
    """How many pages ``total`` items make at ``size`` per page (at least 1)."""
    return max(1, -(-total // size))
