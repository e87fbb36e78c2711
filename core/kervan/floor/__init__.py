"""The warehouse floor (issue 22): picking rules, pick lists, the packing station, staff
reports and ship-by warnings, on the engine's store. See docs/floor.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .picking import PickList, confirm
from .rules import Conflict, DryRunRow, PickRule, Range, RuleSet, conflicts, dry_run
from .service import Floor
from .station import PackScan, ScanResult

__all__ = [
    "Conflict",
    "DryRunRow",
    "Floor",
    "PackScan",
    "PickList",
    "PickRule",
    "Range",
    "RuleSet",
    "ScanResult",
    "conflicts",
    "demo_round",
    "dry_run",
]


def demo_round(runtime: Any, tenant_id: str, now: datetime | None = None) -> dict[str, Any]:
    """One picking round and one packing session over the tenant's booked orders, for
    ``kervan demo``: every list picked in full by ``demo-picker``, every unit scanned at
    station ``demo-1`` by ``demo-packer``. Returns the summary (lists, scans, orders packed,
    the staff report)."""
    from ..claims import Returns

    now = now or datetime.now(UTC)
    floor = Floor(runtime.store, runtime.engine.tenants)
    if not floor.rules(tenant_id).rules:
        floor.save_rules(
            tenant_id,
            RuleSet(
                rules=[PickRule(name="everything", group="pickers")],
                groups={"pickers": ["demo-picker"]},
            ),
        )
    lists = floor.make_pick_lists(tenant_id, now)
    ts = floor.ts(tenant_id)
    tick = iter(range(1, 10**6))
    for plist in lists:
        for line in plist.lines:
            at = now + timedelta(seconds=20 * next(tick))
            confirm(
                ts,
                plist.id,
                scan_id=f"demo-pick-{plist.id}-{line.barcode}",
                barcode=line.barcode,
                quantity=line.quantity,
                picker="demo-picker",
                now=at,
            )
    units = [(b, line.quantity) for p in lists for line in p.lines for b in [line.barcode]]
    outcomes: dict[str, int] = {}
    packed: list[str] = []
    n = 0
    for barcode, qty in units:
        for _ in range(qty):
            n += 1
            at = now + timedelta(seconds=20 * next(tick))
            got = floor.scan(
                tenant_id,
                PackScan(scan_id=f"demo-pack-{n}", barcode=barcode, station="demo-1"),
                "demo-packer",
                at,
            )
            outcomes[got.outcome] = outcomes.get(got.outcome, 0) + 1
            if got.outcome == "packed" and got.order_id:
                packed.append(got.order_id)
    until = now + timedelta(seconds=20 * next(tick))
    returns = Returns(runtime.engine).staff_activity(tenant_id, now - timedelta(days=1), until)
    return {
        "pick_lists": [
            {
                "id": p.id,
                "target": p.target,
                "lines": len(p.lines),
                "units": sum(x.quantity for x in p.lines),
            }
            for p in lists
        ],
        "scans": n,
        "outcomes": outcomes,
        "orders_packed": packed,
        "staff_report": floor.staff_report(tenant_id, now - timedelta(hours=1), until, returns),
    }
