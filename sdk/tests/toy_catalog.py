"""The toy channel's catalog: listings to page through, and stock/price pushes with a channel's
usual rules (at most ``STOCK_LIMIT`` items a request, an identical request refused for 15
minutes, a list price never below the sale price), for the sandbox and the connector."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from kervan import RecordKind, RecordProblem
from kervan.domain import Listing, StockUpdate, StockUpdateResult
from kervan.scenario import Scenario
from kervan_sdk import map_record
from kervan_sdk.sandbox import ListedPrice, page_count, paginate

STOCK_LIMIT = 10
REPEAT_WINDOW = timedelta(minutes=15)
REPEAT_REFUSED = "the channel refused a repeat of an identical request; send it later"
LISTING_PAGE = 5


class CatalogSandbox:
    """The toy sandbox's catalog side (mixed into ``ToySandbox``)."""

    clock: Any
    listings: dict[str, dict[str, Any]]  # barcode → the listing as the channel serves it
    stock_requests: dict[str, datetime]

    def seed_listings(self, scenario: Scenario) -> None:
        self.stock_requests = {}
        self.listings = {}
        for card in scenario.products:
            for barcode in card.barcodes:
                sale = card.sale_price or card.list_price or Decimal(100)
                self.listings[barcode] = {
                    "id": f"TL{len(self.listings) + 1:06d}",
                    "barcode": barcode,
                    "sku": card.sku,
                    "title": card.name,
                    "stock": {"quantity": scenario.stock.get(card.id, 0)},
                    "price": {"sale": str(sale), "list": str(card.list_price or sale)},
                }

    def listing_quantity(self, barcode: str) -> int | None:
        listing = self.listings.get(barcode)
        return None if listing is None else int(listing["stock"]["quantity"])

    def listing_price(self, barcode: str) -> ListedPrice | None:
        listing = self.listings.get(barcode)
        if listing is None:
            return None
        return ListedPrice(Decimal(listing["price"]["sale"]), Decimal(listing["price"]["list"]))

    def add_catalog_routes(self, app: FastAPI) -> None:
        @app.get("/listings")
        async def listings(page: int = 0, size: int = LISTING_PAGE):
            items = list(self.listings.values())
            content = paginate(self, "/listings", items, page, size)  # type: ignore[arg-type]
            return {"content": content, "totalPages": page_count(len(items), size)}

        @app.post("/stock")
        async def stock(body: dict):
            items = body["items"]
            if len(items) > STOCK_LIMIT:
                message = f"at most {STOCK_LIMIT} items a request"
                return JSONResponse({"message": message}, status_code=400)
            digest, now = json.dumps(items, sort_keys=True), self.clock.now()
            sent = self.stock_requests.get(digest)
            if sent is not None and now - sent < REPEAT_WINDOW:
                return JSONResponse({"message": REPEAT_REFUSED}, status_code=409)
            self.stock_requests[digest] = now
            return {"results": [self._apply(item) for item in items]}

    def _apply(self, item: dict[str, Any]) -> dict[str, Any]:
        listing = self.listings.get(item["barcode"])
        if listing is None:
            return {"barcode": item["barcode"], "ok": False, "error": "not listed"}
        price = listing["price"]
        sale, listed = item.get("sale", price["sale"]), item.get("list", price["list"])
        if Decimal(listed) < Decimal(sale):
            return {"barcode": item["barcode"], "ok": False, "error": "list price below sale"}
        listing["stock"]["quantity"] = item["quantity"]
        listing["price"] = {"sale": sale, "list": listed}
        return {"barcode": item["barcode"], "ok": True}


class CatalogToy:
    """The toy connector's listings and pushes (mixed into ``ToyHub``)."""

    stock_batch_limit = STOCK_LIMIT
    client: Any
    context: Any

    def map_listings(self, raw: dict[str, Any]) -> list[Listing]:
        return [
            Listing(
                id=f"{self.context.connection_id}:{raw['barcode']}",
                tenant_id=self.context.tenant_id,
                connection_id=self.context.connection_id,
                external_id=raw["id"],
                barcode=raw["barcode"],
                sku=raw["sku"],
                title=raw["title"],
                quantity=raw["stock"]["quantity"],
                sale_price=Decimal(raw["price"]["sale"]),
                list_price=Decimal(raw["price"]["list"]),
            )
        ]

    async def listing_page(self, page: int) -> dict[str, Any]:
        params = {"page": page, "size": LISTING_PAGE}
        body: dict[str, Any] = await self.client.json("GET", "/listings", params=params)
        return body

    def listing_or_problem(self, raw: Any) -> list[Listing] | RecordProblem:
        return map_record(RecordKind.LISTING, raw, self.map_listings, remote_id="barcode")

    async def fetch_listings(self):  # type: ignore[no-untyped-def]
        page, pages = 0, 1
        while page < pages:
            body = await self.listing_page(page)
            pages = body["totalPages"]
            for raw in body["content"]:
                mapped = self.listing_or_problem(raw)
                if isinstance(mapped, RecordProblem):
                    yield mapped
                else:
                    for listing in mapped:
                        yield listing
            page += 1

    def stock_item(self, update: StockUpdate) -> dict[str, Any]:
        item: dict[str, Any] = {"barcode": update.barcode, "quantity": update.quantity}
        if update.sale_price is not None:
            item["sale"] = str(update.sale_price)
        if update.list_price is not None:
            item["list"] = str(update.list_price)
        return item

    async def send_stock(self, items: list[dict[str, Any]]) -> list[StockUpdateResult]:
        response = await self.client.request(
            "POST", "/stock", json={"items": items}, idempotent=True, ok={200, 409}
        )
        if response.status_code == 409:
            return [failed(item["barcode"], REPEAT_REFUSED) for item in items]
        return [
            StockUpdateResult(barcode=r["barcode"], ok=True)
            if r["ok"]
            else failed(r["barcode"], r["error"])
            for r in response.json()["results"]
        ]

    async def push_stock(self, updates: list[StockUpdate]) -> list[StockUpdateResult]:
        latest = {u.barcode: u for u in updates}  # the later figure for a barcode wins
        items = [self.stock_item(u) for u in latest.values()]
        results: list[StockUpdateResult] = []
        for start in range(0, len(items), self.stock_batch_limit):
            results += await self.send_stock(items[start : start + self.stock_batch_limit])
        return results


def failed(barcode: str, reason: str) -> StockUpdateResult:
    return StockUpdateResult(barcode=barcode, ok=False, errors=[reason])
