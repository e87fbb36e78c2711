"""A person splits a package before invoicing: the marketplace makes new packages, Kervan
closes the original and carries the new ones through to their own invoices and labels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kervan.demo import scenario_data as sd
from kervan.domain import OrderLine, OrderState
from kervan.errors import InvalidInputError

from .conftest import PERSON, make_order


def _two_line_order(package: str):
    o = make_order(package, PERSON, "p-tisort")
    kazak = next(p for p in sd.PRODUCTS if p.id == "p-kazak")
    o.lines.append(
        OrderLine(
            line_id=f"{package}02",
            barcode=kazak.barcodes[0],
            sku=kazak.sku,
            name=kazak.name,
            quantity=1,
            unit_price=kazak.sale_price,
            vat_rate=kazak.vat_rate,
            discount=Decimal(0),
        )
    )
    return o


def test_a_split_package_is_replaced_by_its_parts_and_each_part_is_invoiced(flow):
    flow.nilvera.outage(True, lookup_only=True)  # keep the order before invoicing
    flow.seed([_two_line_order("8001")])
    flow.poll()
    original = flow.record("8001")
    assert (
        original.order.state is OrderState.STOCK_RESERVED
        or original.order.state is OrderState.ON_HOLD
    )
    lines = [[ln.line_id] for ln in original.order.lines]
    flow.rt.loop.run(flow.rt.engine.split("demo", "trendyol:8001", lines, "user:ayse"))
    flow.nilvera.outage(False, lookup_only=True)
    flow.clock.skip(120)
    flow.poll()
    original = flow.record("8001")
    assert original.order.state is OrderState.CANCELLED and original.order.superseded
    assert original.invoice_id is None and original.reserved == {}
    parts = [i for i in flow.invoices()]
    assert len(parts) == 2 and {i["order_id"] for i in parts} != {"trendyol:8001"}
    assert sorted(len(i["lines"]) for i in parts) == [1, 1]
    stock = flow.rt.store.tenant("demo")
    assert stock.get("stock", "p-tisort").body["reserved"] == 1
    assert stock.get("stock", "p-kazak").body["reserved"] == 1


def test_an_invoiced_order_cannot_be_split(flow):
    flow.seed([_two_line_order("8002")])
    flow.poll()
    rec = flow.record("8002")
    assert rec.order.state is OrderState.BOOKED
    with pytest.raises(InvalidInputError, match="only before invoicing"):
        flow.rt.loop.run(
            flow.rt.engine.split("demo", "trendyol:8002", [["800201"], ["800202"]], "user:ayse")
        )
