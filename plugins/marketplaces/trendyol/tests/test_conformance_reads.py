"""Conformance, reads: getShipmentPackagesStream (cursor paging) and
filterApprovedProductsInventoryAndPrice, with raw HTTP written from Trendyol's reference
(sources in test_conformance.py and in the sandbox modules stream_api / products_api)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kervan_trendyol.mapping import to_epoch_ms
from kervan_trendyol.sandbox import SELLER_ID, TrendyolSandbox

from .test_conformance import assert_error_message, http

STREAM = f"/integration/order/sellers/{SELLER_ID}/orders/stream"
INVENTORY = f"/integration/product/sellers/{SELLER_ID}/products/approved/inventory-and-price"
STOCK = f"/integration/inventory/sellers/{SELLER_ID}/products/price-and-inventory"


@pytest.fixture
def busy() -> TrendyolSandbox:
    """Enough packages to page through, each modified at its own minute."""
    sb = TrendyolSandbox(seed=3)
    sb.seed_random(30)
    for n, pid in enumerate(sorted(sb.packages)):
        sb.packages[pid]["lastModifiedDate"] = sb.now_ms() - n * 60_000
    return sb


# -- getShipmentPackagesStream -----------------------------------------------------------------


async def test_stream_pages_with_next_cursor_newest_first(busy):
    """TY-SPEC: ``{content, size, hasMore, nextCursor}``, lastModifiedDate DESC, no page
    numbers; ``nextCursor`` sent back as answered; empty when ``hasMore`` is false."""
    seen, cursor, pages = [], None, 0
    async with http(busy) as client:
        while True:
            params = {"size": 7, **({"nextCursor": cursor} if cursor else {})}
            response = await client.get(STREAM, params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            assert set(body) == {"content", "size", "hasMore", "nextCursor"}
            assert body["size"] == len(body["content"]) <= 7
            seen += body["content"]
            pages += 1
            if not body["hasMore"]:
                assert body["nextCursor"] == ""
                break
            assert body["nextCursor"]
            cursor = body["nextCursor"]
    assert pages == 5  # 30 packages, 7 a page
    ids = [p["shipmentPackageId"] for p in seen]
    assert len(ids) == len(set(ids)) == 30
    stamps = [p["lastModifiedDate"] for p in seen]
    assert stamps == sorted(stamps, reverse=True)


async def test_stream_default_size_is_50_and_maximum_200(busy):
    async with http(busy) as client:
        default = (await client.get(STREAM)).json()
        too_big = await client.get(STREAM, params={"size": 201})
    assert default["size"] == 30 and default["hasMore"] is False  # all 30 fit in 50
    assert_error_message(too_big, 400)


async def test_stream_filters_on_comma_separated_item_statuses(busy):
    pids = sorted(busy.packages)
    busy.set_status(pids[0], "Picking")
    busy.set_status(pids[1], "UnSupplied")
    async with http(busy) as client:
        response = await client.get(STREAM, params={"packageItemStatuses": "Picking,UnSupplied"})
        unpacked = await client.get(STREAM, params={"packageItemStatuses": "UnPacked"})
        bogus = await client.get(STREAM, params={"packageItemStatuses": "Picking,Bogus"})
    assert response.status_code == 200
    assert {p["shipmentPackageId"] for p in response.json()["content"]} == set(pids[:2])
    assert unpacked.status_code == 200  # UnPacked is a documented item status here
    assert_error_message(bogus, 400)


async def test_stream_refuses_a_bad_cursor_and_a_cursor_with_other_filters(busy):
    """TY-SPEC 400: "Geçersiz nextCursor değeri ... cursor ile filtre uyumsuzluğu"."""
    async with http(busy) as client:
        first = (await client.get(STREAM, params={"size": 5})).json()
        garbage = await client.get(STREAM, params={"nextCursor": "not-a-cursor"})
        mismatch = await client.get(
            STREAM,
            params={"size": 5, "nextCursor": first["nextCursor"], "packageItemStatuses": "Created"},
        )
    assert_error_message(garbage, 400)
    assert_error_message(mismatch, 400)


async def test_stream_date_range_is_at_most_14_days_within_3_months(busy):
    now = busy.clock.now()
    async with http(busy) as client:
        wide = await client.get(
            STREAM,
            params={
                "lastModifiedStartDate": to_epoch_ms(now - timedelta(days=15)),
                "lastModifiedEndDate": to_epoch_ms(now),
            },
        )
        old = await client.get(
            STREAM,
            params={
                "lastModifiedStartDate": to_epoch_ms(now - timedelta(days=100)),
                "lastModifiedEndDate": to_epoch_ms(now - timedelta(days=95)),
            },
        )
        narrow = await client.get(
            STREAM,
            params={
                "lastModifiedStartDate": to_epoch_ms(now - timedelta(minutes=10)),
                "lastModifiedEndDate": to_epoch_ms(now),
            },
        )
    assert_error_message(wide, 400)
    assert_error_message(old, 400)
    assert narrow.status_code == 200
    assert len(narrow.json()["content"]) == 11  # minutes 0..10


async def test_stream_does_not_serve_a_package_twice_while_it_changes(busy):
    """A package modified while a scan pages is not served again in that scan (keyset
    cursor, window fixed at the first request)."""
    async with http(busy) as client:
        first = (await client.get(STREAM, params={"size": 10})).json()
        moved = first["content"][0]["shipmentPackageId"]
        busy.clock.advance(60)
        busy.set_status(moved, "Picking")
        rest = []
        cursor = first["nextCursor"]
        while cursor:
            body = (await client.get(STREAM, params={"size": 10, "nextCursor": cursor})).json()
            rest += body["content"]
            cursor = body["nextCursor"]
    ids = [p["shipmentPackageId"] for p in first["content"] + rest]
    assert len(ids) == len(set(ids)) == 30


# -- filterApprovedProductsInventoryAndPrice ---------------------------------------------------


async def test_inventory_and_price_answers_contents_with_variants(sandbox):
    async with http(sandbox) as client:
        response = await client.get(INVENTORY, params={"size": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"totalElements", "totalPages", "page", "size", "nextPageToken", "content"} <= set(body)
    assert body["totalElements"] == len(sandbox.products) == len(body["content"])
    content = body["content"][0]
    assert {"contentId", "productMainId", "variants"} <= set(content)
    variant = content["variants"][0]
    expected = {"variantId", "barcode", "salePrice", "listPrice", "quantity", "stockCode"}
    assert expected | {"stockLastModifiedDate"} == set(variant)
    assert variant["stockLastModifiedDate"] is None  # no stock update yet


async def test_inventory_and_price_stock_date_after_a_stock_update(sandbox):
    barcode = next(iter(sandbox.products))
    async with http(sandbox) as client:
        sent = await client.post(STOCK, json={"items": [{"barcode": barcode, "quantity": 3}]})
        assert sent.status_code == 200
        body = (await client.get(INVENTORY, params={"barcode": barcode})).json()
    ((variant,),) = [c["variants"] for c in body["content"]]
    assert variant["quantity"] == 3
    assert variant["stockLastModifiedDate"] == sandbox.now_ms()


async def test_inventory_and_price_filters(sandbox):
    barcodes = list(sandbox.products)[:3]
    product = sandbox.products[barcodes[0]]
    async with http(sandbox) as client:
        many = (await client.get(INVENTORY, params={"barcodes": ",".join(barcodes)})).json()
        repeated = (await client.get(INVENTORY, params=[("barcodes", b) for b in barcodes])).json()
        by_content = (
            await client.get(INVENTORY, params={"contentId": product["contentId"]})
        ).json()
        on_sale = (await client.get(INVENTORY, params={"status": "onSale", "size": 100})).json()
        archived = (await client.get(INVENTORY, params={"status": "archived"})).json()
    assert many["totalElements"] == repeated["totalElements"] == 3
    assert [c["contentId"] for c in by_content["content"]] == [product["contentId"]]
    assert on_sale["totalElements"] == len(sandbox.products)
    assert archived["totalElements"] == 0


async def test_inventory_and_price_order_by_direction(sandbox):
    async with http(sandbox) as client:
        asc = (await client.get(INVENTORY, params={"orderByDirection": "asc"})).json()
        desc = (await client.get(INVENTORY, params={"orderByDirection": "desc"})).json()
        bad = await client.get(INVENTORY, params={"orderByDirection": "ASC"})
    ids = [c["contentId"] for c in asc["content"]]
    assert ids == sorted(ids) and [c["contentId"] for c in desc["content"]] == ids[::-1]
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"size": 101},  # maximum 100
        {"page": 101, "size": 100},  # page x size at most 10,000
        {"status": "deleted"},
        {"barcodes": ",".join(str(n) for n in range(51))},  # at most 50 barcodes
    ],
)
async def test_inventory_and_price_refusals_are_an_errors_list(sandbox, params):
    async with http(sandbox) as client:
        response = await client.get(INVENTORY, params=params)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["key"] and error["message"] and error["errorCode"] == "400"
