"""Invoice money: VAT-inclusive order lines → invoice lines, subtotals and totals that add up."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan.domain import (
    FOREIGN_PLACEHOLDER,
    Address,
    DocumentKind,
    Order,
    OrderLine,
    Party,
    PartyKind,
    kurus,
)
from kervan.errors import InvalidInputError
from kervan.invoicing import (
    ZERO_RATE_CODE,
    balance_subtotals,
    check_arithmetic,
    invoice_from_order,
    return_invoice,
    split_net,
)
from kervan.roles import Alias, Registration
from kervan.tax import LookupFailed, decide

NOW = datetime(2026, 5, 4, 10, 0, 30, 123456, tzinfo=UTC)
TR = Address(lines=["Atatürk Cad. 1"], district="Kadıköy", city="İstanbul", postal_code="34710")
DE = Address(lines=["Unter den Linden 1"], district="Mitte", city="Berlin", country="DE")
SELLER = Party(kind=PartyKind.COMPANY, tax_id="4540536920", company_name="Satıcı A.Ş.", address=TR)
PERSON = Party(kind=PartyKind.PERSON, tax_id="17291716060", first_name="Ali", last_name="Veli")
UUID = "12345678-1234-1234-1234-123456789012"
C = Decimal("0.01")


def line(i: int, price: str, qty: str = "1", rate: int = 20, discount: str = "0", hs=None):
    return OrderLine(
        line_id=f"L{i}",
        barcode=f"b{i}",
        name=f"Ürün {i}",
        quantity=Decimal(qty),
        unit_price=Decimal(price),
        vat_rate=rate,
        discount=Decimal(discount),
        hs_code=hs,
    )


def order(*lines: OrderLine, buyer: Party = PERSON, abroad=False, micro=False, currency="TRY"):
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
        micro_export=micro,
        currency=currency,
        cargo_provider="Yurtiçi Kargo",
        ordered_at=NOW,
    )


def not_registered(o: Order) -> Registration:
    return Registration(tax_id=o.buyer.tax_id, registered=False, checked_at=NOW, source="t")


def issue(o: Order, lookup=None, **kw):
    decision = decide(o, lookup if lookup is not None else not_registered(o))
    return invoice_from_order(
        o,
        decision,
        seller=SELLER,
        number="KRA2026000000001",
        uuid=UUID,
        issued_at=NOW,
        sender_alias=None,
        website="https://shop.example",
        **kw,
    )


def test_single_line_splits_vat_inclusive_price():
    inv = issue(order(line(1, "120.00")))
    (ln,) = inv.lines
    assert (ln.line_extension, ln.vat_amount) == (Decimal("100.00"), Decimal("20.00"))
    assert ln.unit_price == Decimal("100")
    assert inv.totals.payable == Decimal("120.00")


def test_rounding_is_per_rate_with_largest_remainder():
    # three lines of 0.10 at 20%: 0.0833.. each; the group's net is round(0.30/1.2) = 0.25
    inv = issue(order(line(1, "0.10"), line(2, "0.10"), line(3, "0.10")))
    nets = [x.line_extension for x in inv.lines]
    assert nets == [Decimal("0.09"), Decimal("0.08"), Decimal("0.08")]
    assert sum(nets) == Decimal("0.25")
    (sub,) = inv.tax_subtotals
    assert (sub.taxable_amount, sub.tax_amount) == (Decimal("0.25"), Decimal("0.05"))
    assert check_arithmetic(inv) == []


def test_split_net_sums_to_the_rounded_group_net():
    assert split_net([Decimal("10.00"), Decimal("10.01")], Decimal(10)) == [
        Decimal("9.09"),
        Decimal("9.10"),
    ]


def test_discount_is_split_out_of_vat_too():
    # 2 × 59.90 = 119.80 gross, 19.80 discount → 100.00 paid; 20% VAT
    inv = issue(order(line(1, "59.90", qty="2", discount="19.80")))
    (ln,) = inv.lines
    assert ln.line_extension + ln.vat_amount == Decimal("100.00")
    assert ln.discount == kurus(Decimal("19.80") / Decimal("1.2"))
    assert kurus(ln.quantity * ln.unit_price) - ln.discount == ln.line_extension
    assert check_arithmetic(inv) == []


def test_several_rates_give_one_subtotal_each():
    inv = issue(order(line(1, "10.00", rate=1), line(2, "110.00", rate=10), line(3, "99.99")))
    assert [s.rate for s in inv.tax_subtotals] == [Decimal(1), Decimal(10), Decimal(20)]
    assert inv.totals.payable == Decimal("219.99")
    assert inv.totals.tax_total == sum(s.tax_amount for s in inv.tax_subtotals)


def test_line_too_small_for_vat_carries_the_non_exemption_code_allowed_on_satis():
    # 0.01 TRY at 20 %: the VAT rounds to 0, so GİB wants a code; 351 is the one SATIS allows
    inv = issue(order(line(1, "0.01"), line(2, "12.00")))
    zero = inv.lines[0]
    assert zero.vat_rate == 20 and zero.vat_amount == 0
    assert zero.exemption_code == ZERO_RATE_CODE
    assert inv.type_code == "SATIS"
    assert check_arithmetic(inv) == []


def test_several_lines_too_small_for_vat_leave_both_subtotals_adding_up():
    """Seven 0.01 TL gifts and a 3 × 0.01 TL line at 20 % (found by hypothesis): the
    largest-remainder split gave one gift 0.01 VAT on no base, and the VAT-bearing subtotal
    0.02 VAT on 0.02, which our check refused; a kuruş moves and both subtotals add up."""
    gifts = [line(i, "0.01") for i in range(1, 8)]
    inv = issue(order(*gifts, line(8, "0.01", qty="3"), line(9, "59.90")))
    assert check_arithmetic(inv) == []
    assert [x.vat_amount for x in inv.lines[:7]] == [0] * 7
    assert all(x.exemption_code == ZERO_RATE_CODE for x in inv.lines[:7])
    assert inv.totals.payable == Decimal("60.00")
    alone = issue(order(*gifts, line(8, "0.01", qty="3")))
    assert check_arithmetic(alone) == []
    assert [(s.exemption_code, s.taxable_amount, s.tax_amount) for s in alone.tax_subtotals] == [
        (None, Decimal("0.02"), Decimal("0.01")),
        (ZERO_RATE_CODE, Decimal("0.07"), Decimal("0.00")),
    ]


@st.composite
def small_orders(draw) -> Order:
    """Gift-sized lines (0.01-0.20 TL, mostly under 0.05) among ordinary ones, at most eight
    lines a rate."""
    lines = []
    for rate in draw(st.lists(st.sampled_from([1, 10, 20]), min_size=1, max_size=3, unique=True)):
        for _ in range(draw(st.integers(0, 7))):
            price = Decimal(draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4, 5, 9, 13, 20]))) / 100
            qty = draw(st.sampled_from(["1", "1", "2", "3"]))
            lines.append(line(len(lines) + 1, str(price), qty=qty, rate=rate))
        if draw(st.booleans()):
            lines.append(line(len(lines) + 1, str(draw(st.integers(100, 99_999)) / 100), rate=rate))
    if not lines:
        lines.append(line(1, "0.01"))
    return order(*lines)


def _adds_up(payables: list[Decimal], nets: tuple[Decimal, ...], rate: Decimal) -> bool:
    """Both subtotals of one rate within a kuruş: the 351 one (VAT 0) and the VAT-bearing."""
    exempt = sum((n for p, n in zip(payables, nets, strict=True) if p == n), Decimal(0))
    taxable = sum((n for p, n in zip(payables, nets, strict=True) if p != n), Decimal(0))
    vat = sum(payables, Decimal(0)) - exempt - taxable
    return kurus(exempt * rate / 100) <= C and abs(vat - kurus(taxable * rate / 100)) <= C


def _some_split_adds_up(payables: list[Decimal], rate: Decimal) -> bool:
    """Whether any split of one rate's payables, each line within a kuruş of its own net ×
    rate, leaves both subtotals adding up (every candidate net, exhaustively)."""
    options = []
    for p in payables:
        near = kurus(p / (1 + rate / 100))
        nets = [near + k * C for k in (-2, -1, 0, 1, 2)]
        options.append(
            [n for n in nets if 0 <= n <= p and abs(kurus(n * rate / 100) - (p - n)) <= C]
        )
    return any(_adds_up(payables, nets, rate) for nets in itertools.product(*options))


@settings(max_examples=1000, deadline=None)
@given(small_orders())
def test_gift_sized_lines_add_up_whenever_some_split_does(o):
    """Lines too small for VAT make some orders impossible to split to the kuruş (eleven
    kuruş of 0.01-0.02 TL lines at 20 %: the 351 subtotal holds at most 0.07, and each
    line that bears VAT bears a whole kuruş). Whenever an exhaustive search finds a split
    that adds up, the invoice's does; ordinary orders are split as before."""
    inv = issue(o)
    assert inv.totals.payable == o.total
    for order_line, inv_line in zip(o.lines, inv.lines, strict=True):
        assert inv_line.line_extension + inv_line.vat_amount == order_line.payable
        assert inv_line.line_extension >= 0 and inv_line.vat_amount >= 0
    feasible = True
    for rate in {x.vat_rate for x in o.lines}:
        payables = [x.payable for x in o.lines if x.vat_rate == rate]
        nets = split_net(payables, rate)
        if _adds_up(payables, tuple(nets), rate):  # nothing to mend: nothing moves
            assert balance_subtotals(payables, nets, rate) == nets
        feasible = feasible and _some_split_adds_up(payables, rate)
    assert (check_arithmetic(inv) == []) is feasible


