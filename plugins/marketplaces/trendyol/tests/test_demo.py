"""How ``kervan demo`` uses the sandbox: scenario seeding and serving on loopback."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from kervan import ConnectorContext
from kervan.domain import ProductCard
from kervan_sdk.sandbox import WallClock
from kervan_trendyol import Trendyol, TrendyolSettings
from kervan_trendyol.sandbox import TrendyolSandbox
from kervan_trendyol.sandbox.seed import random_order


def scenario(sandbox: TrendyolSandbox) -> SimpleNamespace:
    """A duck-typed ``kervan.scenario.Scenario``."""
    now = sandbox.clock.now()
    orders = [
        random_order(sandbox.random, i, now, kind=k)
        for i, k in enumerate(["person", "company", "foreign", "person"])
    ]
    card = ProductCard(
        id="p1",
        tenant_id="t1",
        sku="KRV-1",
        name="Kupa",
        barcodes=["8690000000017"],
        sale_price=Decimal("99.90"),
        list_price=Decimal("120.00"),
        attributes={"Renk": "Mavi"},
    )
    return SimpleNamespace(
        orders=orders,
        cancelled_package_ids={orders[3].package_id},
        products=[card],
        stock={"p1": 42},
    )


async def test_demo_over_loopback_with_a_wall_clock():
    sandbox = TrendyolSandbox(clock=WallClock(), seed=4)
    sandbox.seed_scenario(scenario(sandbox))
    base_url = sandbox.serve()
    try:
        settings = TrendyolSettings.parse(sandbox.demo_settings(base_url))
        connector = Trendyol(settings, ConnectorContext(tenant_id="demo", connection_id="ty"))
        assert (await connector.check()).ok
        since = sandbox.clock.now() - timedelta(days=1)
        first = [o async for o in connector.fetch_orders(since)]
        assert len(first) == 4 and not any(o.source_cancelled for o in first)
        # the second poll makes the buyer cancel; the cancellation is stamped with the time
        # it happened, which a loaded machine can put after the end of that poll's window,
        # so a third poll is the first sure to list it (each poll ends its window at "now")
        [o async for o in connector.fetch_orders(since)]
        third = [o async for o in connector.fetch_orders(since)]
        assert [o.source_cancelled for o in third].count(True) == 1
        listings = [x async for x in connector.fetch_listings()]
        kupa = next(x for x in listings if x.barcode == "8690000000017")
        assert (kupa.sku, kupa.quantity, kupa.attributes["Renk"]) == ("KRV-1", 42, "Mavi")
        await connector.aclose()
    finally:
        sandbox.stop()
