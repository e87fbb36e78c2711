"""Sandbox endpoints for approved products, price-and-inventory batches and batch results.

filterApprovedProductsInventoryAndPrice, ``GET /integration/product/sellers/{sellerId}/products/
approved/inventory-and-price`` [Trendyol API reference page "Ürün Filtreleme - Onaylı Ürün
Stok ve Fiyat", https://developers.trendyol.com/reference/filterapprovedproductsinventoryandprice,
updated 2026-08-10, as downloaded into a public repository on 2026-09-28]:

- query ``barcode``, ``barcodes`` (at most 50; accepted repeated or comma-separated),
  ``contentId``, ``stockCode``, ``productMainId``, ``status`` (archived, blacklisted, locked,
  onSale, notOnSale), ``page``, ``size`` (at most 100), ``orderByDirection`` (asc/desc on the
  seller's creation date), ``nextPageToken``;
- ``page × size`` at most 10,000; past that the ``nextPageToken`` answered leads on (only
  when there are more than 10,000 contents);
- answer ``{totalElements, totalPages, page, size, nextPageToken, content:[{contentId,
  productMainId, variants:[{variantId, barcode, salePrice, listPrice, quantity, stockCode,
  stockLastModifiedDate}]}]}``; ``stockLastModifiedDate`` is null until the stock was updated;
- errors as ``{errors:[{key, message, errorCode}]}``.

Inferred: the default ``size`` (50, as filterApprovedProducts) and the token's form (the last
content id served, opaque to callers); archived, blacklisted and locked products are not
modelled here, so those filters match nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from kervan_sdk.sandbox import ListedPrice, page_count, paginate

if TYPE_CHECKING:
    from .app import TrendyolSandbox

MAX_ITEMS = 1000
MAX_BARCODES = 50
PRODUCT_STATUSES = frozenset({"archived", "blacklisted", "locked", "onSale", "notOnSale"})
PAGE_WINDOW = 10_000
MAX_STOCK = 20_000
DUPLICATE_WINDOW = timedelta(minutes=15)
DUPLICATE_MESSAGE = "15 dakika boyunca aynı isteği tekrarlı olarak atamazsınız!"
BATCH_VISIBLE = timedelta(hours=4)
#: when a batch's per-item results become readable
BATCH_PROCESSING = timedelta(seconds=2)


def _err(status: int, key: str, message: str) -> Exception:
    from .app import TrendyolError

    return TrendyolError(status, key, message)


def add_product(
    sb: TrendyolSandbox,
    *,
    barcode: str,
    stock_code: str,
    title: str,
    sale_price: float,
    vat_rate: float,
    quantity: int,
    list_price: float | None = None,
    attributes: dict[str, str] | None = None,
) -> None:
    content_id = 700_000_000 + len(sb.products) * 13 + 1
    sb.products[barcode] = {
        "contentId": content_id,
        "productMainId": stock_code.rsplit("-", 1)[0] if "-" in stock_code else stock_code,
        "title": title,
        "brand": {"id": 1_791, "name": "Kervan Home"},
        "category": {"id": 411, "name": "Ev & Yaşam"},
        "attributes": [
            {
                "attributeId": 47,
                "attributeName": "Renk",
                "attributeValueId": None,
                "attributeValue": (attributes or {}).get("Renk", "Çok Renkli"),
            },
        ],
        "variants": [
            {
                "variantId": content_id * 10 + 1,
                "barcode": barcode,
                "stockCode": stock_code,
                "onSale": True,
                "vatRate": vat_rate,
                "attributes": [
                    {"attributeId": 338, "attributeName": k, "attributeValue": v}
                    for k, v in (attributes or {}).items()
                    if k != "Renk"
                ],
                "stock": {"quantity": quantity},
                "price": {"salePrice": sale_price, "listPrice": list_price or sale_price},
            }
        ],
        "lastModifiedDate": sb.now_ms(),
    }


def shown_quantity(sb: TrendyolSandbox, barcode: str) -> int | None:
    """The stock Trendyol shows for ``barcode`` (None: no such product): the kit's read-back."""
    product = sb.products.get(barcode)
    return None if product is None else int(product["variants"][0]["stock"]["quantity"])


def shown_price(sb: TrendyolSandbox, barcode: str) -> ListedPrice | None:
    """The sale and list price Trendyol shows for ``barcode`` (None: no such product)."""
    product = sb.products.get(barcode)
    if product is None:
        return None
    price = product["variants"][0]["price"]
    sale, listed = price.get("salePrice"), price.get("listPrice")
    return ListedPrice(
        None if sale is None else Decimal(str(sale)),
        None if listed is None else Decimal(str(listed)),
    )