BUYER_CO = Party(
    kind=PartyKind.COMPANY,
    tax_id="3297552117",
    company_name="Alıcı Ltd.",
    tax_office="Kadıköy",
    address=TR,
)


def _registered(o: Order) -> Registration:
    alias = [Alias(name="urn:mail:pk@alici.example")]
    return Registration(
        tax_id=o.buyer.tax_id, registered=True, aliases=alias, checked_at=NOW, source="t"
    )


def _iade(original, quantities):
    return return_invoice(
        original,
        quantities,
        number="ALC2026000000001",
        uuid="12345678-1234-1234-1234-123456789099",
        issued_at=NOW,
    )


def test_a_returned_gift_refunds_the_vat_it_carried_none():
    """The sale put seven 0.01 TL gifts under 351 with no VAT; their return refunds none
    either (it used to refund a kuruş of VAT on one of them, still under 351)."""
    gifts = [line(i, "0.01") for i in range(1, 8)]
    o = order(*gifts, line(8, "59.90"), buyer=BUYER_CO)
    sale = issue(o, _registered(o))
    iade = _iade(sale, {i: Decimal(1) for i in range(1, 8)})
    assert check_arithmetic(iade) == []
    assert [(x.vat_amount, x.exemption_code) for x in iade.lines] == [(0, ZERO_RATE_CODE)] * 7
    assert iade.totals.tax_total == 0 and iade.totals.payable == Decimal("0.07")


