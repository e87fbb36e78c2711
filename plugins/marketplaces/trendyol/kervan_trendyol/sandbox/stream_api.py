"""Sandbox endpoint getShipmentPackagesStream: packages with cursor paging.

``GET /integration/order/sellers/{sellerId}/orders/stream`` [TY-SPEC marketplace.json]:

- query ``size`` (default 50, at most 200), ``nextCursor`` (opaque; not sent on the first
  request, sent back exactly as answered), ``packageItemStatuses`` (comma-separated; Created,
  Picking, Invoiced, Shipped, Cancelled, Delivered, UnDelivered, Returned, UnSupplied,
  AtCollectionPoint, UnPacked, Awaiting), ``lastModifiedStartDate``/``lastModifiedEndDate``
  (epoch ms);
- always ordered by ``lastModifiedDate``, newest first;
- answer ``{content, size, hasMore, nextCursor}``: ``size`` is the number of packages in
  this answer, ``nextCursor`` is empty when ``hasMore`` is false (no page, totalPages or
  totalElements);
- 400 (``{error, message}``) for a bad ``nextCursor`` and for a cursor whose filters differ
  from the request's ("cursor ile filtre uyumsuzluğu").

The date range reaches back three months and one query spans at most 14 days [TY-DOCS "Get
Shipment Packages With Cursor", apis.md 1.3]. Inferred: without dates the stream covers the
last week, as getShipmentPackages does; a package item status matches when any line of the
package has it; the cursor fixes the window's end at the first request, so a package
modified while one pages is not served again in that scan (keyset paging on
``(lastModifiedDate, shipmentPackageId)``). The "≥5 s between calls" found in unattributed
client code is not enforced.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request

from .orders_api import DEFAULT_WINDOW, MAX_SIZE, MAX_WINDOW_MS, _err, _int

if TYPE_CHECKING:
    from .app import TrendyolSandbox

DEFAULT_SIZE = 50
HISTORY_MS = 90 * 24 * 3600 * 1000
ITEM_STATUSES = frozenset(
    {
        "Created",
        "Picking",
        "Invoiced",
        "Shipped",
        "Cancelled",
        "Delivered",
        "UnDelivered",
        "Returned",
        "UnSupplied",
        "AtCollectionPoint",
        "UnPacked",
        "Awaiting",
    }
)


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, sort_keys=True).encode()).decode()


def _decode(cursor: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _err(400, "invalid.nextCursor", "nextCursor geçersiz") from None
    if not isinstance(state, dict) or not {"filters", "after"} <= set(state):
        raise _err(400, "invalid.nextCursor", "nextCursor geçersiz")
    return state


def stream(sb: TrendyolSandbox, request: Request) -> dict[str, Any]:
    q = request.query_params
    size = _int(q.get("size", DEFAULT_SIZE), "size")
    if not 1 <= size <= MAX_SIZE:
        raise _err(400, "invalid.size", f"size en fazla {MAX_SIZE} olabilir")
    raw = q.get("packageItemStatuses") or ""
    statuses = sorted({s.strip() for s in raw.split(",") if s.strip()})
    unknown = [s for s in statuses if s not in ITEM_STATUSES]
    if unknown:
        raise _err(
            400,
            "invalid.packageItemStatuses",
            f"Geçersiz statü: {', '.join(unknown)}; geçerli: {', '.join(sorted(ITEM_STATUSES))}",
        )
    start_given = (
        _int(q["lastModifiedStartDate"], "lastModifiedStartDate")
        if q.get("lastModifiedStartDate")
        else None
    )
    end_given = (
        _int(q["lastModifiedEndDate"], "lastModifiedEndDate")
        if q.get("lastModifiedEndDate")
        else None
    )
    given: dict[str, Any] = {"start": start_given, "end": end_given, "statuses": statuses}
    cursor = q.get("nextCursor")
    if cursor:
        state = _decode(cursor)
        if state["filters"]["given"] != given:
            raise _err(400, "cursor.filter.mismatch", "nextCursor ile filtreler uyuşmuyor")
        filters = state["filters"]
        after: list[int] | None = state["after"]
    else:
        now = sb.now_ms()
        end = end_given if end_given is not None else now
        start = (
            start_given
            if start_given is not None
            else end - int(DEFAULT_WINDOW / timedelta(milliseconds=1))
        )
        if start > end or end - start > MAX_WINDOW_MS:
            raise _err(400, "invalid.date.range", "Tarih aralığı en fazla 14 gün olabilir")
        if start < now - HISTORY_MS:
            raise _err(400, "invalid.date.range", "En fazla son 3 ay sorgulanabilir")
        filters = {"given": given, "start": start, "end": end}
        after = None
    wanted = set(statuses)
    items = [
        pkg
        for pkg in sb.packages.values()
        if filters["start"] <= pkg["lastModifiedDate"] <= filters["end"]
        and (
            not wanted
            or any(line.get("orderLineItemStatusName") in wanted for line in pkg["lines"])
            or pkg["status"] in wanted
        )
    ]
    items.sort(key=lambda p: (p["lastModifiedDate"], p["shipmentPackageId"]), reverse=True)
    if after is not None:
        mark = tuple(after)
        items = [p for p in items if (p["lastModifiedDate"], p["shipmentPackageId"]) < mark]
    content, more = items[:size], len(items) > size
    last = content[-1] if content else None
    next_cursor = (
        _encode(
            {"filters": filters, "after": [last["lastModifiedDate"], last["shipmentPackageId"]]}
        )
        if more and last is not None
        else ""
    )
    return {
        "content": copy.deepcopy(content),
        "size": len(content),
        "hasMore": more,
        "nextCursor": next_cursor,
    }


def add_routes(sb: TrendyolSandbox, app: FastAPI) -> None:
    @app.get(
        "/integration/order/sellers/{sellerId}/orders/stream",
        dependencies=[Depends(sb.guard("GET orders/stream"))],
    )
    async def get_stream(request: Request) -> dict[str, Any]:
        return stream(sb, request)
