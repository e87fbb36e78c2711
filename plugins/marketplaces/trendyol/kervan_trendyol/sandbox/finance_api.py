"""Sandbox endpoint for settlements (Trendyol's "Cari Hesap Ekstresi", the finance API).

What it follows, from https://developers.trendyol.com/docs/cari-hesap-ekstresi-entegrasyonu
and https://developers.trendyol.com/reference/getsettlements.md:

* ``GET /integration/finance/che/sellers/{sellerId}/settlements``;
* ``transactionType`` (one) or ``transactionTypes`` (comma-separated, wins when both come) is
  required; ``startDate`` and ``endDate`` are epoch milliseconds, both required, at most
  15 days apart (400 otherwise);
* ``page`` (from 0) and ``size`` (500 by default; 500 or 1000);
* an answer is ``{page, size, totalPages, totalElements, content}``; each record has ``id``,
  ``transactionDate``, ``barcode``, ``transactionType``, ``receiptId``, ``description``,
  ``debt``, ``credit``, ``paymentPeriod``, ``commissionRate``, ``commissionAmount``,
  ``commissionInvoiceSerialNumber``, ``sellerRevenue``, ``orderNumber``, ``paymentOrderId``,
  ``paymentDate``, ``shipmentPackageId`` (field names as client code reads them, e.g. the
  odoo and sellerx Trendyol integrations; the reference page lists the same);
* records exist once an order is delivered; ``paymentOrderId`` is set once it is paid (a
  payment order each Wednesday for what falls due that week).

The sandbox makes the records on request (:meth:`pay_out`): one ``Sale`` record per package
line, with its payment order. Uncertain, not in the docs: the exact 400 body for a too-wide
window (Trendyol's usual error shape is used) and whether amounts are per unit or per line
(per line here).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI

from .orders_api import _err, _int

if TYPE_CHECKING:
    from datetime import datetime

    from .app import TrendyolSandbox

MAX_RANGE_MS = 15 * 24 * 3600 * 1000
SIZES = (500, 1000)
TYPES = frozenset(
    {
        "Sale",
        "Return",
        "Discount",
        "DiscountCancel",
        "Coupon",
        "CouponCancel",
        "ProvisionPositive",
        "ProvisionNegative",
        "SellerRevenuePositive",
        "SellerRevenueNegative",
        "CommissionPositive",
        "CommissionNegative",
        "SellerRevenuePositiveCancel",
        "SellerRevenueNegativeCancel",
        "CommissionPositiveCancel",
        "CommissionNegativeCancel",
    }
)


def pay_out(
    sb: TrendyolSandbox,
    package_id: int,
    payment_order_id: int,
    *,
    commission_rate: Decimal = Decimal("15"),
    paid_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Trendyol settles ``package_id``: one ``Sale`` record per line (its price after
    discounts, the commission at ``commission_rate`` percent), under ``payment_order_id``."""
    pkg = sb.packages[package_id]
    now = sb.clock.now()
    paid = paid_at or now + timedelta(days=2)
    rows = []
    for line in pkg["lines"]:
        credit = (Decimal(str(line["lineUnitPrice"])) * int(line["quantity"])).quantize(
            Decimal("0.01")
        )
        commission = (credit * commission_rate / 100).quantize(Decimal("0.01"))
        sb.finance_seq += 1
        rows.append(
            {
                "id": str(900_000_000 + sb.finance_seq),
                "transactionDate": int(now.timestamp() * 1000),
                "barcode": line["barcode"],
                "transactionType": "Sale",
                "receiptId": 50_000_000 + sb.finance_seq,
                "description": "Satış",
                "debt": 0,
                "credit": float(credit),
                "paymentPeriod": 28,
                "commissionRate": float(commission_rate),
                "commissionAmount": float(commission),
                "commissionInvoiceSerialNumber": None,
                "sellerRevenue": float(credit - commission),
                "orderNumber": str(pkg["orderNumber"]),
                "paymentOrderId": payment_order_id,
                "paymentDate": int(paid.timestamp() * 1000),
                "sellerId": sb.seller_id,
                "storeId": None,
                "storeName": None,
                "storeAddress": None,
                "country": "Türkiye",
                "orderDate": pkg.get("orderDate"),
                "affiliate": "TRENDYOLTR",
                "shipmentPackageId": package_id,
            }
        )
    sb.finance.extend(rows)
    return rows


def settlements(sb: TrendyolSandbox, params: dict[str, str]) -> dict[str, Any]:
    wanted = params.get("transactionTypes") or params.get("transactionType")
    if not wanted:
        raise _err(400, "transactionType.required", "transactionType zorunludur")
    types = {t.strip() for t in wanted.split(",") if t.strip()}
    if types - TYPES:
        raise _err(400, "transactionType.invalid", f"geçersiz transactionType: {wanted}")
    if "startDate" not in params or "endDate" not in params:
        raise _err(400, "date.required", "startDate ve endDate zorunludur")
    start, end = _int(params["startDate"], "startDate"), _int(params["endDate"], "endDate")
    if end < start or end - start > MAX_RANGE_MS:
        raise _err(400, "date.range", "startDate ile endDate arası 15 günden uzun olamaz")
    page, size = _int(params.get("page", 0), "page"), _int(params.get("size", 500), "size")
    if size not in SIZES or page < 0:
        raise _err(400, "size.invalid", "size 500 ya da 1000 olmalıdır")
    rows = [
        r
        for r in sb.finance
        if r["transactionType"] in types and start <= r["transactionDate"] <= end
    ]
    total_pages = (len(rows) + size - 1) // size
    return {
        "page": page,
        "size": size,
        "totalPages": total_pages,
        "totalElements": len(rows),
        "content": rows[page * size : (page + 1) * size],
    }


def add_routes(sb: TrendyolSandbox, app: FastAPI) -> None:
    path = "/integration/finance/che/sellers/{sellerId}/settlements"

    @app.get(path, dependencies=[Depends(sb.guard("GET settlements"))])
    async def get_settlements(
        transactionType: str | None = None,
        transactionTypes: str | None = None,
        startDate: str | None = None,
        endDate: str | None = None,
        page: str = "0",
        size: str = "500",
    ) -> dict[str, Any]:
        given = {
            "transactionType": transactionType,
            "transactionTypes": transactionTypes,
            "startDate": startDate,
            "endDate": endDate,
            "page": page,
            "size": size,
        }
        return settlements(sb, {k: v for k, v in given.items() if v is not None})