@settings(max_examples=500, deadline=None)
@given(small_orders(), st.data())
def test_returns_of_gift_sized_lines_add_up_and_say_351_only_without_vat(o, data):
    o = o.model_copy(update={"buyer": BUYER_CO})
    sale = issue(o, _registered(o))
    picks = data.draw(st.lists(st.sampled_from(sale.lines), min_size=1, unique_by=lambda x: x.id))
    quantities = {x.id: data.draw(st.sampled_from([x.quantity, Decimal(1)])) for x in picks}
    iade = _iade(sale, quantities)
    feasible = True
    for rate in {x.vat_rate for x in iade.lines}:
        refunds = [x.line_extension + x.vat_amount for x in iade.lines if x.vat_rate == rate]
        feasible = feasible and _some_split_adds_up(refunds, rate)
    if check_arithmetic(sale) == []:
        assert (check_arithmetic(iade) == []) is feasible
    by_id = {x.id: x for x in sale.lines}
    for x, (line_id, qty) in zip(iade.lines, sorted(quantities.items()), strict=True):
        sold = by_id[line_id]
        if qty == sold.quantity:  # a whole line refunds what was paid for it
            assert x.line_extension + x.vat_amount == sold.line_extension + sold.vat_amount
        assert (x.exemption_code == ZERO_RATE_CODE) is (x.vat_amount == 0)


def test_zero_rate_on_a_taxed_sale_is_refused_naming_the_line_and_date():
    with pytest.raises(InvalidInputError, match=r"line 1 \(barcode b1\): 0 % VAT .*2026-05-04"):
        issue(order(line(1, "50.00", rate=0), line(2, "12.00")))


