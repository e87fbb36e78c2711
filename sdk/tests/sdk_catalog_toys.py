"""Toy connectors with one catalog bug each: the listings, stock-push and price-push suites
must catch every one by the named test (``test_contract_kit.py``)."""

from __future__ import annotations

from typing import Any

from kervan import RecordKind, RecordProblem
from kervan.domain import Listing, StockUpdate, StockUpdateResult
from kervan.errors import KervanError
from kervan_sdk import map_record
from sdk_toys import ToyHub
from toy_catalog import failed


class ListingsTwiceToy(ToyHub):
    """Names every product twice in one run (as when it reads two overlapping feeds)."""

    async def fetch_listings(self):
        async for item in super().fetch_listings():
            yield item
            yield item


class StopsOnRepeatToy(ToyHub):
    """Takes a product it has seen already for the end of the list: when pages overlap, the
    products after the overlap never arrive."""

    async def fetch_listings(self):
        seen: set[str] = set()
        async for item in super().fetch_listings():
            if not isinstance(item, RecordProblem):
                if item.barcode in seen:
                    return
                seen.add(item.barcode)
            yield item


class FragileListingsToy(ToyHub):
    """Lets a product it cannot map raise: one bad product fails the whole import."""

    def listing_or_problem(self, raw: Any) -> list[Listing] | RecordProblem:
        return self.map_listings(raw)


class StockCodeProblemToy(ToyHub):
    """Names a product it cannot map by its stock code: no good listing answers for that, so
    the problem would never settle."""

    def listing_or_problem(self, raw: Any) -> list[Listing] | RecordProblem:
        return map_record(RecordKind.LISTING, raw, self.map_listings, remote_id="sku")


class DriftingMapToy(ToyHub):
    """Imports the title, but its ``map_listings`` (what a replay uses) leaves it out."""

    def map_listings(self, raw: dict[str, Any]) -> list[Listing]:
        return [x.model_copy(update={"title": None}) for x in super().map_listings(raw)]

    def listing_or_problem(self, raw: Any) -> list[Listing] | RecordProblem:
        return map_record(RecordKind.LISTING, raw, super().map_listings, remote_id="barcode")


class OneShotStockToy(ToyHub):
    """Sends every item in one request, whatever the channel's limit."""

    async def push_stock(self, updates: list[StockUpdate]) -> list[StockUpdateResult]:
        latest = {u.barcode: u for u in updates}
        return await self.send_stock([self.stock_item(u) for u in latest.values()])


class EchoingStockToy(ToyHub):
    """Answers once per update pushed, so a barcode pushed twice gets two answers."""

    async def push_stock(self, updates: list[StockUpdate]) -> list[StockUpdateResult]:
        results: list[StockUpdateResult] = []
        for update in updates:
            results += await self.send_stock([self.stock_item(update)])
        return results


class RepeatRaisingStockToy(ToyHub):
    """Raises when the channel refuses a repeat of an identical request."""

    async def send_stock(self, items: list[dict[str, Any]]) -> list[StockUpdateResult]:
        response = await self.client.request(
            "POST", "/stock", json={"items": items}, idempotent=True
        )
        return [
            StockUpdateResult(barcode=r["barcode"], ok=True)
            if r["ok"]
            else failed(r["barcode"], r["error"])
            for r in response.json()["results"]
        ]


class GiveUpStockToy(ToyHub):
    """Never sends a push again after a 5xx: the items are reported failed instead."""

    async def send_stock(self, items: list[dict[str, Any]]) -> list[StockUpdateResult]:
        try:
            response = await self.client.request(
                "POST", "/stock", json={"items": items}, idempotent=False
            )
        except KervanError as exc:
            return [failed(item["barcode"], exc.message) for item in items]
        return [
            StockUpdateResult(barcode=r["barcode"], ok=True)
            if r["ok"]
            else failed(r["barcode"], r["error"])
            for r in response.json()["results"]
        ]


class PricelessToy(ToyHub):
    """Sends the quantity and drops the prices."""

    def stock_item(self, update: StockUpdate) -> dict[str, Any]:
        return {"barcode": update.barcode, "quantity": update.quantity}


class ClampingPriceToy(ToyHub):
    """Lifts a list price below the sale price up to it and reports the item as pushed."""

    def stock_item(self, update: StockUpdate) -> dict[str, Any]:
        item = super().stock_item(update)
        if update.sale_price is not None and update.list_price is not None:
            item["list"] = str(max(update.sale_price, update.list_price))
        return item
