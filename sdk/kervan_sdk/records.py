"""Map remote records one at a time, so one bad record never costs a good one.

Wrap your per-record mapper with :func:`map_record` where ``fetch_orders`` (``fetch_claims``,
``fetch_listings``, ``parse_webhook``) turns a page into items: a record that maps comes back
mapped, one whose mapping raises comes back as a :class:`kervan.RecordProblem` to yield in its
place. The engine keeps the problem raw with its reason and ingests the rest of the page::

    for raw in body["content"]:
        yield map_record(RecordKind.ORDER, raw, self.map_order, remote_id=lambda r: r["id"])

Implement ``map_order`` (``map_claim``, ``map_listings``) with the same mapping, so a kept
record can be replayed after a fix. Check the *page* (is it JSON, is the envelope right)
before this: a page you cannot read at all is still an error of the whole call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from kervan import RecordKind, RecordProblem

T = TypeVar("T")


def map_record(
    kind: RecordKind | str,
    raw: Any,
    mapper: Callable[[Any], T],
    *,
    remote_id: Callable[[Any], Any] | str | None = None,
) -> T | RecordProblem:
    """``mapper(raw)``, or the :class:`~kervan.RecordProblem` for ``raw`` if it raises.

    ``remote_id`` names the record at the remote: a key of ``raw`` (``"id"``) or a function of
    it. It is read leniently: a record whose id is missing is still reported, without one.
    """
    try:
        return mapper(raw)
    except Exception as exc:  # any fault of this record's mapping is this record's problem
        return RecordProblem.from_error(kind, raw, exc, remote_id=_remote_id(raw, remote_id))


def _remote_id(raw: Any, how: Callable[[Any], Any] | str | None) -> str | None:
    try:
        if how is None:
            return None
        if isinstance(how, str):
            value = raw.get(how) if isinstance(raw, Mapping) else None
        else:
            value = how(raw)
    except Exception:  # the id itself is what is broken
        return None
    if value is None or isinstance(value, (dict, list)) or value == "":
        return None
    return str(value)
