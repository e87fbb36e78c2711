"""Settlements from Trendyol's finance API ("Cari Hesap Ekstresi"): what each order was paid.

Sources: https://developers.trendyol.com/docs/cari-hesap-ekstresi-entegrasyonu (records
exist once an order is delivered; ``paymentOrderId`` once it is paid, a payment order each
Wednesday; ``startDate``/``endDate`` required, at most 15 days apart; one
``transactionType`` per request) and https://developers.trendyol.com/reference/getsettlements.md
(``page`` from 0, ``size`` 500 or 1000). Finance endpoints allow 3000 requests a minute
(../shared/reference/apis.md, "Service Limitations"); the client's generic pacing is well
inside it.

A ``Sale`` record is per line: ``credit`` is the sale, ``commissionAmount`` what Trendyol
keeps, ``sellerRevenue`` what it pays (credit − commission). One order's settlement is the
sum of its package's ``Sale`` records under one ``paymentOrderId``. Records without a payment
order are not settled yet and are left for a later read. Discounts, coupons and returns come
as records of other types; they are not read here (uncertain how a seller's books want them:
a return is posted from its claim, not from finance).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kervan import Settlement
from kervan.errors import InvalidResponseError

from .mapping import from_epoch_ms, to_epoch_ms

if TYPE_CHECKING:
    from .client import TrendyolClient

#: the widest startDate..endDate one settlements request may ask for
MAX_RANGE = timedelta(days=15)
PAGE_SIZE = 500
ISTANBUL_OFFSET = timedelta(hours=3)


def ranges(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end]`` cut into consecutive ranges the finance API accepts, oldest first."""
    out = []
    while start < end:
        stop = min(start + MAX_RANGE, end)
        out.append((start, stop))
        if stop >= end:
            break
        start = stop + timedelta(milliseconds=1)  # both bounds are inclusive
    return out


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def settlements_of(rows: list[dict[str, Any]]) -> list[Settlement]:
    """Per-order settlements from ``Sale`` records, summed by (order, package, payment
    order); records with no payment order yet are left out."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.get("transactionType") != "Sale" or not row.get("paymentOrderId"):
            continue
        key = (
            str(row["orderNumber"]),
            str(row.get("shipmentPackageId") or ""),
            str(row["paymentOrderId"]),
        )
        groups[key].append(row)
    out = []
    for (order_number, package, payout), items in groups.items():
        paid = from_epoch_ms(items[0].get("paymentDate"))
        if paid is None:
            raise InvalidResponseError(
                f"Trendyol settlement for order {order_number} has a payment order but no "
                "paymentDate",
                remote="trendyol",
            )
        commission = sum((_money(r.get("commissionAmount")) for r in items), Decimal(0))
        out.append(
            Settlement(
                order_number=order_number,
                package_id=package or None,
                amount=sum((_money(r.get("sellerRevenue")) for r in items), Decimal(0)),
                paid_on=(paid + ISTANBUL_OFFSET).date(),
                reference=f"TY-{payout}",
                deductions={"commission": commission} if commission else {},
            )
        )
    return out


class FinanceMixin:
    client: TrendyolClient

    async def fetch_settlements(self, since: datetime, until: datetime) -> list[Settlement]:
        """Orders Trendyol paid out in records dated ``since``..``until`` (see the module)."""
        rows: list[dict[str, Any]] = []
        for start, end in ranges(since, until):
            page = 0
            while True:
                body = await self.client.get_settlements(
                    {
                        "transactionType": "Sale",
                        "startDate": to_epoch_ms(start),
                        "endDate": to_epoch_ms(end),
                        "page": page,
                        "size": PAGE_SIZE,
                    }
                )
                rows.extend(r for r in body["content"] if isinstance(r, dict))
                page += 1
                if page >= int(body.get("totalPages") or 0):
                    break
        return settlements_of(rows)
