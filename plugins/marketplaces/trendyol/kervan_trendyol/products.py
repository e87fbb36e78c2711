"""Listings import and stock/price pushes in batches of at most 1000 items."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from kervan import RecordProblem
from kervan.domain import Listing, StockUpdate, StockUpdateResult
from kervan.errors import RemoteError

from .mapping import listings_of, listings_or_problem

if TYPE_CHECKING:
    from .client import TrendyolClient
    from .settings import TrendyolSettings

log = logging.getLogger("kervan.trendyol")

#: items per price-and-inventory request (Trendyol's limit)
MAX_BATCH = 1000
PRODUCT_PAGE_SIZE = 100
#: how long to wait for a batch's per-item results (simulated time in tests)
POLL_DELAYS = (1, 2, 4, 8, 15, 30, 30, 30, 60, 60)
DUPLICATE_MARKERS = ("15 dakika", "aynı isteği")


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


class ProductsMixin:
    settings: TrendyolSettings
    client: TrendyolClient
    context: Any

    def fetch_listings(self) -> AsyncIterator[Listing | RecordProblem]:
        """Every approved product variant: barcode, stock code, title, attributes, price, stock.
        A product that breaks Trendyol's contract comes as a :class:`~kervan.RecordProblem`."""
        return self._listings()

    def map_listings(self, raw: dict[str, Any]) -> list[Listing]:
        """One raw product's listings as ``fetch_listings`` maps them: for replays."""
        return listings_of(
            raw, tenant_id=self.context.tenant_id, connection_id=self.context.connection_id
        )

    async def _listings(self) -> AsyncIterator[Listing | RecordProblem]:
        page, token = 0, None
        while True:
            params: dict[str, Any] = {"size": PRODUCT_PAGE_SIZE}
            params.update({"nextPageToken": token} if token else {"page": page})
            body = await self.client.approved_products(params) or {}
            for product in body.get("content") or []:
                mapped = listings_or_problem(
                    product,
                    tenant_id=self.context.tenant_id,
                    connection_id=self.context.connection_id,
                )
                if isinstance(mapped, RecordProblem):
                    yield mapped  # kept in quarantine; the other products go on
                    continue
                for listing in mapped:
                    yield listing
            token = body.get("nextPageToken")
            page += 1
            if not body.get("content") or (not token and page >= int(body.get("totalPages") or 0)):
                return

    async def push_stock(self, updates: list[StockUpdate]) -> list[StockUpdateResult]:
        """Send stock/price in batches of ≤1000, poll each batch, report every barcode.

        A batch the remote did not take (rejected, or still failing after the client's retries)
        is reported item by item with the reason instead of raising, so the batches already
        applied are not lost from the report.

        A barcode sent twice keeps its last update. A batch Trendyol refuses as a repeat of an
        identical request within 15 minutes (our own earlier send whose answer was lost) is
        reported as failed so the engine sends it again later; nothing is applied twice.
        """
        latest = {u.barcode: u for u in updates}
        items = [
            {
                "barcode": u.barcode,
                "quantity": u.quantity,
                **({"salePrice": _float(u.sale_price)} if u.sale_price is not None else {}),
                **({"listPrice": _float(u.list_price)} if u.list_price is not None else {}),
            }
            for u in latest.values()
        ]
        # send every batch first, then read the results: Trendyol works on them meanwhile
        sent: list[tuple[list[str], str | list[StockUpdateResult]]] = []
        for start in range(0, len(items), MAX_BATCH):
            chunk = items[start : start + MAX_BATCH]
            sent.append(([item["barcode"] for item in chunk], await self._send_chunk(chunk)))
        results: dict[str, StockUpdateResult] = {}
        for barcodes, outcome in sent:
            if isinstance(outcome, str):
                outcome = await self._batch_results(outcome, barcodes)
            results.update((result.barcode, result) for result in outcome)
        return [results[barcode] for barcode in latest]

    async def _send_chunk(self, chunk: list[dict[str, Any]]) -> str | list[StockUpdateResult]:
        """The batchRequestId, or a failed result per item when Trendyol did not take it."""
        barcodes = [item["barcode"] for item in chunk]
        try:
            answer = await self.client.price_and_inventory(chunk)
        except RemoteError as exc:
            reason = getattr(exc, "remote_message", None) or exc.message
            if any(marker in reason for marker in DUPLICATE_MARKERS):
                reason = "Trendyol refused an identical request within 15 minutes; send later"
            return [StockUpdateResult(barcode=b, ok=False, errors=[reason]) for b in barcodes]
        batch_id = str((answer or {}).get("batchRequestId") or "")
        if not batch_id:
            return [
                StockUpdateResult(barcode=b, ok=False, errors=["no batchRequestId returned"])
                for b in barcodes
            ]
        return batch_id

    async def _batch_results(self, batch_id: str, barcodes: list[str]) -> list[StockUpdateResult]:
        by_barcode: dict[str, StockUpdateResult] = {}
        for delay in POLL_DELAYS:
            await self.context.sleep(delay)
            body = await self.client.batch_result(batch_id) or {}
            for item in body.get("items") or []:
                barcode = str((item.get("requestItem") or {}).get("barcode", ""))
                status = str(item.get("status", "")).upper()
                if status == "SUCCESS":
                    by_barcode[barcode] = StockUpdateResult(barcode=barcode, ok=True)
                elif status == "FAILED":
                    by_barcode[barcode] = StockUpdateResult(
                        barcode=barcode,
                        ok=False,
                        errors=[str(r) for r in item.get("failureReasons") or []] or ["FAILED"],
                    )
            if all(b in by_barcode for b in barcodes):
                break
        pending = f"batch {batch_id} had no result for this barcode yet"
        return [
            by_barcode.get(b) or StockUpdateResult(barcode=b, ok=False, errors=[pending])
            for b in barcodes
        ]
