"""Product cards: listings meet by barcode, operators merge and split (audited), ERP cards match
stock codes exactly, and an order's reservation follows its card through a merge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from kervan import ConnectorContext, ConnectorSettings, ErpSink, OrderSource, RecordProblem
from kervan.catalog import Catalog, push
from kervan.domain import (
    Listing,
    ProductCard,
    StockUpdate,
    StockUpdateResult,
    Tenant,
    TenantSettings,
)
from kervan.engine import Engine
from kervan.engine.change import Movement
from kervan.engine.records import BARCODE, LISTING, STOCK, STOCK_DUE, sortable
from kervan.engine.stock import apply_movements, figures
from kervan.errors import CatalogConflictError, InvalidInputError, NotFoundError
from kervan.problems import RecordKind
from kervan.store import Query, open_store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Shop(OrderSource):
    key = "shop"
    display_name = "Shop"

    def __init__(self, cid: str, listings: list[Listing | RecordProblem]) -> None:
        super().__init__(ConnectorSettings(), ConnectorContext(tenant_id="t1", connection_id=cid))
        self.items = listings

    async def fetch_orders(self, since: datetime, until: datetime | None = None) -> Any:
        return
        yield

    async def _listings(self) -> AsyncIterator[Listing | RecordProblem]:
        for item in self.items:
            yield item

    def fetch_listings(self) -> AsyncIterator[Listing | RecordProblem]:
        return self._listings()


class Erp(ErpSink):
    key = "erp"
    display_name = "ERP"

    def __init__(self, cards: list[ProductCard]) -> None:
        super().__init__(ConnectorSettings(), ConnectorContext(tenant_id="t1", connection_id="erp"))
        self.cards = cards

    async def _cards(self) -> AsyncIterator[ProductCard]:
        for card in self.cards:
            yield card

    def pull_products(self) -> AsyncIterator[ProductCard]:
        return self._cards()


class Provider:
    def __init__(self) -> None:
        self.conns: dict[str, Any] = {}

    def get(self, tenant_id: str, connection_id: str) -> Any:
        if connection_id not in self.conns:
            raise NotFoundError(f"connection {connection_id} not found")
        return self.conns[connection_id]


class Tenants:
    def __init__(self) -> None:
        self.tenant = Tenant(id="t1", name="Seller", settings=TenantSettings())

    def get(self, tenant_id: str) -> Tenant:
        return self.tenant


def listing(cid: str, barcode: str, sku: str, qty: int = 5, title: str = "Havlu") -> Listing:
    return Listing(
        id=f"{cid}:{barcode}",
        tenant_id="t1",
        connection_id=cid,
        barcode=barcode,
        sku=sku,
        title=title,
        quantity=qty,
        sale_price=Decimal("99.90"),
    )


@pytest.fixture
def world(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/k.db")
    provider = Provider()
    engine = Engine(store=store, connectors=provider, tenants=Tenants(), clock=lambda: T0)
    yield Catalog(engine), provider, store.tenant("t1")
    store.close()


async def test_the_same_barcode_on_two_channels_is_one_card_and_the_second_gets_its_figure(world):
    catalog, provider, ts = world
    provider.conns["a"] = Shop("a", [listing("a", "8690001", "HAV-1", qty=6)])
    provider.conns["b"] = Shop("b", [listing("b", "8690001", "HV1", qty=2)])
    first = await catalog.import_listings("t1", "a")
    second = await catalog.import_listings("t1", "b")
    assert len(first.new_cards) == 1 and second.attached == ["b:8690001"]
    pid = first.new_cards[0]
    view = catalog.card("t1", pid)
    # the card opened at the first channel's figure; the second channel is due that figure
    assert view["stock"]["on_hand"] == 6 and len(view["listings"]) == 2
    assert ts.get(STOCK_DUE, pid) is not None
    # importing again changes nothing but the remote's last-seen data
    again = await catalog.import_listings("t1", "a")
    assert again.updated == 1 and not again.new_cards
    assert catalog.card("t1", pid)["stock"]["on_hand"] == 6


async def test_a_broken_listing_is_quarantined_and_the_rest_import(world):
    catalog, provider, _ts = world
    bad = RecordProblem(kind=RecordKind.LISTING, remote_id="x1", reason="no barcode", raw={})
    provider.conns["a"] = Shop("a", [bad, listing("a", "8690002", "HAV-2")])
    report = await catalog.import_listings("t1", "a")
    assert report.problems == 1 and len(report.new_cards) == 1


async def test_merge_moves_barcodes_listings_and_reservations_and_is_audited(world):
    catalog, provider, ts = world
    provider.conns["a"] = Shop("a", [listing("a", "111", "HAV-3", qty=4)])
    provider.conns["b"] = Shop("b", [listing("b", "222", "HAV-3", qty=4)])
    target = (await catalog.import_listings("t1", "a")).new_cards[0]
    source = (await catalog.import_listings("t1", "b")).new_cards[0]
    assert catalog.merge_candidates("t1") == [
        {"stock_code": "HAV-3", "cards": sorted([target, source])}
    ]
    # an order reserved 3 units under the source card before the merge
    with ts.transaction() as tx:
        apply_movements(tx, [Movement(source, "reserve", reserved=3, must_fit=True, ref="o1")], T0)
    card = catalog.merge("t1", target, [source], actor="op", stock="keep", reason="same towel")
    assert sorted(card.barcodes) == ["111", "222"]
    assert ts.get(BARCODE, "222").body["product_id"] == target
    assert ts.get(LISTING, "b:222").body["product_id"] == target
    held = figures(ts.get(STOCK, target).body)
    assert held.on_hand == 4 and held.reserved == 3  # keep: the same units, counted once
    assert figures(ts.get(STOCK, source).body).on_hand == 0
    # the order's later pickup, written against the source card, lands on the target
    with ts.transaction() as tx:
        apply_movements(tx, [Movement(source, "pickup", on_hand=-3, reserved=-3, ref="o1")], T0)
    held = figures(ts.get(STOCK, target).body)
    assert held.on_hand == 1 and held.reserved == 0
    trail = catalog.audit_trail("t1", target)
    assert [e["action"] for e in trail][-1] == "merged"
    assert trail[-1]["actor"] == "op" and trail[-1]["detail"]["reason"] == "same towel"
    with pytest.raises(CatalogConflictError):
        catalog.merge("t1", target, [source], actor="op")
    with pytest.raises(InvalidInputError):
        catalog.merge("t1", target, [target], actor="op")


async def test_merge_with_sum_adds_the_sources_units(world):
    catalog, provider, _ = world
    provider.conns["a"] = Shop("a", [listing("a", "311", "HAV-4", qty=4)])
    provider.conns["b"] = Shop("b", [listing("b", "322", "HAV-4B", qty=5)])
    target = (await catalog.import_listings("t1", "a")).new_cards[0]
    source = (await catalog.import_listings("t1", "b")).new_cards[0]
    catalog.merge("t1", target, [source], actor="op", stock="sum")
    assert catalog.stock("t1", target)["on_hand"] == 9


async def test_split_takes_barcodes_and_listings_onto_a_new_card(world):
    catalog, provider, ts = world
    provider.conns["a"] = Shop("a", [listing("a", "411", "HAV-5", qty=10)])
    provider.conns["b"] = Shop("b", [listing("b", "422", "HAV-5X", qty=1)])
    target = (await catalog.import_listings("t1", "a")).new_cards[0]
    source = (await catalog.import_listings("t1", "b")).new_cards[0]
    catalog.merge("t1", target, [source], actor="op")
    new = catalog.split(
        "t1", target, ["422"], sku="HAV-5X", actor="op", on_hand=3, reason="not the same"
    )
    assert new.barcodes == ["422"] and ts.get(LISTING, "b:422").body["product_id"] == new.id
    assert (
        catalog.stock("t1", target)["on_hand"] == 7 and catalog.stock("t1", new.id)["on_hand"] == 3
    )
    assert catalog.audit_trail("t1", target)[-1]["action"] == "split"
    with pytest.raises(InvalidInputError, match="at least one barcode"):
        catalog.split("t1", target, ["411"], sku="X", actor="op")
    with pytest.raises(InvalidInputError, match="no barcode"):
        catalog.split("t1", target, ["999"], sku="X", actor="op")


def erp_card(
    sku: str, barcode: str, name: str, on_hand: dict[str, int] | None = None
) -> ProductCard:
    return ProductCard(
        id="",
        tenant_id="t1",
        sku=sku,
        name=name,
        barcodes=[barcode],
        erp_price=Decimal("120.00"),
        erp_on_hand=on_hand,
    )


async def test_erp_cards_match_stock_codes_exactly_and_a_renamed_code_is_a_new_record(world):
    catalog, provider, _ts = world
    provider.conns["erp"] = Erp([erp_card("ABC-1", "501", "Nevresim", {"main": 7, "depo-2": 2})])
    assert await catalog.pull_erp("t1", "erp") == {"created": 1}
    pid = catalog.by_stock_code("t1", "ABC-1")[0].key
    assert catalog.stock("t1", pid)["on_hand"] == 9
    assert catalog.stock("t1", pid)["warehouses"] == {"main": 7, "depo-2": 2}
    # the same code: an update (the ERP's figure is a movement of the difference)
    provider.conns["erp"] = Erp([erp_card("ABC-1", "501", "Nevresim Takımı", {"main": 5})])
    assert await catalog.pull_erp("t1", "erp") == {"updated": 1}
    assert catalog.stock("t1", pid)["on_hand"] == 7
    moves = catalog.movements("t1", pid)
    assert {m["reason"] for m in moves} == {"erp_sync"}
    # names from the ERP only with the tenant's 'update product names' switch on
    assert catalog.card("t1", pid)["card"]["name"] == "Nevresim"
    catalog.engine.tenants.tenant.settings.erp_updates_names = True
    await catalog.pull_erp("t1", "erp")
    assert catalog.card("t1", pid)["card"]["name"] == "Nevresim Takımı"
    # a code the ERP renamed ('abc-1') is a new record, never a rename; its barcode is
    # another card's, so it is a conflict for an operator and nothing moves
    provider.conns["erp"] = Erp([erp_card("abc-1", "501", "Nevresim")])
    assert await catalog.pull_erp("t1", "erp") == {"conflict": 1}
    assert catalog.by_stock_code("t1", "abc-1") == []
    assert catalog.audit_trail("t1", pid)[-1]["action"] == "erp_conflict"
    provider.conns["erp"] = Erp([erp_card("abc-1", "502", "Nevresim")])
    assert await catalog.pull_erp("t1", "erp") == {"created": 1}
    assert len(catalog.by_stock_code("t1", "abc-1")) == 1


async def test_counts_never_go_negative_and_name_their_reason(world):
    catalog, provider, ts = world
    provider.conns["a"] = Shop("a", [listing("a", "611", "HAV-6", qty=3)])
    pid = (await catalog.import_listings("t1", "a")).new_cards[0]
    with pytest.raises(InvalidInputError):
        catalog.count("t1", pid, -1, actor="x")
    catalog.count("t1", pid, 8, actor="ali", warehouse="depo-2")
    stock = catalog.stock("t1", pid)
    assert stock["warehouses"] == {"main": 3, "depo-2": 8} and stock["on_hand"] == 11
    reasons = [m["reason"] for m in catalog.movements("t1", pid)]
    assert sorted(reasons) == ["count", "import"]
    catalog.set_safety("t1", pid, 4, actor="planner")
    assert catalog.stock("t1", pid)["available"] == 7
    assert ts.count(Query(STOCK_DUE, {})) == 1


async def test_a_channel_without_a_stock_api_is_left_alone_not_failed_forever(world):
    catalog, provider, ts = world
    provider.conns["a"] = Shop("a", [listing("a", "711", "HAV-7", qty=3)])
    pid = (await catalog.import_listings("t1", "a")).new_cards[0]
    catalog.count("t1", pid, 9, actor="ali")
    report = await catalog.push("t1")
    assert report.sent == 0 and report.failed == 0
    assert ts.count(Query(STOCK_DUE, {})) == 0
    assert ts.get(LISTING, "a:711").body["failures"] == 0


class PushingShop(Shop):
    """A shop that takes stock pushes and shows what it was sent."""

    def __init__(self, cid: str, listings: list[Listing | RecordProblem]) -> None:
        super().__init__(cid, listings)
        self.calls = 0

    async def push_stock(self, updates: list[StockUpdate]) -> list[StockUpdateResult]:
        self.calls += 1
        await asyncio.sleep(0)  # a remote call: other work may run meanwhile
        out = []
        for u in updates:
            self.items = [
                i.model_copy(update={"quantity": u.quantity})
                if isinstance(i, Listing) and i.barcode == u.barcode
                else i
                for i in self.items
            ]
            out.append(StockUpdateResult(barcode=u.barcode, ok=True))
        return out


async def test_a_figure_changed_at_the_channel_is_put_right_after_the_next_import(world):
    catalog, provider, _ = world
    shop = provider.conns["a"] = PushingShop("a", [listing("a", "811", "HAV-8", qty=5)])
    pid = (await catalog.import_listings("t1", "a")).new_cards[0]
    assert (await catalog.push("t1")).sent == 0  # the shop shows the card's figure already
    # someone sets 40 on the shop's own panel; the next import sees it and puts it right
    shop.items = [listing("a", "811", "HAV-8", qty=40)]
    await catalog.import_listings("t1", "a")
    report = await catalog.push("t1")
    assert report.sent == 1 and shop.items[0].quantity == 5
    assert catalog.stock("t1", pid)["on_hand"] == 5


async def test_one_push_run_at_a_time_per_tenant(world):
    catalog, provider, _ = world
    shop = provider.conns["a"] = PushingShop("a", [listing("a", "911", "HAV-9", qty=5)])
    pid = (await catalog.import_listings("t1", "a")).new_cards[0]
    catalog.count("t1", pid, 2, actor="ali")
    first, second = await asyncio.gather(catalog.push("t1"), catalog.push("t1"))
    assert sorted([first.busy, second.busy]) == [False, True]
    assert shop.calls == 1 and shop.items[0].quantity == 2
    # the lease is given back: the next run works
    catalog.count("t1", pid, 3, actor="ali")
    assert (await catalog.push("t1")).sent == 1


class SlowShop(PushingShop):
    """A shop whose push answers only when the test lets it (Trendyol's batch results can
    take minutes to come)."""

    def __init__(self, cid: str, listings: list[Listing | RecordProblem]) -> None:
        super().__init__(cid, listings)
        self.answer = asyncio.Event()
        self.asked = asyncio.Event()

    async def push_stock(self, updates: list[StockUpdate]) -> list[StockUpdateResult]:
        self.asked.set()
        await self.answer.wait()
        return await super().push_stock(updates)


@pytest.fixture
def timed_world(tmp_path):
    """``world`` on a clock the test moves: ``now[0]``."""
    store = open_store(f"sqlite:///{tmp_path}/k.db")
    provider = Provider()
    now = [T0]
    engine = Engine(store=store, connectors=provider, tenants=Tenants(), clock=lambda: now[0])
    yield Catalog(engine), provider, store.tenant("t1"), now
    store.close()


async def test_a_run_waiting_past_its_lease_renews_it_and_a_second_run_stays_out(
    timed_world, monkeypatch
):
    """A run kept waiting longer than LEASE_FOR keeps the lease (renewed while it waits), so
    a second run does not send the same figures again; once the first ends, pushes go on."""
    monkeypatch.setattr(push, "RENEW_EVERY_S", 0.02)
    catalog, provider, ts, now = timed_world
    shop = provider.conns["a"] = SlowShop("a", [listing("a", "921", "HAV-92", qty=5)])
    pid = (await catalog.import_listings("t1", "a")).new_cards[0]
    catalog.count("t1", pid, 2, actor="ali")
    first = asyncio.create_task(catalog.push("t1"))
    await asyncio.wait_for(shop.asked.wait(), 5)
    now[0] = T0 + push.LEASE_FOR + timedelta(minutes=1)  # the first run is still waiting
    lease = ts.get(push.LEASE, push.PUSH_LEASE)
    assert lease is not None
    for _ in range(200):  # renewed to the moved clock within a few turns
        await asyncio.sleep(0.01)
        lease = ts.get(push.LEASE, push.PUSH_LEASE)
        assert lease is not None
        if lease.body["until"] > sortable(now[0]):
            break
    assert lease.body["until"] == sortable(now[0] + push.LEASE_FOR)
    assert (await catalog.push("t1")).busy  # the second run stays out
    assert shop.calls == 0
    shop.answer.set()
    report = await asyncio.wait_for(first, 5)
    assert not report.busy and report.sent == 1 and shop.calls == 1
    assert ts.get(push.LEASE, push.PUSH_LEASE) is None  # given back, renewal stopped
    catalog.count("t1", pid, 3, actor="ali")
    assert (await catalog.push("t1")).sent == 1


async def test_a_dead_runs_lease_holds_pushes_back_only_until_it_runs_out(timed_world):
    catalog, provider, ts, now = timed_world
    shop = provider.conns["a"] = PushingShop("a", [listing("a", "931", "HAV-93", qty=5)])
    pid = (await catalog.import_listings("t1", "a")).new_cards[0]
    catalog.count("t1", pid, 2, actor="ali")
    # a run that was killed: its lease is left, and nothing renews it
    ts.upsert(
        push.LEASE, push.PUSH_LEASE, {"owner": "dead", "until": sortable(T0 + push.LEASE_FOR)}
    )
    assert (await catalog.push("t1")).busy and shop.calls == 0
    now[0] = T0 + push.LEASE_FOR
    report = await catalog.push("t1")
    assert not report.busy and report.sent == 1 and shop.items[0].quantity == 2


async def test_listings_of_a_deleted_or_disabled_connection_do_not_stop_the_others(world):
    catalog, provider, ts = world
    shop = provider.conns["a"] = PushingShop("a", [listing("a", "1011", "HAV-10", qty=5)])
    pid = (await catalog.import_listings("t1", "a")).new_cards[0]
    ts.upsert(
        LISTING,
        "gone:1011",
        {"connection_id": "gone", "barcode": "1011", "product_id": pid, "failures": 0},
    )
    provider.conns["off"] = PushingShop("off", [])
    ts.upsert("connection", "off", {"id": "off", "enabled": False})
    ts.upsert(
        LISTING,
        "off:1011",
        {"connection_id": "off", "barcode": "1011", "product_id": pid, "failures": 0},
    )
    catalog.count("t1", pid, 2, actor="ali")
    report = await catalog.push("t1")
    assert report.sent == 1 and report.by_channel == {"a": 1} and shop.items[0].quantity == 2
    assert provider.conns["off"].calls == 0
    assert ts.count(Query(STOCK_DUE, {})) == 0


def test_a_barcode_taken_off_a_card_no_longer_names_it(world):
    catalog, _, ts = world
    card = ProductCard(id="p9", tenant_id="t1", sku="S9", name="Çarşaf", barcodes=["a9", "b9"])
    catalog.save_card("t1", card, actor="op")
    catalog.save_card("t1", card.model_copy(update={"barcodes": ["a9"]}), actor="op")
    assert ts.get(BARCODE, "b9") is None and ts.get(BARCODE, "a9").body["product_id"] == "p9"
    assert len([e for e in catalog.audit_trail("t1", "p9") if e["action"] == "saved"]) == 2
