"""The floor over one store: rules, pick lists, the station, reports, ship-by warnings.

Built from a runtime's store and tenant directory (``Floor(runtime.store, runtime.engine.tenants)``);
everything is scoped to the tenant named. Times default to now (UTC); tests pass their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..engine.records import ORDER, OrderRecord, sortable
from ..errors import NotFoundError
from ..store.port import Query, Store, TenantStore
from . import intake, picking, reports, station
from .cards import cards_by_barcode
from .facts import AT_RISK_WITHIN, order_facts
from .records import FLOOR_ORDER, ON_TABLE, PICK_LIST, QUEUED, RULES, RULES_KEY
from .rules import Conflict, DryRunRow, RuleSet, conflicts, dry_run

if TYPE_CHECKING:
    from ..engine.context import TenantDirectory


def _now() -> datetime:
    return datetime.now(UTC)


class Floor:
    def __init__(self, store: Store, tenants: TenantDirectory | None = None) -> None:
        self.store, self.tenants = store, tenants

    def ts(self, tenant_id: str) -> TenantStore:
        return self.store.tenant(tenant_id)

    # -- rules ---------------------------------------------------------------------------

    def rules(self, tenant_id: str) -> RuleSet:
        doc = self.ts(tenant_id).get(RULES, RULES_KEY)
        return RuleSet.model_validate(doc.body) if doc else RuleSet()

    def save_rules(self, tenant_id: str, rules: RuleSet) -> list[Conflict]:
        """Save the rule set (it is saved whatever it overlaps) and report its conflicts."""
        self.ts(tenant_id).upsert(RULES, RULES_KEY, rules.model_dump(mode="json"))
        return conflicts(rules)

    def dry_run(
        self, tenant_id: str, rules: RuleSet, days: int, now: datetime | None = None
    ) -> list[DryRunRow]:
        """What ``rules`` would have done to the orders placed in the last ``days`` days."""
        now = now or _now()
        ts = self.ts(tenant_id)
        span = ("ordered_at", sortable(now - timedelta(days=days)), sortable(now))
        recs = [OrderRecord.from_body(d.body) for d in ts.iter_query(Query(ORDER, range=span))]
        cards = cards_by_barcode(ts, [ln.barcode for r in recs for ln in r.order.lines])
        return dry_run(rules, [order_facts(r, cards) for r in recs], now)

    # -- picking -------------------------------------------------------------------------

    def refresh(self, tenant_id: str) -> int:
        return intake.refresh(self.ts(tenant_id))

    def make_pick_lists(
        self, tenant_id: str, now: datetime | None = None
    ) -> list[picking.PickList]:
        self.refresh(tenant_id)
        return picking.make_lists(self.ts(tenant_id), self.rules(tenant_id), now or _now())

    def pick_lists(self, tenant_id: str, user_id: str | None = None) -> list[picking.PickList]:
        """Every list (``user_id`` None) or the lists whose picker or group holds the user."""
        rules = self.rules(tenant_id)
        docs = self.ts(tenant_id).iter_query(Query(PICK_LIST, order_by="created_at"))
        out = [picking.PickList.model_validate(d.body) for d in docs]
        if user_id is None:
            return out
        return [p for p in out if user_id in rules.members(p.target)]

    def pick_list(
        self, tenant_id: str, list_id: str, user_id: str | None = None
    ) -> picking.PickList:
        found = picking.get_list(self.ts(tenant_id), list_id)
        if user_id is not None and user_id not in self.rules(tenant_id).members(found.target):
            raise NotFoundError(f"pick list {list_id!r} not found")
        return found

    # -- packing -------------------------------------------------------------------------

    def scan(
        self,
        tenant_id: str,
        req: station.PackScan,
        packer: str,
        now: datetime | None = None,
        photo_blob: str | None = None,
    ) -> station.ScanResult:
        alone = []
        if self.tenants is not None:
            alone = self.tenants.get(tenant_id).settings.split_rules.ship_alone_skus
        return station.scan(
            self.ts(tenant_id),
            req,
            packer=packer,
            now=now or _now(),
            ship_alone_skus=alone,
            photo_blob=photo_blob,
        )

    def slots(self, tenant_id: str, station_id: str) -> list[dict[str, Any]]:
        docs = self.ts(tenant_id).query(
            Query(FLOOR_ORDER, where={"status": ON_TABLE, "station": station_id})
        )
        return sorted(
            (
                {
                    "slot": d.body["slot"],
                    "order_id": d.key,
                    "order_number": d.body["order_number"],
                    "remaining": sum(
                        max(n - d.body["scanned"].get(b, 0), 0) for b, n in d.body["need"].items()
                    ),
                    "packer": d.body["packer"],
                    "cancelled": station.order_cancelled(self.ts(tenant_id), d.key),
                }
                for d in docs
            ),
            key=lambda r: r["slot"],
        )

    def label_printed(self, tenant_id: str, order_id: str, now: datetime | None = None) -> None:
        """Note the first label fetch (scan-to-label time in the staff reports)."""
        stamp = sortable(now or _now())
        ts = self.ts(tenant_id)
        if ts.get(FLOOR_ORDER, order_id) is None:
            return
        ts.update(
            FLOOR_ORDER,
            order_id,
            lambda b: None if b.get("label_printed_at") else {**b, "label_printed_at": stamp},
        )

    def floor_order(self, tenant_id: str, order_id: str) -> dict[str, Any] | None:
        doc = self.ts(tenant_id).get(FLOOR_ORDER, order_id)
        return doc.body if doc else None

    # -- warnings and reports ------------------------------------------------------------

    def at_risk(self, tenant_id: str, now: datetime | None = None) -> list[dict[str, Any]]:
        """Orders on the floor, not packed, whose ship-by deadline is near or past."""
        now = now or _now()
        ts = self.ts(tenant_id)
        span = ("ship_by", "0", sortable(now + AT_RISK_WITHIN))
        out = []
        for d in ts.iter_query(Query(FLOOR_ORDER, range=span, order_by="ship_by")):
            if d.body["status"] not in (QUEUED, ON_TABLE):
                continue
            out.append(
                {
                    "order_id": d.key,
                    "order_number": d.body["order_number"],
                    "ship_by": d.body["ship_by"],
                    "overdue": d.body["ship_by"] < sortable(now),
                    "status": d.body["status"],
                    "on_pick_list": bool(d.body.get("pick_list")),
                }
            )
        return out

    def staff_report(
        self,
        tenant_id: str,
        since: datetime,
        until: datetime,
        returns: dict[str, dict[str, int]] | None = None,
    ) -> dict[str, Any]:
        return reports.staff_report(self.ts(tenant_id), since, until, returns)
