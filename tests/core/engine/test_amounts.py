"""Reconciliation before numbering: the invoice states what the buyer paid (VUK 230).

Random Trendyol packages (seller- and Trendyol-funded discounts, several units a line, VAT 1, 10
and 20, personal and corporate buyers) are mapped by the Trendyol plugin and run through the
engine on both store adapters. Whenever Trendyol's ``packageTotalPrice`` equals the lines, the
invoice's ``PayableAmount`` equals it to the kuruş; whenever it does not, the order is held with
both figures and no number is used (no ``docno`` counter moved, no reservation written)."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan import Registration
from kervan.domain import OrderLine, OrderState
from kervan.engine import Engine, amounts
from kervan.engine.amounts import Choice, check, resolve, spread
from kervan.engine.records import INVOICE, ORDER, OrderRecord
from kervan.errors import InvalidInputError, StateConflictError
from kervan.invoicing import invoice_from_order
from kervan.numbering import RESERVATION_KIND, Channel, counter_name
from kervan.store import Query, open_store
from kervan.tax import decide
from kervan_trendyol.mapping import package_to_order

from .fakes import SELLER, T0, Clock, Provider, Tenants, World, order

CENT = Decimal("0.01")
SERIES_YEARS = (T0.year, T0.year + 1)


# -- random Trendyol packages ----------------------------------------------------------------


@st.composite
def trendyol_line(draw: Any, n: int) -> dict[str, Any]:
    """One package line as getShipmentPackages sends it: ``lineGrossAmount`` a unit's gross,
    one ``discountDetails`` entry a unit (sometimes left out: then the line totals count)."""
    quantity = draw(st.integers(1, 5))
    gross = draw(st.integers(1, 500_000))  # kuruş
    units = []
    for _ in range(quantity):
        seller = draw(st.one_of(st.just(0), st.integers(0, gross)))
        ty = draw(st.one_of(st.just(0), st.integers(0, gross - seller)))
        units.append((seller, ty))
    details = [
        {
            "lineItemPrice": float(Decimal(gross - s - t) * CENT),
            "lineItemSellerDiscount": float(Decimal(s) * CENT),
            "lineItemTyDiscount": float(Decimal(t) * CENT),
        }
        for s, t in units
    ]
    seller_total = sum(s for s, _ in units)
    ty_total = sum(t for _, t in units)
    line: dict[str, Any] = {
        "lineId": 4_000_000 + n,
        "quantity": quantity,
        "barcode": f"86900000{n:05d}",
        "stockCode": f"SKU-{n}",
        "productName": f"Ürün {n}",
        "lineGrossAmount": float(Decimal(gross) * CENT),
        "lineSellerDiscount": float(Decimal(seller_total) * CENT),
        "lineTyDiscount": float(Decimal(ty_total) * CENT),
        "lineTotalDiscount": float(Decimal(seller_total + ty_total) * CENT),
        "vatRate": draw(st.sampled_from([1, 10, 20])),
    }
    if draw(st.booleans()):
        line["discountDetails"] = details
    return {"json": line, "gross": gross * quantity, "seller": seller_total, "ty": ty_total}


@st.composite
def trendyol_package(draw: Any) -> dict[str, Any]:
    """A package, its ``packageTotalPrice`` as Trendyol computes it (the TY-funded discount is
    in the package figures of corporate packages only) or, when ``off``, a different one."""
    lines = [draw(trendyol_line(n)) for n in range(draw(st.integers(1, 4)))]
    corporate = draw(st.booleans())
    gross = sum(x["gross"] for x in lines)
    seller = sum(x["seller"] for x in lines)
    ty = sum(x["ty"] for x in lines) if corporate else 0
    payable = gross - seller - ty
    off = draw(st.one_of(st.just(0), st.integers(-50_000, 50_000)))
    if payable + off < 0:
        off = -payable
    invoice = {
        "firstName": "Ayşe",
        "lastName": "Yılmaz",
        "address1": "Bağdat Cd. 5 D:3",
        "city": "İstanbul",
        "district": "Kadıköy",
        "postalCode": "34710",
        "countryCode": "TR",
        "company": "Örnek Gıda A.Ş." if corporate else "",
    }
    if corporate:
        invoice.update(taxNumber="3297552117", taxOffice="Beşiktaş")
    pkg = {
        "shipmentPackageId": 3_300_000_001,
        "orderNumber": "10999000001",
        "commercial": corporate,
        "identityNumber": "17291716060",
        "invoiceAddress": invoice,
        "shipmentAddress": invoice,
        "lines": [x["json"] for x in lines],
        "packageGrossAmount": float(Decimal(gross) * CENT),
        "packageSellerDiscount": float(Decimal(seller) * CENT),
        "packageTyDiscount": float(Decimal(ty) * CENT),
        "packageTotalDiscount": float(Decimal(seller + ty) * CENT),
        "packageTotalPrice": float(Decimal(payable + off) * CENT),
        "orderDate": 1_795_000_000_000,
        "agreedDeliveryDate": 1_795_200_000_000,
        "status": "Created",
        "currencyCode": "TRY",
    }
    return {"package": pkg, "off": off}


# -- the property ----------------------------------------------------------------------------


def _open(adapter: str, tmp: Path):
    if adapter == "sqlite":
        return open_store(f"sqlite:///{tmp}/kervan.db")
    from couchbase_fake import FakeCluster
    from kervan.store.couchbase import CouchbaseStore

    return CouchbaseStore(FakeCluster(), "kervan", "kervan")


def numbers_used(store, tenant: Tenants) -> dict[str, int]:
    """Every ``docno`` counter the tenant's series could have moved, and the reservations."""
    ts = store.tenant("t1")
    used = {}
    for series in set(tenant.tenant.settings.invoice_series.values()):
        for year in SERIES_YEARS:
            for channel in (None, *Channel):
                name = counter_name(series, year, channel)
                used[name] = ts.counter(name, delta=0)
    used["reservations"] = len(ts.query(Query(RESERVATION_KIND, limit=1000)))
    return used


