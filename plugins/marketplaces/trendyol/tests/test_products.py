"""Listings import and stock/price pushes: batches ≤ 1000, polling, per-item failures."""

from __future__ import annotations

import time
from decimal import Decimal

from kervan.domain import StockUpdate
from kervan_sdk.sandbox import Fault
from kervan_trendyol.sandbox import TrendyolSandbox
from kervan_trendyol.sandbox.products_api import add_product

from .conftest import make_connector


async def test_listings_carry_barcode_stock_code_title_and_attributes(sandbox, trendyol):
    listings = [listing async for listing in trendyol.fetch_listings()]
    assert {x.barcode for x in listings} == set(sandbox.products)
    listing = next(x for x in listings if x.barcode == "8690000123457")
    assert listing.sku == "KRV-KUP-010"
    assert listing.title == "Porselen Kupa 350 ml Lacivert"
    assert listing.attributes["Renk"]
    assert listing.quantity == 25 and listing.sale_price == Decimal("129.00")
    assert listing.id == "c1:8690000123457" and listing.connection_id == "c1"


async def test_listings_page_through_every_product():
    sandbox = TrendyolSandbox()
    for n in range(250):
        add_product(
            sandbox,
            barcode=f"869{n:010d}",
            stock_code=f"SKU-{n}",
            title=f"Ürün {n}",
            sale_price=10.0,
            vat_rate=20,
            quantity=n,
        )
    connector = make_connector(sandbox)
    listings = [x async for x in connector.fetch_listings()]
    assert len(listings) == 250 == len({x.barcode for x in listings})
    assert sandbox.count("GET", "*/products/approved") == 3
    await connector.aclose()


async def test_push_stock_reports_every_item_with_trendyol_failure_reasons(sandbox, trendyol):
    good, other = list(sandbox.products)[:2]
    results = await trendyol.push_stock(
        [
            StockUpdate(
                barcode=good, quantity=7, sale_price=Decimal("99.90"), list_price=Decimal("120.00")
            ),
            StockUpdate(
                barcode=other,
                quantity=3,
                sale_price=Decimal("500.00"),
                list_price=Decimal("400.00"),
            ),
            StockUpdate(barcode="0000000000000", quantity=1),
            StockUpdate(barcode=good, quantity=8),  # a later update of the same barcode wins
        ]
    )
    by = {r.barcode: r for r in results}
    assert len(results) == 3
    assert by[good].ok and by[good].errors == []
    assert not by[other].ok and "liste fiyatından" in by[other].errors[0]
    assert not by["0000000000000"].ok and by["0000000000000"].errors == ["Ürün bulunamadı"]
    assert sandbox.products[good]["variants"][0]["stock"]["quantity"] == 8


async def test_20000_item_stock_update_stays_within_batch_limits():
    sandbox = TrendyolSandbox()
    for n in range(20_000):
        barcode = f"868{n:010d}"
        sandbox.products[barcode] = {
            "variants": [
                {
                    "barcode": barcode,
                    "stock": {"quantity": 0},
                    "price": {"salePrice": 10.0, "listPrice": 12.0},
                }
            ]
        }
    connector = make_connector(sandbox)
    updates = [StockUpdate(barcode=b, quantity=i % 50) for i, b in enumerate(sandbox.products)]
    started = time.perf_counter()
    results = await connector.push_stock(updates)
    elapsed = time.perf_counter() - started
    assert len(results) == 20_000 and all(r.ok for r in results)
    posts = [r for r in sandbox.requests if r.method == "POST"]
    assert len(posts) == 20 and all(r.status == 200 for r in posts)
    assert all(len(b["items"]) <= 1000 for b in sandbox.batches.values())
    assert sum(len(b["items"]) for b in sandbox.batches.values()) == 20_000
    assert not any(r.status == 429 for r in sandbox.requests)
    assert sandbox.products["8680000019999"]["variants"][0]["stock"]["quantity"] == 19_999 % 50
    assert elapsed < 30


async def test_lost_answer_then_duplicate_refusal_is_reported_not_hidden(sandbox, trendyol):
    barcode = next(iter(sandbox.products))
    sandbox.faults.add(Fault("timeout", path="*/price-and-inventory"))
    (result,) = await trendyol.push_stock([StockUpdate(barcode=barcode, quantity=4)])
    # the first send was applied; the re-send was refused as identical within 15 minutes
    assert sandbox.products[barcode]["variants"][0]["stock"]["quantity"] == 4
    assert len(sandbox.batches) == 1
    assert result.ok is False and "15 minutes" in result.errors[0]
    sandbox.clock.advance(15 * 60)
    (again,) = await trendyol.push_stock([StockUpdate(barcode=barcode, quantity=4)])
    assert again.ok is True


async def test_batch_results_survive_a_5xx_on_the_poll(sandbox, trendyol):
    barcode = next(iter(sandbox.products))
    sandbox.faults.add(Fault("status", path="*/batch-requests/*", status=503, times=2))
    (result,) = await trendyol.push_stock([StockUpdate(barcode=barcode, quantity=11)])
    assert result.ok is True


async def test_a_batch_that_keeps_failing_is_reported_per_item_and_others_still_apply():
    sandbox = TrendyolSandbox()
    for n in range(1500):
        barcode = f"867{n:010d}"
        sandbox.products[barcode] = {
            "variants": [
                {
                    "barcode": barcode,
                    "stock": {"quantity": 0},
                    "price": {"salePrice": 1.0, "listPrice": 1.0},
                }
            ]
        }
    connector = make_connector(sandbox)
    # the first batch's POST fails on every one of the client's 6 attempts
    sandbox.faults.add(Fault("status", path="*/price-and-inventory", status=503, times=6))
    updates = [StockUpdate(barcode=b, quantity=3) for b in sandbox.products]
    results = await connector.push_stock(updates)
    assert len(results) == 1500
    assert [r.ok for r in results] == [False] * 1000 + [True] * 500
    assert "503" in results[0].errors[0]
    last = list(sandbox.products)[-1]
    assert sandbox.products[last]["variants"][0]["stock"]["quantity"] == 3
    await connector.aclose()
