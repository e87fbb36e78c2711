"""The gider pusulası: what a private person is refunded for a return, with VAT shown separately."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan.domain import Address, ExpenseVoucher, Order, OrderLine, Party, PartyKind, kurus
from kervan.errors import InvalidInputError
from kervan.invoicing import invoice_from_order
from kervan.roles import Registration
from kervan.tax import decide
from kervan.vouchers import RETURN_NOTE, expense_voucher

NOW = datetime(2026, 5, 4, 10, 0, 30, 123456, tzinfo=UTC)
TR = Address(lines=["Atatürk Cad. 1"], district="Kadıköy", city="İstanbul", postal_code="34710")
DE = Address(lines=["Unter den Linden 1"], district="Mitte", city="Berlin", country="DE")
SELLER = Party(kind=PartyKind.COMPANY, tax_id="4540536920", company_name="Satıcı A.Ş.", address=TR)
PERSON = Party(kind=PartyKind.PERSON, tax_id="17291716060", first_name="Ali", last_name="Veli")
COMPANY = Party(kind=PartyKind.COMPANY, tax_id="4540536920", company_name="Alıcı Ltd.")
NUMBER = "KRG2026000000001"


@st.composite
def order_lines(draw, i: int) -> OrderLine:
    qty = draw(st.integers(1, 6))
    price = Decimal(draw(st.integers(1, 500_000))) / 100
    gross = kurus(price * qty)
    discount = Decimal(draw(st.integers(0, int(gross * 100)))) / 100
    return OrderLine(
        line_id=f"L{i}",
        barcode=f"869000000000{i}",
        name=f"Ürün {i}",
        quantity=Decimal(qty),
        unit_price=price,
        vat_rate=draw(st.sampled_from([1, 10, 20])),
        discount=discount if draw(st.booleans()) else Decimal(0),
    )


@st.composite
def orders(draw) -> Order:
    n = draw(st.integers(1, 4))
    return order(*[draw(order_lines(i)) for i in range(n)])


def order(*lines: OrderLine, buyer: Party = PERSON, abroad: bool = False) -> Order:
    return Order(
        id="c:1",
        tenant_id="t",
        connection_id="c",
        source="trendyol",
        order_number="1001",
        package_id="1",
        lines=list(lines),
        buyer=buyer,
        shipping_address=DE if abroad else TR,
        invoice_address=DE if abroad else TR,
        cargo_provider="Yurtiçi Kargo",
        ordered_at=NOW,
    )


def line(i: int, price: str, qty: str = "1", rate: int = 20) -> OrderLine:
    return OrderLine(
        line_id=f"L{i}",
        barcode=f"b{i}",
        name=f"Ürün {i}",
        quantity=Decimal(qty),
        unit_price=Decimal(price),
        vat_rate=rate,
    )


def voucher(o: Order, lines: dict[str, Decimal], **kw) -> ExpenseVoucher:
    return expense_voucher(o, lines, number=NUMBER, issued_at=NOW, seller=SELLER, **kw)


def check_sums(v: ExpenseVoucher) -> None:
    for x in v.lines:
        assert x.net is not None and x.vat_amount is not None and x.vat_rate is not None
        assert x.net + x.vat_amount == x.amount
        # every line's VAT is within a kuruş of net × rate (GİB's tolerance on invoices)
        assert abs(x.vat_amount - x.net * x.vat_rate / 100) <= Decimal("0.01")
    assert v.total == sum(x.amount for x in v.lines)
    assert v.net_total == sum(x.net or 0 for x in v.lines)
    assert v.vat_total == sum(x.vat_amount or 0 for x in v.lines)
    assert v.net_total + v.vat_total == v.total
    for sub in v.vat_subtotals:
        mine = [x for x in v.lines if x.vat_rate == sub.rate]
        assert sub.net == sum(x.net or 0 for x in mine)
        assert sub.vat == sum(x.vat_amount or 0 for x in mine)
        assert sub.net + sub.vat == sub.amount == sum(x.amount for x in mine)
    assert sorted({x.vat_rate for x in v.lines}) == [s.rate for s in v.vat_subtotals]


@settings(max_examples=25, deadline=None)
@given(orders())
def test_a_whole_order_return_refunds_what_the_buyer_paid_split_like_its_invoice(o):
    v = voucher(o, {x.line_id: x.quantity for x in o.lines})
    check_sums(v)
    assert v.total == o.total
    reg = Registration(tax_id=PERSON.tax_id, registered=False, checked_at=NOW, source="t")
    invoice = invoice_from_order(
        o,
        decide(o, reg),
        seller=SELLER,
        number="KRA2026000000001",
        uuid="12345678-1234-1234-1234-123456789012",
        issued_at=NOW,
        sender_alias=None,
        website="https://www.trendyol.com",
    )
    assert [(x.net, x.vat_amount) for x in v.lines] == [
        (x.line_extension, x.vat_amount) for x in invoice.lines
    ]


@settings(max_examples=25, deadline=None)
@given(orders(), st.data())
def test_a_part_return_refunds_the_units_pro_rata_and_adds_up(o, data):
    picks = {}
    for x in o.lines:
        if data.draw(st.booleans(), label=f"return {x.line_id}"):
            picks[x.line_id] = Decimal(data.draw(st.integers(1, int(x.quantity))))
    if not picks:
        picks[o.lines[0].line_id] = Decimal(1)
    v = voucher(o, picks)
    check_sums(v)
    by_id = {x.line_id: x for x in o.lines}
    for x in v.lines:
        ordered = by_id[x.order_line_id or ""]
        assert x.quantity == picks[ordered.line_id]
        assert x.amount == kurus(ordered.payable * x.quantity / ordered.quantity)
        assert x.vat_rate == ordered.vat_rate
    assert v.total <= o.total


def test_voucher_names_the_person_order_and_claim_and_shows_vat_per_rate():
    o = order(line(1, "120.00", "2"), line(2, "55.00", rate=10))
    v = voucher(o, {"L1": Decimal(1), "L2": Decimal(1)}, claim_id="claim-7")
    assert v.id == "expense_voucher:claim-7" and v.claim_id == "claim-7"
    assert v.order_id == "c:1" and v.order_number == "1001" and v.number == NUMBER
    assert v.person.tax_id == PERSON.tax_id and v.person.address == TR  # VUK 234: address
    assert v.issued_at.microsecond == 0
    assert RETURN_NOTE in v.notes
    assert [(s.rate, s.net, s.vat, s.amount) for s in v.vat_subtotals] == [
        (Decimal(10), Decimal("50.00"), Decimal("5.00"), Decimal("55.00")),
        (Decimal(20), Decimal("100.00"), Decimal("20.00"), Decimal("120.00")),
    ]
    assert v.total == Decimal("175.00")


def test_an_export_sale_was_invoiced_without_vat_so_its_refund_carries_none():
    v = voucher(order(line(1, "100.00"), abroad=True), {"L1": Decimal(1)})
    assert (v.lines[0].vat_rate, v.lines[0].vat_amount, v.vat_total) == (0, 0, 0)
    assert v.total == Decimal("100.00")


@pytest.mark.parametrize(
    ("buyer", "registered", "why"),
    [
        (COMPANY, False, "is a company"),
        (PERSON, True, "registered for e-Fatura"),
        (
            Party(kind=PartyKind.PERSON, tax_id="4540536920", first_name="A", last_name="B"),
            False,
            "VKN",
        ),
    ],
)
def test_a_taxpayer_buyer_gets_no_voucher_it_issues_an_iade(buyer, registered, why):
    with pytest.raises(InvalidInputError, match=why) as caught:
        voucher(order(line(1, "10.00"), buyer=buyer), {"L1": Decimal(1)}, registered=registered)
    assert "IADE" in caught.value.message
    assert caught.value.errors[0]["loc"] == ["order", "buyer"]


@pytest.mark.parametrize(
    ("picks", "match"),
    [
        ({"L9": Decimal(1)}, "no lines"),
        ({"L1": Decimal(0)}, "more than 0"),
        ({"L1": Decimal(3)}, "at most 2"),
        ({}, "at least one"),
    ],
)
def test_lines_that_are_not_the_orders_are_refused(picks, match):
    with pytest.raises(InvalidInputError, match=match):
        voucher(order(line(1, "10.00", "2")), picks)


def test_a_voucher_written_before_vat_was_shown_still_loads():
    old = {
        "id": "expense_voucher:c1",
        "tenant_id": "t",
        "number": "GPS2026000000001",
        "issued_at": "2026-03-05T10:00:00Z",
        "seller": SELLER.model_dump(mode="json"),
        "person": PERSON.model_dump(mode="json"),
        "lines": [{"name": "Ürün", "quantity": "1", "unit_price": "10.00", "amount": "10.00"}],
        "total": "10.00",
    }
    v = ExpenseVoucher.model_validate(old)
    assert v.lines[0].vat_rate is None and v.vat_subtotals == [] and v.vat_total is None