async def _through_engine(adapter: str, pkg: dict[str, Any]) -> tuple[OrderRecord, Any, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        store = _open(adapter, Path(tmp))
        try:
            world, clock, tenants = World(), Clock(), Tenants(auto_approve=True)
            engine = Engine(
                store=store, connectors=Provider(world, clock), tenants=tenants, clock=clock
            )
            mapped = package_to_order(pkg, tenant_id="t1", connection_id="ty")
            world.packages[mapped.package_id] = mapped
            before = numbers_used(store, tenants)
            await engine.ingest("t1", "ty")
            for _ in range(3):
                for oid in engine.due_orders("t1"):
                    await engine.advance("t1", oid)
            ts = store.tenant("t1")
            rec = OrderRecord.from_body(ts.get(ORDER, mapped.id).body)
            doc = ts.get(INVOICE, rec.invoice_id) if rec.invoice_id else None
            after = numbers_used(store, tenants)
            return rec, doc, {"before": before, "after": after}
        finally:
            store.close()


def _invoice(mapped) -> Any:
    reg = Registration(tax_id=mapped.buyer.tax_id, registered=False, checked_at=T0, source="t")
    return invoice_from_order(
        mapped,
        decide(mapped, reg),
        seller=SELLER,
        number="KRA2026000000001",
        uuid=str(uuid.uuid4()),
        issued_at=T0,
        sender_alias=None,
        website="https://example.com",
    )


@pytest.mark.parametrize("adapter", ["sqlite", "couchbase-fake"])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=trendyol_package())
def test_invoice_payable_equals_what_trendyol_says_or_the_order_is_held(adapter, case):
    pkg = case["package"]
    mapped = package_to_order(pkg, tenant_id="t1", connection_id="ty")
    source = Decimal(str(pkg["packageTotalPrice"])).quantize(CENT)
    assert mapped.source_payable == source
    rec, doc, numbers = asyncio.run(_through_engine(adapter, pkg))
    if case["off"] == 0:
        # what invoicing makes PayableAmount, directly and through the engine
        assert _invoice(mapped).totals.payable == source
        assert doc is not None, rec.last_error
        assert Decimal(doc.body["totals"]["payable"]) == source
        assert rec.resolutions.get("amounts") is None
    else:
        lines = sum((line.payable for line in mapped.lines), Decimal(0))
        assert rec.order.state is OrderState.FAILED
        assert rec.invoice_id is None and doc is None
        assert f"the lines add up to {lines} TRY" in rec.last_error
        assert f"trendyol says the buyer paid {source} TRY" in rec.last_error
        held = rec.resolutions["amounts"]
        assert held["status"] == "held"
        assert (held["lines"], held["source"]) == (str(lines), str(source))
        assert Decimal(held["difference"]) == lines - source
        assert numbers["after"] == numbers["before"]  # no number taken, none reserved
        assert rec.order.timeline[-1].step == "invoice"
        assert rec.order.timeline[-1].outcome == "failed"


# -- the check and the resolution, one by one -------------------------------------------------


def _line(n: int, price: str, qty: int = 1, discount: str = "0", vat: int = 20) -> OrderLine:
    return OrderLine(
        line_id=f"l{n}",
        barcode=f"86900000000{n}",
        name=f"Ürün {n}",
        quantity=qty,
        unit_price=price,
        vat_rate=vat,
        discount=discount,
    )


def held_record(source: str = "450.00") -> OrderRecord:
    o = order("h1", lines=[_line(1, "300.00"), _line(2, "100.00", 2, vat=10)])
    o.source_payable = Decimal(source)
    rec = OrderRecord(order=o)
    rec.order.state = OrderState.CLASSIFIED
    message = check(rec)
    assert message is not None
    rec.fail(message)
    return rec


