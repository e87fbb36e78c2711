"""Query semantics in plain Python, the same as the SQLite adapter's SQL.

Adapters that cannot filter on the server (the Couchbase adapter reading maintained index
documents) apply these to the candidate documents; the contract tests use them as the oracle
that every adapter must agree with. The rules are SQLite's: a missing field is ``NULL``;
``NULL`` matches only a ``None`` filter and no range bound; values order
``NULL < numbers < strings`` (strings by code point); ties are broken by key, in the
same direction as the order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .checks import UNINDEXED, extract, index_value, where_values
from .port import Doc, Query, StoreError


def sort_key(value: Any) -> tuple[int, Any]:
    """A total order over index values matching SQLite's cross-type comparison."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, value)


def _scalar(value: Any) -> Any:
    out = index_value(value)
    if out is UNINDEXED:
        raise StoreError(f"query values must be JSON scalars, not {type(value).__name__}")
    return out


def matches(query: Query, body: dict[str, Any]) -> bool:
    """Whether ``body`` satisfies the query's ``where`` and ``range``."""
    for field, wanted in query.where.items():
        value = extract(body, field)
        if value is UNINDEXED:
            return False
        options = [_scalar(v) for v in where_values(wanted)]
        if not any(_equal(value, o) for o in options):
            return False
    if query.range is not None:
        field, low, high = query.range
        value = extract(body, field)
        if value is UNINDEXED:
            return False
        if low is not None and (value is None or sort_key(value) < sort_key(_scalar(low))):
            return False
        if high is not None and (value is None or sort_key(value) > sort_key(_scalar(high))):
            return False
    return True


def _equal(value: Any, option: Any) -> bool:
    if value is None or option is None:
        return value is None and option is None
    return sort_key(value) == sort_key(option)


def order_and_page(query: Query, docs: Iterable[Doc]) -> list[Doc]:
    """Sort (by the ``order_by`` field, then key, both in the order's direction) and apply
    ``offset``/``limit``."""
    descending = bool(query.order_by and query.order_by.startswith("-"))
    if query.order_by:
        field = query.order_by.lstrip("-+")

        def position(d: Doc) -> tuple[Any, str]:
            return (_order_value(d.body, field), d.key)

        out = sorted(docs, key=position, reverse=descending)
        start = None if query.after is None else (sort_key(query.after[0]), query.after[1])
    else:

        def position(d: Doc) -> tuple[Any, str]:
            return ((0, 0), d.key)

        out = sorted(docs, key=lambda d: d.key)
        start = None if query.after is None else ((0, 0), query.after[1])
    if start is not None:  # keyset: only what comes after the last document seen
        out = [d for d in out if (position(d) < start if descending else position(d) > start)]
    end = None if query.limit is None else query.offset + query.limit
    return out[query.offset : end]


def _order_value(body: dict[str, Any], field: str) -> tuple[int, Any]:
    value = extract(body, field)
    # SQLite's json_extract hands back JSON text for containers; order them after strings.
    return (3, "") if value is UNINDEXED else sort_key(value)
