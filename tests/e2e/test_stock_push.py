"""Catalog → Trendyol: 5,000 listings changed at once reach the sandbox in batches of at most
1,000, with no identical request repeated within 15 minutes, within the documented rate, and
every item's result read back onto its listing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from kervan import ConnectorContext
from kervan.catalog import Catalog, ChannelPolicy
from kervan.domain import Tenant, TenantSettings
from kervan.engine import Engine
from kervan.engine.records import LISTING, STOCK_DUE
from kervan.pricing import PricingRule
from kervan.store import Query, open_store
from kervan_sdk.http import RetryPolicy
from kervan_trendyol import Trendyol, TrendyolSettings
from kervan_trendyol.sandbox import TrendyolSandbox
from kervan_trendyol.sandbox.products_api import MAX_ITEMS, add_product

STOCK_PATH = "/products/price-and-inventory"


class Tenants:
    def __init__(self, **settings: Any) -> None:
        self.tenant = Tenant(id="t1", name="Seller", settings=TenantSettings(**settings))

    def get(self, tenant_id: str) -> Tenant:
        return self.tenant


class Recorded(httpx.AsyncBaseTransport):
    """The sandbox's transport, with every exchange noted: (sandbox time, method, path, status)."""

    def __init__(self, sb: TrendyolSandbox) -> None:
        self.inner, self.sb = sb.transport(), sb
        self.log: list[tuple[Any, str, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.log.append(
            (self.sb.clock.now(), request.method, request.url.path, response.status_code)
        )
        return response


class Channels:
    """Connection id → a Trendyol connector on its own sandbox (one store each)."""

    def __init__(self, sandboxes: dict[str, TrendyolSandbox]) -> None:
        self.sandboxes = sandboxes
        self.conns: dict[str, Trendyol] = {}
        self.transports: dict[str, Recorded] = {}
        for cid, sb in sandboxes.items():
            self.transports[cid] = Recorded(sb)
            ctx = ConnectorContext(
                tenant_id="t1",
                connection_id=cid,
                transport=self.transports[cid],
                clock=sb.clock.now,
                sleep=sb.clock.sleep,
            )
            conn = Trendyol(TrendyolSettings(**sb.demo_settings("http://trendyol.sandbox")), ctx)
            conn.client.retry = RetryPolicy(max_attempts=6, jitter=False)
            self.conns[cid] = conn

    def get(self, tenant_id: str, connection_id: str) -> Trendyol:
        return self.conns[connection_id]


def seeded(n: int, prefix: str = "869") -> TrendyolSandbox:
    sb = TrendyolSandbox(seed=7)
    for i in range(n):
        add_product(
            sb,
            barcode=f"{prefix}{i:010d}",
            stock_code=f"SKU-{i:05d}",
            title=f"Ürün {i}",
            sale_price=100.0 + i % 50,
            vat_rate=20,
            quantity=10,
        )
    return sb


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path}/kervan.db")
    yield s
    s.close()


async def test_5000_listings_changed_at_once_go_out_in_batches_and_read_back(store):
    sb = seeded(5000)
    log: list[tuple[Any, int]] = []
    orig = sb.batches

    class Batches(dict):  # type: ignore[type-arg]
        def __setitem__(self, key: str, value: Any) -> None:
            log.append((sb.clock.now(), len(value["items"])))
            dict.__setitem__(self, key, value)

    sb.batches = Batches(orig)
    channels = Channels({"ty": sb})
    engine = Engine(store=store, connectors=channels, tenants=Tenants(), clock=sb.clock.now)
    catalog = Catalog(engine)

    report = await catalog.import_listings("t1", "ty")
    assert report.as_dict()["new_cards"] == 5000 and report.problems == 0
    # a new card opens at the figure the channel shows: nothing to push yet
    first = await catalog.push("t1")
    assert first.sent == 0 and log == []

    # a stock take changes every card at once
    cards = catalog.cards("t1", limit=5000)
    counted = catalog.count_many("t1", {entry["card"]["id"]: 7 for entry in cards}, actor="counter")
    assert counted["counted"] == 5000
    assert catalog.due("t1") == 5000

    pushed = await catalog.push("t1")
    assert pushed.sent == 5000 and pushed.ok == 5000 and pushed.failed == 0
    assert len(log) == 5 and all(size <= MAX_ITEMS for _, size in log)
    for product in sb.products.values():
        assert product["variants"][0]["stock"]["quantity"] == 7
    # every listing read its item's result back, and the marks are gone
    listings = store.tenant("t1").query(Query(LISTING, {}))
    assert all(d.body["pushed"]["quantity"] == 7 and d.body["pushed"]["ok"] for d in listings)
    assert all(d.body["pushed"]["answer"] == ["accepted"] for d in listings)
    assert store.tenant("t1").count(Query(STOCK_DUE, {})) == 0

    # nothing moved: nothing is sent again (no identical request, let alone within 15 minutes)
    again = await catalog.push("t1")
    assert again.sent == 0 and len(log) == 5

    # within the documented rate (50 requests per 10 s per endpoint, apis.md 1.1): the
    # gateway never answered 429, and no 10-second window holds more than 50 stock calls
    exchanges = channels.transports["ty"].log
    assert exchanges and not any(status == 429 for *_, status in exchanges)
    stock_calls = [
        at for at, method, path, _ in exchanges if method == "POST" and path.endswith(STOCK_PATH)
    ]
    assert len(stock_calls) == 5
    assert all(
        sum(1 for t in stock_calls if start <= t < start + timedelta(seconds=10)) <= 50
        for start in stock_calls
    )


async def test_a_value_changed_and_changed_back_within_15_minutes_is_retried_not_lost(store):
    sb = seeded(3)
    channels = Channels({"ty": sb})
    engine = Engine(store=store, connectors=channels, tenants=Tenants(), clock=sb.clock.now)
    catalog = Catalog(engine)
    await catalog.import_listings("t1", "ty")
    pid = catalog.cards("t1")[0]["card"]["id"]
    barcode = catalog.card("t1", pid)["card"]["barcodes"][0]

    catalog.count("t1", pid, 4, actor="a")
    assert (await catalog.push("t1")).ok == 1
    catalog.count("t1", pid, 5, actor="a")
    assert (await catalog.push("t1")).ok == 1
    catalog.count("t1", pid, 4, actor="a")
    # the same request body as the first push: Trendyol refuses it within 15 minutes
    refused = await catalog.push("t1")
    assert refused.failed == 1
    view = catalog.explain("t1", f"ty:{barcode}")
    assert view["last_attempt"]["ok"] is False
    assert "15 minutes" in view["last_attempt"]["answer"][0]
    assert view["shown"]["quantity"] == 5 and view["now"]["quantity"] == 4
    assert sb.products[barcode]["variants"][0]["stock"]["quantity"] == 5

    # the mark waits (30 s, doubling) and goes out once Trendyol takes it again
    for _ in range(12):
        sb.clock.advance(120)
        await catalog.push("t1")
        if sb.products[barcode]["variants"][0]["stock"]["quantity"] == 4:
            break
    assert sb.products[barcode]["variants"][0]["stock"]["quantity"] == 4
    assert catalog.explain("t1", f"ty:{barcode}")["in_step"] is True


async def test_two_stores_different_barcodes_one_card_one_figure(store):
    a, b = seeded(1, prefix="869"), seeded(1, prefix="111")
    channels = Channels({"store-a": a, "store-b": b})
    engine = Engine(store=store, connectors=channels, tenants=Tenants(), clock=a.clock.now)
    catalog = Catalog(engine)
    await catalog.import_listings("t1", "store-a")
    await catalog.import_listings("t1", "store-b")
    # the same stock code under two barcodes: offered for a merge, never merged silently
    candidates = catalog.merge_candidates("t1")
    assert len(candidates) == 1 and len(candidates[0]["cards"]) == 2
    target, source = candidates[0]["cards"]
    card = catalog.merge("t1", target, [source], actor="op", reason="same item")
    assert sorted(card.barcodes) == ["1110000000000", "8690000000000"]
    assert catalog.audit_trail("t1", target)[-1]["action"] == "merged"
    catalog.count("t1", target, 3, actor="op")
    await catalog.push("t1")
    assert a.products["8690000000000"]["variants"][0]["stock"]["quantity"] == 3
    assert b.products["1110000000000"]["variants"][0]["stock"]["quantity"] == 3


async def test_buffer_cap_and_price_rule_reach_the_channel(store):
    sb = seeded(2)
    channels = Channels({"ty": sb})
    engine = Engine(store=store, connectors=channels, tenants=Tenants(), clock=sb.clock.now)
    catalog = Catalog(engine)
    await catalog.import_listings("t1", "ty")
    rule = PricingRule.model_validate(
        {"base": "sale", "percent": "10", "rounding": {"kind": "ending", "ending": "0.90"}}
    )
    catalog.set_policy("t1", "ty", ChannelPolicy(buffer=2, cap=5, pricing=rule))
    await catalog.push("t1")
    first = sb.products["8690000000000"]["variants"][0]
    assert first["stock"]["quantity"] == 5  # 10 − 2 = 8, capped at 5
    assert first["price"]["salePrice"] == 110.90  # 100 + 10 %, to .90

    engine.tenants.tenant.settings.push_prices = False  # type: ignore[attr-defined]
    catalog.set_policy(
        "t1", "ty", ChannelPolicy(buffer=2, cap=5, pricing=rule.model_copy(update={"percent": 50}))
    )
    catalog.count("t1", catalog.cards("t1")[0]["card"]["id"], 4, actor="a")
    await catalog.push("t1")
    # prices off: the rule changed, the price did not move; stock still did (4 − 2)
    assert first["price"]["salePrice"] == 110.90
    assert first["stock"]["quantity"] == 2
