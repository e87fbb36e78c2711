"""Settlements from the finance API: a paid package becomes one Settlement (sale minus
commission, the commission as a deduction, the payment order as the reference); unpaid
records wait; windows are cut to 15 days and every page is read; the sandbox refuses what
Trendyol refuses."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from kervan.errors import RemoteRejectedError
from kervan_trendyol import Trendyol
from kervan_trendyol.finance import MAX_RANGE, ranges, settlements_of
from kervan_trendyol.sandbox import TrendyolSandbox


async def test_a_paid_package_is_one_settlement_net_of_commission(
    sandbox: TrendyolSandbox, trendyol: Trendyol
) -> None:
    pid = next(iter(sandbox.packages))
    rows = sandbox.pay_out(pid, 8_001, commission_rate=Decimal("12"))
    now = sandbox.clock.now()
    got = await trendyol.fetch_settlements(now - timedelta(days=40), now + timedelta(minutes=1))
    assert len(got) == 1
    item = got[0]
    credit = sum(Decimal(str(r["credit"])) for r in rows)
    commission = sum(Decimal(str(r["commissionAmount"])) for r in rows)
    assert item.order_number == str(sandbox.packages[pid]["orderNumber"])
    assert item.package_id == str(pid)
    assert item.reference == "TY-8001"
    assert item.amount + item.deductions["commission"] == credit
    assert item.deductions == {"commission": commission}


def test_records_without_a_payment_order_are_not_settled_yet() -> None:
    row = {
        "transactionType": "Sale",
        "orderNumber": "1",
        "shipmentPackageId": 5,
        "sellerRevenue": 80,
        "commissionAmount": 20,
        "paymentDate": 1_765_000_000_000,
    }
    assert settlements_of([{**row, "paymentOrderId": None}]) == []
    assert settlements_of([{**row, "transactionType": "Return", "paymentOrderId": 3}]) == []
    two = settlements_of([{**row, "paymentOrderId": 3}, {**row, "paymentOrderId": 3}])
    assert [(s.amount, s.deductions["commission"]) for s in two] == [
        (Decimal("160.00"), Decimal("40.00"))
    ]


def test_windows_are_cut_to_what_the_api_accepts(sandbox: TrendyolSandbox) -> None:
    now = sandbox.clock.now()
    cut = ranges(now - timedelta(days=45), now)
    assert len(cut) == 3
    assert all(end - start <= MAX_RANGE for start, end in cut)
    assert cut[0][0] == now - timedelta(days=45) and cut[-1][1] == now


async def test_every_page_is_read(sandbox: TrendyolSandbox, trendyol: Trendyol) -> None:
    pids = list(sandbox.packages)
    for i, pid in enumerate(pids):
        for _ in range(50):  # 50 payouts a package: more than one page of 500 records
            sandbox.pay_out(pid, 9_000 + i * 100 + _)
    assert len(sandbox.finance) > 500
    now = sandbox.clock.now()
    got = await trendyol.fetch_settlements(now - timedelta(days=1), now + timedelta(minutes=1))
    assert len(got) == len(pids) * 50


async def test_the_sandbox_refuses_a_window_over_15_days(trendyol: Trendyol) -> None:
    with pytest.raises(RemoteRejectedError, match="15"):
        await trendyol.client.get_settlements(
            {"transactionType": "Sale", "startDate": 0, "endDate": 16 * 24 * 3600 * 1000}
        )
    with pytest.raises(RemoteRejectedError):
        await trendyol.client.get_settlements({"startDate": 0, "endDate": 1000})
