"""Marketplace settlements in: each order's payout becomes an ``order.settled`` event.

The source's :meth:`~kervan.roles.OrderSource.fetch_settlements` is asked for a window that
always reaches :data:`LOOKBACK` back, because a marketplace fixes an order's payout days or
weeks after the sale it records (Trendyol: the payment order is made each Wednesday for what
falls due that week, https://developers.trendyol.com/docs/cari-hesap-ekstresi-entegrasyonu);
events are keyed by order and payout, so reading a settlement again writes nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING

from ..domain import TimelineEntry
from ..engine.records import ORDER, OUTBOX, OrderRecord
from ..errors import UnsupportedOperationError
from ..roles import OrderSource, Settlement
from ..store.port import Query, TenantStore
from .events import settled_event

if TYPE_CHECKING:
    from ..engine import Engine

#: how far back each settlement read reaches (payment terms are weeks, not months)
LOOKBACK = timedelta(days=45)


class SettlementIntake:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def settle(self, tenant_id: str, connection_id: str) -> Counter[str]:
        """Read ``connection_id``'s settlements and queue a payment closing per order."""
        ctx = self.engine.context(tenant_id, actor="erp")
        source = ctx.connector(connection_id, OrderSource, "order source")
        now = source.context.clock()  # the remote's time, as the order polls read it
        try:
            found = await source.fetch_settlements(now - LOOKBACK, now)
        except UnsupportedOperationError:
            return Counter(unsupported=1)
        return self.record_settlements(tenant_id, connection_id, found)

    def record_settlements(
        self, tenant_id: str, connection_id: str, settlements: list[Settlement]
    ) -> Counter[str]:
        """An ``order.settled`` event per settlement of a known order (``new``); one already
        queued is left as it is (``known``); one for an order Kervan never saw is counted
        (``unknown_order``) and left for a person (the seller's books have it, ours not)."""
        store = self.engine.store.tenant(tenant_id)
        now = self.engine.clock()
        counts: Counter[str] = Counter()
        for item in settlements:
            order_id = _order_for(store, connection_id, item)
            if order_id is None:
                counts["unknown_order"] += 1
                continue
            with store.transaction() as tx:
                doc = tx.get(ORDER, order_id)
                assert doc is not None  # just found
                rec = OrderRecord.from_body(doc.body)
                key, body = settled_event(order_id, rec.invoice_id, item, now)
                if tx.get(OUTBOX, key) is not None:
                    counts["known"] += 1
                    continue
                tx.upsert(OUTBOX, key, body)
                deducted = ", ".join(f"{k} {v}" for k, v in item.deductions.items())
                rec.log(
                    TimelineEntry(
                        at=now,
                        step="settlement",
                        outcome="info",
                        actor=connection_id,
                        message=f"settled: {item.amount} paid on {item.paid_on} "
                        f"(payout {item.reference})"
                        + (f", deducted {deducted}" if deducted else ""),
                    )
                )
                tx.replace(ORDER, order_id, rec.to_body())
                counts["new"] += 1
        return counts


def _order_for(store: TenantStore, connection_id: str, item: Settlement) -> str | None:
    """The order (package) a settlement is for: same connection and order number, and the
    same package when the settlement names one."""
    docs = store.query(Query(ORDER, {"order_number": item.order_number}))
    ours = [d for d in docs if d.body.get("connection_id") == connection_id]
    if item.package_id:
        match = [d for d in ours if str(d.body.get("package_id")) == item.package_id]
        ours = match or ours
    return ours[0].key if ours else None