def list_products(sb: TrendyolSandbox, request: Request) -> dict[str, Any]:
    q = request.query_params
    page, size = int(q.get("page", 0)), int(q.get("size", 50))
    if not 1 <= size <= 100:
        raise _err(400, "invalid.size", "size en fazla 100 olabilir")
    items = sorted(sb.products.values(), key=lambda p: p["contentId"])
    if q.get("barcode"):
        items = [p for p in items if p["variants"][0]["barcode"] == q["barcode"]]
    content = paginate(sb, request.url.path, items, page, size)
    return {
        "page": page,
        "size": size,
        "totalPages": page_count(len(items), size) if items else 0,
        "totalElements": len(items),
        "content": json.loads(json.dumps(content)),
    }


def _bad(key: str, message: str) -> Exception:
    return _err(400, key, message)


def _query_int(value: str | None, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(str(value))
    except ValueError:
        raise _bad(f"invalid.{name}", f"{name} bir tam sayı olmalıdır") from None


def inventory_and_price(sb: TrendyolSandbox, request: Request) -> dict[str, Any]:
    q = request.query_params
    page = _query_int(q.get("page"), "page", 0)
    size = _query_int(q.get("size"), "size", 50)
    if not 1 <= size <= 100:
        raise _bad("invalid.size", "size en fazla 100 olabilir")
    if page < 0 or page * size > PAGE_WINDOW:
        raise _bad("invalid.page", "page x size en fazla 10.000 olabilir")
    barcodes = [b for raw in q.getlist("barcodes") for b in raw.split(",") if b.strip()]
    if len(barcodes) > MAX_BARCODES:
        raise _bad("invalid.barcodes", f"En fazla {MAX_BARCODES} barkod sorgulanabilir")
    status = q.get("status")
    if status and status not in PRODUCT_STATUSES:
        raise _bad("invalid.status", f"status şunlardan biri olmalı: {sorted(PRODUCT_STATUSES)}")
    direction = q.get("orderByDirection") or "asc"
    if direction not in ("asc", "desc"):
        raise _bad("invalid.orderByDirection", "orderByDirection asc veya desc olmalıdır")
    content_id = _query_int(q.get("contentId"), "contentId", 0) or None
    items = sorted(sb.products.values(), key=lambda p: p["contentId"], reverse=direction == "desc")

    def wanted(product: dict[str, Any]) -> bool:
        variant = product["variants"][0]
        checks = (
            (q.get("barcode"), variant["barcode"]),
            (q.get("stockCode"), variant["stockCode"]),
            (q.get("productMainId"), product["productMainId"]),
        )
        if any(given and given != value for given, value in checks):
            return False
        if barcodes and variant["barcode"] not in barcodes:
            return False
        if content_id is not None and product["contentId"] != content_id:
            return False
        if status in ("onSale", "notOnSale"):
            return bool(variant["onSale"]) == (status == "onSale")
        return status is None  # archived, blacklisted, locked: none here

    items = [p for p in items if wanted(p)]
    total = len(items)
    token = q.get("nextPageToken")
    if token:
        try:
            after = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise _bad("invalid.nextPageToken", "nextPageToken geçersiz") from None
        ahead = [p for p in items if (p["contentId"] > after) == (direction == "asc")]
        content = ahead[:size]
    else:
        content = items[page * size : (page + 1) * size]
    more = bool(content) and items.index(content[-1]) < total - 1
    next_token = (
        base64.urlsafe_b64encode(str(content[-1]["contentId"]).encode()).decode()
        if total > PAGE_WINDOW and more
        else None
    )
    return {
        "totalElements": total,
        "totalPages": page_count(total, size) if total else 0,
        "page": page,
        "size": size,
        "nextPageToken": next_token,
        "content": [
            {
                "contentId": p["contentId"],
                "productMainId": p["productMainId"],
                "variants": [
                    {
                        "variantId": v["variantId"],
                        "barcode": v["barcode"],
                        "salePrice": v["price"]["salePrice"],
                        "listPrice": v["price"]["listPrice"],
                        "quantity": v["stock"]["quantity"],
                        "stockCode": v["stockCode"],
                        "stockLastModifiedDate": v["stock"].get("lastModifiedDate"),
                    }
                    for v in p["variants"]
                ],
            }
            for p in content
        ],
    }


def _check_item(sb: TrendyolSandbox, item: dict[str, Any]) -> list[str]:
    product = sb.products.get(str(item.get("barcode")))
    if product is None:
        return ["Ürün bulunamadı"]
    reasons = []
    quantity = item.get("quantity")
    if not isinstance(quantity, int) or quantity < 0:
        reasons.append("Stok adedi negatif olamaz")
    elif quantity > MAX_STOCK:
        reasons.append(f"Stok adedi en fazla {MAX_STOCK} olabilir")
    sale, listed = item.get("salePrice"), item.get("listPrice")
    price = product["variants"][0]["price"]
    sale = price["salePrice"] if sale is None else sale
    listed = price["listPrice"] if listed is None else listed
    if sale is not None and listed is not None and sale > listed:
        reasons.append("Satış fiyatı liste fiyatından büyük olamaz")
    return reasons


def price_and_inventory(sb: TrendyolSandbox, body: dict[str, Any]) -> dict[str, Any]:
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise _err(400, "items.empty", "items boş olamaz")
    if len(items) > MAX_ITEMS:
        raise _err(
            400, "items.size.exceeded", f"Bir istekte en fazla {MAX_ITEMS} ürün gönderilebilir"
        )
    digest = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()
    now = sb.clock.now()
    sent = sb.recent_stock_requests.get(digest)
    if sent is not None and now - sent < DUPLICATE_WINDOW:
        raise _err(400, "duplicate.request", DUPLICATE_MESSAGE)
    sb.recent_stock_requests[digest] = now
    batch_id = f"{uuid.UUID(int=sb.random.getrandbits(128))}-{sb.now_ms() // 1000}"
    results = []
    for item in items:
        reasons = _check_item(sb, item)
        if not reasons:
            variant = sb.products[str(item["barcode"])]["variants"][0]
            variant["stock"]["quantity"] = item["quantity"]
            variant["stock"]["lastModifiedDate"] = sb.now_ms()
            for key in ("salePrice", "listPrice"):
                if item.get(key) is not None:
                    variant["price"][key] = item[key]
        results.append(
            {
                "requestItem": item,
                "status": "FAILED" if reasons else "SUCCESS",
                "failureReasons": reasons,
            }
        )
    sb.batches[batch_id] = {
        "batchRequestId": batch_id,
        "items": results,
        "creationDate": sb.now_ms(),
        "lastModification": sb.now_ms(),
        "sourceType": "API",
        "itemCount": len(results),
        "failedItemCount": sum(1 for r in results if r["status"] == "FAILED"),
        "batchRequestType": "ProductInventoryUpdate",
        "created": now,
    }
    return {"batchRequestId": batch_id}


def batch_result(sb: TrendyolSandbox, batch_id: str) -> dict[str, Any]:
    batch = sb.batches.get(batch_id)
    now = sb.clock.now()
    if batch is None or now - batch["created"] > BATCH_VISIBLE:
        raise _err(404, "batch.request.not.found", "Batch request bulunamadı")
    out = {k: v for k, v in batch.items() if k != "created"}
    if now - batch["created"] < BATCH_PROCESSING:
        # still being processed: stock/price batches carry no top-level status, only items
        out.update(items=[], failedItemCount=0)
    return json.loads(json.dumps(out))


def add_routes(sb: TrendyolSandbox, app: FastAPI) -> None:
    product_root = "/integration/product/sellers/{sellerId}"

    @app.get(product_root + "/products/approved", dependencies=[Depends(sb.guard("GET products"))])
    async def get_products(request: Request) -> dict[str, Any]:
        return list_products(sb, request)

    @app.get(
        product_root + "/products/approved/inventory-and-price",
        dependencies=[Depends(sb.guard("GET products/inventory-and-price"))],
    )
    async def get_inventory_and_price(request: Request) -> dict[str, Any]:
        return inventory_and_price(sb, request)

    @app.post(
        "/integration/inventory/sellers/{sellerId}/products/price-and-inventory",
        dependencies=[Depends(sb.guard("POST price-and-inventory"))],
    )
    async def post_stock(body: dict[str, Any]) -> dict[str, Any]:
        return price_and_inventory(sb, body)

    @app.get(
        product_root + "/products/batch-requests/{batchRequestId}",
        dependencies=[Depends(sb.guard("GET batch-requests"))],
    )
    async def get_batch(batchRequestId: str) -> dict[str, Any]:
        return batch_result(sb, batchRequestId)