def test_micro_export_is_exempt_e_arsiv_with_foreign_placeholder_and_internet_sale():
    o = order(line(1, "120.00", hs="610910000000"), abroad=True, micro=True, currency="EUR")
    inv = issue(o, exchange_rate=Decimal("36.1234567"))
    assert (inv.kind, inv.profile, inv.type_code) == (
        DocumentKind.EXPORT,
        "EARSIVFATURA",
        "ISTISNA",
    )
    assert inv.lines[0].vat_amount == 0 and inv.lines[0].exemption_code == "301"
    assert inv.totals.payable == Decimal("120.00")  # VAT-free: the buyer's price is the net
    assert inv.buyer.tax_id == FOREIGN_PLACEHOLDER
    assert inv.exchange_rate == Decimal("36.123457")
    assert inv.internet_sale is not None
    # no carrier was given: none is named (never a name without its VKN)
    assert inv.internet_sale.carrier_name is None and inv.internet_sale.carrier_tax_id is None


def test_registered_buyer_invoice_has_no_internet_block_and_alias():
    company = Party(kind=PartyKind.COMPANY, tax_id="3297552117", company_name="Alıcı Ltd.")
    o = order(line(1, "120.00"), buyer=company)
    reg = Registration(
        tax_id="3297552117",
        registered=True,
        aliases=[Alias(name="urn:mail:pk@alici")],
        checked_at=NOW,
        source="t",
    )
    inv = issue(o, reg)
    assert (inv.kind, inv.profile, inv.receiver_alias) == (
        DocumentKind.EFATURA,
        "TEMELFATURA",
        "urn:mail:pk@alici",
    )
    assert inv.internet_sale is None
    assert inv.issued_at == NOW.replace(microsecond=0)


def test_held_decision_cannot_become_an_invoice():
    o = order(line(1, "1.00"))
    with pytest.raises(InvalidInputError, match="on hold"):
        issue(o, LookupFailed(reason="timeout", at=NOW))


def test_foreign_currency_needs_an_exchange_rate():
    with pytest.raises(InvalidInputError, match="exchange rate"):
        issue(order(line(1, "1.00"), abroad=True, micro=True, currency="USD"))


def test_ihracat_needs_gtip_on_every_line():
    with pytest.raises(InvalidInputError, match="GTİP"):
        issue(order(line(1, "1.00", hs="610910000000"), line(2, "2.00"), abroad=True))


def test_sole_trader_under_tckn_keeps_the_persons_names_and_the_trade_name():
    trader = Party(
        kind=PartyKind.COMPANY,
        tax_id="10000000146",
        first_name="Ayşe",
        last_name="Yılmaz",
        company_name="Ayşe Yılmaz Ticaret",
    )
    inv = issue(order(line(1, "10.00"), buyer=trader))
    assert (inv.buyer.first_name, inv.buyer.last_name) == ("Ayşe", "Yılmaz")
    assert inv.buyer.company_name == "Ayşe Yılmaz Ticaret"


def test_sole_trader_under_tckn_without_the_persons_names_is_refused_not_split():
    # splitting the trade name at its last space gave FirstName="Ayşe Yılmaz",
    # FamilyName="Ticaret": nobody's name
    trader = Party(kind=PartyKind.COMPANY, tax_id="10000000146", company_name="Ayşe Yılmaz Ticaret")
    with pytest.raises(InvalidInputError, match="first and last name") as caught:
        issue(order(line(1, "10.00"), buyer=trader))
    assert {("buyer", "first_name"), ("buyer", "last_name")} <= {
        tuple(e["loc"]) for e in caught.value.errors
    }


def test_address_phone_moves_to_the_party():
    o = order(line(1, "1.00"))
    o = o.model_copy(update={"invoice_address": TR.model_copy(update={"phone": "+90 555"})})
    inv = issue(o)
    assert inv.buyer.phone == "+90 555" and inv.buyer.address.phone is None