def test_a_source_that_does_not_say_is_not_checked():
    rec = OrderRecord(order=order("n1"))
    assert rec.order.source_payable is None
    assert check(rec) is None and rec.resolutions == {}


def test_the_message_names_both_figures_and_the_difference():
    rec = held_record()
    assert rec.last_error.startswith(
        "amounts differ: the lines add up to 500.00 TRY, fake-source says the buyer paid "
        "450.00 TRY (difference 50.00)"
    )


def test_paid_spreads_the_difference_to_the_kurus_and_the_check_then_passes():
    rec = held_record("433.33")
    resolve(rec, Choice.PAID, "coupon missing from the lines", "user:u1", T0)
    assert sum((line.payable for line in rec.order.lines), Decimal(0)) == Decimal("433.33")
    # in proportion to the payables (300 : 200), largest remainder to the kuruş
    assert [line.discount for line in rec.order.lines] == [Decimal("40.00"), Decimal("26.67")]
    assert rec.order.state is OrderState.CLASSIFIED and rec.failed_from is None
    assert check(rec) is None
    decided = rec.resolutions["amounts"]
    assert decided["choice"] == "paid" and decided["by"] == "user:u1"
    assert (decided["lines"], decided["source"], decided["invoiced"]) == (
        "500.00",
        "433.33",
        "433.33",
    )
    entry = rec.order.timeline[-1]
    assert entry.step == "resolve_amounts" and entry.actor == "user:u1"
    assert "coupon missing" in entry.message


def test_a_paid_decision_applies_again_to_lines_that_came_back_as_sent():
    rec = held_record("433.33")
    sent = list(rec.order.lines)
    resolve(rec, Choice.PAID, "coupon", "user:u1", T0)
    spread_lines = list(rec.order.lines)
    rec.order.lines = sent  # a re-delivery overwrote them
    assert check(rec) is None
    assert rec.order.lines == spread_lines


def test_paid_above_the_lines_takes_discount_back_and_refuses_when_there_is_none():
    o = order("h2", lines=[_line(1, "300.00", discount="30.00"), _line(2, "100.00")])
    assert spread(o.lines, Decimal("390.00"))[0].discount == Decimal("10.00")
    with pytest.raises(InvalidInputError, match=r"carry only 30\.00"):
        spread(o.lines, Decimal("450.00"))
    with pytest.raises(InvalidInputError, match="negative"):
        spread(o.lines, Decimal("-1.00"))


def test_lines_confirmed_pass_for_those_figures_only():
    rec = held_record()
    resolve(rec, Choice.LINES, "invoice as listed, Trendyol pays the rest", "user:u1", T0)
    assert rec.resolutions["amounts"]["choice"] == "lines"
    assert check(rec) is None
    rec.order.source_payable = Decimal("440.00")  # the marketplace says something else now
    message = check(rec)
    assert message is not None and "440.00" in message
    assert rec.resolutions["amounts"]["status"] == "held"
    assert rec.resolutions["amounts"]["history"][0]["choice"] == "lines"


def test_only_an_amounts_hold_can_be_resolved():
    rec = OrderRecord(order=order("c1"))
    with pytest.raises(StateConflictError, match="not held for its amounts"):
        resolve(rec, Choice.LINES, "x", "user:u1", T0)
    rec.fail("something else")
    with pytest.raises(StateConflictError, match="another reason"):
        resolve(rec, Choice.LINES, "x", "user:u1", T0)


async def test_a_resolved_order_is_numbered_with_the_paid_amount(engine, world, store):
    o = order("r1", lines=[_line(1, "300.00"), _line(2, "100.00", 2, vat=10)])
    o.source_payable = Decimal("450.00")
    world.packages["r1"] = o
    await engine.ingest("t1", "ty")
    await engine.advance("t1", "ty:r1")
    ts = store.tenant("t1")
    rec = OrderRecord.from_body(ts.get(ORDER, "ty:r1").body)
    assert rec.order.state is OrderState.FAILED and rec.invoice_id is None
    await amounts.resolve_order(engine, "t1", "ty:r1", Choice.PAID, "TY coupon", "user:u1")
    rec = OrderRecord.from_body(ts.get(ORDER, "ty:r1").body)
    assert rec.invoice_id is not None, rec.last_error
    invoice = ts.get(INVOICE, rec.invoice_id).body
    assert Decimal(invoice["totals"]["payable"]) == Decimal("450.00")
    with pytest.raises(StateConflictError):
        await amounts.resolve_order(engine, "t1", "ty:r1", Choice.PAID, "again", "user:u1")


def test_the_check_keeps_no_figures_when_they_agree():
    o = order("e1", lines=[_line(1, "10.00")])
    o.source_payable = Decimal("10.00")
    rec = OrderRecord(order=o)
    assert check(rec) is None and rec.resolutions == {}


def test_ship_by_and_payable_default_to_none_for_other_sources():
    o = order("d1")
    assert o.ship_by is None and o.source_payable is None
