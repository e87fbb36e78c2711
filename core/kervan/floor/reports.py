"""Staff reports for pickers and packers, adjusted for the order mix (issue 22).

Per person over ``[since, until)``:

- **active hours**: the gaps between a person's consecutive scans, each capped at
  :data:`IDLE_CAP` (a break is not work), plus one cap's worth for the first scan of each run;
- **orders, lines, items** packed (the scan that completes an order counts it) or picked
  (units confirmed), and each **per active hour**;
- **short picks** (units) and **wrong scans** (wrong item, over-scan, over-pick);
- **scan to label**: the median seconds from the scan that completed an order to the station
  fetching its label (the label endpoint notes the first fetch).

**Mix adjustment.** A packer's time per order is the gap from their previous completing scan
(capped as above; the first of a run is not timed). Over every timed order of everyone in the
window, least squares fits ``time = a + b × lines`` (a per-order cost and a per-line cost; both
kept ≥ 0; fewer than two distinct line counts fits ``a`` alone, the mean). A packer's
**performance** is Σ expected time / Σ actual time over their timed orders: 1.0 is the floor's
average pace for that mix, so packing twelve-line orders at the usual speed per line scores
the same as packing single-item orders at the usual speed. Pickers get the same with units
per confirming scan in place of lines.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from ..engine.records import sortable
from ..store.port import Query, TenantStore
from .records import FLOOR_ORDER, PACK_SCAN, PICK_LIST, PICK_SCAN

IDLE_CAP = timedelta(minutes=10)
WRONG = frozenset({"wrong_item", "over_scan", "over_pick"})


def fit(samples: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares ``(a, b)`` for ``t = a + b·x`` over ``(x, t)``, both clamped at ≥ 0."""
    if not samples:
        return 0.0, 0.0
    n = len(samples)
    mx = sum(x for x, _ in samples) / n
    mt = sum(t for _, t in samples) / n
    sxx = sum((x - mx) ** 2 for x, _ in samples)
    if sxx == 0:
        return mt, 0.0
    b = max(sum((x - mx) * (t - mt) for x, t in samples) / sxx, 0.0)
    a = mt - b * mx
    if a < 0:  # through the origin instead
        b = sum(x * t for x, t in samples) / max(sum(x * x for x, _ in samples), 1e-9)
        a = 0.0
    return a, b


@dataclass
class _Person:
    role: str
    stamps: list[datetime] = field(default_factory=list)
    orders: int = 0
    lines: int = 0
    items: int = 0
    wrong: int = 0
    short: int = 0
    timed: list[tuple[float, float]] = field(default_factory=list)
    to_label: list[float] = field(default_factory=list)


def _active(stamps: list[datetime]) -> float:
    if not stamps:
        return 0.0
    stamps = sorted(stamps)
    cap = IDLE_CAP.total_seconds()
    total = cap
    for a, b in itertools.pairwise(stamps):
        total += min((b - a).total_seconds(), cap)
    return total


def staff_report(
    ts: TenantStore,
    since: datetime,
    until: datetime,
    returns: dict[str, dict[str, int]] | None = None,
) -> dict[str, Any]:
    """Per person: figures, rates and the mix-adjusted performance; plus the fitted costs."""
    span = ("at", sortable(since), sortable(until))
    people: dict[str, _Person] = {}
    packs = sorted(
        (d.body for d in ts.iter_query(Query(PACK_SCAN, range=span))), key=lambda b: b["at"]
    )
    last_done: dict[str, datetime] = {}
    cap = IDLE_CAP.total_seconds()
    done_orders: list[tuple[str, datetime]] = []
    for body in packs:
        who = people.setdefault(body["packer"], _Person("packer"))
        at = _parse(body["at"])
        who.stamps.append(at)
        if body["outcome"] in WRONG or body["outcome"] == "cancelled":
            who.wrong += body["outcome"] in WRONG
            continue
        if body.get("packed"):
            who.orders += 1
            who.lines += body.get("lines", 0)
            who.items += body.get("items", 0)
            prev = last_done.get(body["packer"])
            gap = (at - prev).total_seconds() if prev else None
            if gap is not None and gap <= cap:
                who.timed.append((float(body.get("lines", 1)), gap))
            last_done[body["packer"]] = at
            done_orders.append((body["order_id"], at))
    _label_times(ts, people, packs, done_orders)
    picks = sorted(
        (d.body for d in ts.iter_query(Query(PICK_SCAN, range=span))), key=lambda b: b["at"]
    )
    last_pick: dict[str, datetime] = {}
    for body in picks:
        who = people.setdefault(body["picker"], _Person("picker"))
        at = _parse(body["at"])
        who.stamps.append(at)
        if body["outcome"] in WRONG:
            who.wrong += 1
        elif body["outcome"] == "short":
            who.short += body["quantity"]
        else:
            who.items += body["quantity"]
            who.lines += 1
            prev = last_pick.get(body["picker"])
            if prev is not None and (at - prev).total_seconds() <= cap:
                who.timed.append((float(body["quantity"]), (at - prev).total_seconds()))
            last_pick[body["picker"]] = at
    costs = {
        role: fit([s for p in people.values() if p.role == role for s in p.timed])
        for role in ("packer", "picker")
    }
    rows = {}
    for name, p in sorted(people.items()):
        hours = _active(p.stamps) / 3600
        a, b = costs[p.role]
        expected = sum(a + b * x for x, _ in p.timed)
        actual = sum(t for _, t in p.timed)
        rows[name] = {
            "role": p.role,
            "active_hours": round(hours, 3),
            "orders": p.orders,
            "lines": p.lines,
            "items": p.items,
            "orders_per_hour": round(p.orders / hours, 2) if hours else 0.0,
            "lines_per_hour": round(p.lines / hours, 2) if hours else 0.0,
            "items_per_hour": round(p.items / hours, 2) if hours else 0.0,
            "short_picks": p.short,
            "wrong_scans": p.wrong,
            "scan_to_label_s": round(median(p.to_label), 1) if p.to_label else None,
            "performance": round(expected / actual, 3) if actual else None,
            "returns": (returns or {}).get(f"user:{name}", {}),
        }
    for actor, counts in (returns or {}).items():
        name = actor.removeprefix("user:")
        rows.setdefault(name, {"role": "returns", "returns": counts})
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "method": "performance = expected / actual time, expected = a + b x lines (packers) "
        "or units (pickers), fitted by least squares over everyone's timed work",
        "fitted": {
            role: {"per_order_s": round(a, 2), "per_unit_s": round(b, 2)}
            for role, (a, b) in costs.items()
        },
        "staff": rows,
    }


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _label_times(
    ts: TenantStore,
    people: dict[str, _Person],
    packs: list[dict[str, Any]],
    done: list[tuple[str, datetime]],
) -> None:
    ids = [o for o, _ in done]
    found = {}
    for i in range(0, len(ids), 500):
        found.update(ts.get_many(FLOOR_ORDER, ids[i : i + 500]))
    for order_id, at in done:
        doc = found.get(order_id)
        if doc is None or not doc.body.get("label_printed_at"):
            continue
        who = people.get(doc.body.get("packed_by") or "")
        if who is not None:
            who.to_label.append((_parse(doc.body["label_printed_at"]) - at).total_seconds())


def open_lists(ts: TenantStore) -> int:
    return ts.count(Query(PICK_LIST, where={"status": "open"}))