@pytest.mark.parametrize(
    ("tamper", "element"),
    [
        (
            lambda i: {"totals": i.totals.model_copy(update={"payable": i.totals.payable + C})},
            "PayableAmount",
        ),
        (
            lambda i: {"totals": i.totals.model_copy(update={"tax_total": i.totals.tax_total + C})},
            "cac:TaxTotal/cbc:TaxAmount",
        ),
        (
            lambda i: {
                "totals": i.totals.model_copy(
                    update={"line_extension": i.totals.line_extension - C}
                )
            },
            "LineExtensionAmount",
        ),
        (
            lambda i: {
                "lines": [
                    i.lines[0].model_copy(update={"vat_amount": i.lines[0].vat_amount + 5 * C}),
                    *i.lines[1:],
                ]
            },
            "InvoiceLine[1]",
        ),
        (
            lambda i: {
                "lines": [
                    i.lines[0].model_copy(update={"line_extension": i.lines[0].line_extension + C}),
                    *i.lines[1:],
                ]
            },
            "InvoiceLine[1]/cbc:LineExtensionAmount",
        ),
        (
            lambda i: {"lines": [*i.lines[:1], i.lines[1].model_copy(update={"id": 5})]},
            "InvoiceLine[2]/cbc:ID",
        ),
        (
            lambda i: {
                "tax_subtotals": [
                    s.model_copy(update={"tax_amount": s.tax_amount + C}) for s in i.tax_subtotals
                ]
            },
            "TaxSubtotal",
        ),
        (lambda i: {"tax_subtotals": i.tax_subtotals[:1]}, "TaxSubtotal"),
    ],
)
def test_check_arithmetic_names_the_element(tamper, element):
    inv = issue(order(line(1, "120.00"), line(2, "11.00", rate=10)))
    assert check_arithmetic(inv) == []
    bad = inv.model_copy(update=tamper(inv))
    problems = check_arithmetic(bad)
    assert problems and any(element in p for p in problems), problems


# ---------------------------------------------------------------------------------------------
# properties


@st.composite
def order_lines(draw, i: int, abroad: bool) -> OrderLine:
    qty = draw(st.sampled_from(["1", "2", "3", "10", "1.5", "0.125"]))
    price = Decimal(draw(st.integers(1, 10_000_000))) / 100
    gross = kurus(price * Decimal(qty))
    discount = kurus(gross * Decimal(draw(st.sampled_from([0, 0, 1, 10, 50, 99, 100]))) / 100)
    # 0 % only abroad (exempt); a taxed sale takes a rate valid on the issue date
    rate = draw(st.sampled_from([0, 1, 10, 20] if abroad else [1, 10, 20]))
    hs = "610910000000" if abroad else None
    return line(i, str(price), qty=qty, rate=rate, discount=str(discount), hs=hs)


@st.composite
def orders(draw) -> Order:
    n = draw(st.integers(1, 12))
    abroad = draw(st.booleans())
    lines = [draw(order_lines(i + 1, abroad)) for i in range(n)]
    return order(*lines, abroad=abroad, micro=abroad and draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(orders())
def test_money_adds_up_to_the_kurus(o):
    inv = issue(o, **({"exchange_rate": None} if o.currency == "TRY" else {}))
    assert check_arithmetic(inv) == []
    # what the buyer paid is what the invoice says, line by line and in total
    assert inv.totals.payable == o.total
    for order_line, inv_line in zip(o.lines, inv.lines, strict=True):
        assert inv_line.line_extension + inv_line.vat_amount == order_line.payable
        assert (
            abs(inv_line.vat_amount - kurus(inv_line.line_extension * inv_line.vat_rate / 100)) <= C
        )
        assert inv_line.line_extension >= 0 and inv_line.vat_amount >= 0
    for sub in inv.tax_subtotals:
        assert abs(sub.tax_amount - kurus(sub.taxable_amount * sub.rate / 100)) <= C
        if sub.tax_amount == 0:
            assert sub.exemption_code
    assert inv.line_count == len(o.lines)
    assert [x.id for x in inv.lines] == list(range(1, len(o.lines) + 1))


def test_dates_are_turkish_local_dates():
    late = datetime(2026, 5, 4, 22, 30, tzinfo=UTC)  # 01:30 on 5 May in Turkey
    o = order(line(1, "10.00")).model_copy(update={"ordered_at": late})
    inv = invoice_from_order(
        o,
        decide(o, not_registered(o)),
        seller=SELLER,
        number="KRA2026000000001",
        uuid=UUID,
        issued_at=late,
        sender_alias=None,
        website="https://shop.example",
    )
    assert inv.order_date == inv.internet_sale.payment_date == inv.internet_sale.send_date
    assert inv.order_date.isoformat() == "2026-05-05"
