"""Issue 16's invoice rules: VAT rates by date, GTİP and ETGB limits on exports, the e-Arşiv
carrier and dispatch date, sole traders, and no IADE from a private person."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from kervan.domain import Address, Order, OrderLine, Party, PartyKind, ProductCard
from kervan.errors import InvalidInputError
from kervan.exports import ETGB_LIMITS, etgb_limits_on, export_problems
from kervan.invoicing import carrier_for, invoice_from_order, order_problems, return_invoice
from kervan.roles import Alias, CarrierLegal, Registration
from kervan.tax import decide
from kervan.vat import RATE_TABLE, rate_problem, rates_on

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
TR = Address(lines=["Atatürk Cad. 1"], district="Kadıköy", city="İstanbul", postal_code="34710")
DE = Address(lines=["Unter den Linden 1"], district="Mitte", city="Berlin", country="DE")
SELLER = Party(kind=PartyKind.COMPANY, tax_id="4540536920", company_name="Satıcı A.Ş.", address=TR)
PERSON = Party(kind=PartyKind.PERSON, tax_id="17291716060", first_name="Ali", last_name="Veli")
COMPANY = Party(kind=PartyKind.COMPANY, tax_id="3297552117", company_name="Alıcı Ltd.")
CARRIER = CarrierLegal(name="Örnek Kargo A.Ş.", tax_id="3297552117", city="Bursa", source="t")
GTIP = "610910000000"


def line(i, price="100.00", qty="1", rate=20, hs=None):
    return OrderLine(
        line_id=f"L{i}",
        barcode=f"b{i}",
        name=f"Ürün {i}",
        quantity=Decimal(qty),
        unit_price=Decimal(price),
        vat_rate=rate,
        hs_code=hs,
    )


def order(*lines, buyer=PERSON, abroad=False, micro=False, currency="TRY", at=NOW):
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
        cargo_provider="Örnek Kargo Marketplace",
        ordered_at=at,
    )


def card(barcode, hs=None, kg=None):
    return ProductCard(
        id=f"p-{barcode}",
        tenant_id="t",
        sku=f"S-{barcode}",
        name="Ürün",
        barcodes=[barcode],
        hs_code=hs,
        weight_kg=kg,
    )


def decision_for(o, registered=False):
    reg = Registration(
        tax_id=o.buyer.tax_id,
        registered=registered,
        aliases=[Alias(name="urn:mail:pk@a")] if registered else [],
        checked_at=NOW,
        source="t",
    )
    return decide(o, reg)


def issue(o, at=NOW, registered=False, **kw):
    return invoice_from_order(
        o,
        decision_for(o, registered),
        seller=SELLER,
        number="KRA2026000000001",
        uuid="12345678-1234-1234-1234-123456789012",
        issued_at=at,
        sender_alias=None,
        website="https://shop.example",
        **kw,
    )


# ---------------------------------------------------------------------------------------------
# VAT rates by date


def test_rate_table_switches_on_10_july_2023_without_gap_or_overlap():
    assert rates_on(date(2023, 7, 9)) == {Decimal(1), Decimal(8), Decimal(18)}
    assert rates_on(date(2023, 7, 10)) == {Decimal(1), Decimal(10), Decimal(20)}
    assert RATE_TABLE[0].valid_to + timedelta(days=1) == RATE_TABLE[1].valid_from
    assert "7346" in RATE_TABLE[1].source


@pytest.mark.parametrize("rate", [18, 8, 7])
def test_abolished_or_unknown_rates_are_refused_after_july_2023_naming_line_and_date(rate):
    problem = rate_problem(Decimal(rate), None, date(2026, 5, 4), where="line 2 (barcode b2)")
    assert problem is not None
    assert problem.startswith("line 2 (barcode b2): VAT")
    assert "2026-05-04" in problem and "1 %, 10 %, 20 %" in problem


def test_18_percent_was_valid_before_the_change_and_20_was_not():
    assert rate_problem(Decimal(18), None, date(2023, 7, 9), where="x") is None
    assert rate_problem(Decimal(20), None, date(2023, 7, 9), where="x") is not None


def test_zero_rate_needs_a_real_exemption_code_and_351_is_none():
    day = date(2026, 5, 4)
    assert rate_problem(Decimal(0), "301", day, where="x") is None
    assert rate_problem(Decimal(0), None, day, where="x") is not None
    assert rate_problem(Decimal(0), "351", day, where="x") is not None


def test_an_18_percent_order_invoiced_today_is_held_and_refused():
    o = order(line(1), line(2, rate=18))
    problems = order_problems(o, decision_for(o), issued_at=NOW, carrier=CARRIER)
    assert len(problems) == 1 and problems[0].startswith("line 2 (barcode b2): VAT 18 %")
    with pytest.raises(InvalidInputError, match=r"line 2 \(barcode b2\): VAT 18 %.*2026-05-04"):
        issue(o)


def test_the_same_order_issued_before_the_change_passes():
    before = datetime(2023, 7, 9, 9, 0, tzinfo=UTC)
    o = order(line(1, rate=18), at=before)
    assert issue(o, at=before, carrier=CARRIER).lines[0].vat_rate == 18


def test_export_lines_are_exempt_whatever_rate_the_marketplace_reported():
    o = order(line(1, rate=18, hs=GTIP), abroad=True)
    assert order_problems(o, decision_for(o), issued_at=NOW) == []


# ---------------------------------------------------------------------------------------------
# GTİP and ETGB


def test_every_export_line_needs_a_gtip_and_the_problem_names_the_line():
    for micro in (False, True):
        o = order(line(1, hs=GTIP), line(2), abroad=True, micro=micro, currency="EUR")
        problems = export_problems(o, issued_on=NOW.date(), cards={"b1": card("b1", kg="1")})
        assert any(p.startswith("line 2 (barcode b2): an export needs a GTİP") for p in problems)
        with pytest.raises(InvalidInputError, match=r"line 2 \(barcode b2\).*GTİP"):
            issue(o, exchange_rate=Decimal(40))


def test_gtip_comes_from_the_product_card_when_the_line_has_none():
    o = order(line(1), abroad=True)
    inv = issue(o, cards={"b1": card("b1", hs="6109.10.00.00.00")})
    assert inv.lines[0].hs_code == GTIP


def test_a_gtip_must_have_12_digits():
    o = order(line(1, hs="610910"), abroad=True)
    (problem,) = export_problems(o, issued_on=NOW.date())
    assert "'610910' is not a 12-digit" in problem


def test_etgb_limits_by_date_300kg_15000eur_then_600kg_30000eur():
    old = etgb_limits_on(date(2026, 1, 2))
    new = etgb_limits_on(date(2026, 1, 3))
    assert (old.max_gross_kg, old.max_value_eur) == (300, 15000)
    assert (new.max_gross_kg, new.max_value_eur) == (600, 30000)
    assert all(row.source for row in ETGB_LIMITS)


def micro(*lines, currency="EUR"):
    return order(*lines, abroad=True, micro=True, currency=currency)


def test_micro_export_over_the_weight_limit_is_held_with_the_figures():
    o = micro(line(1, qty="7", hs=GTIP))
    cards = {"b1": card("b1", kg="90")}  # 630 kg
    (problem,) = export_problems(o, issued_on=NOW.date(), cards=cards)
    assert "gross weight 630 kg is over the ETGB limit of 600 kg" in problem
    before = date(2025, 12, 1)
    o2 = micro(line(1, qty="4", hs=GTIP))  # 360 kg: over 300 then, under 600 now
    assert export_problems(o2, issued_on=NOW.date(), cards=cards) == []
    assert "limit of 300 kg" in export_problems(o2, issued_on=before, cards=cards)[0]
    with pytest.raises(InvalidInputError, match="ETGB limit of 600 kg"):
        issue(o, cards=cards, exchange_rate=Decimal(40))


def test_micro_export_over_the_value_limit_is_held_in_any_currency():
    cards = {"b1": card("b1", kg="1")}
    eur = micro(line(1, price="30000.01", hs=GTIP))
    (problem,) = export_problems(eur, issued_on=NOW.date(), cards=cards)
    assert "value 30000.01 EUR" in problem and "limit of 30000 EUR" in problem
    # 1,300,000 TRY at 40 TRY/EUR is 32,500 EUR
    tl = micro(line(1, price="1300000.00", hs=GTIP), currency="TRY")
    rates = {"EUR": Decimal(40)}
    (problem,) = export_problems(tl, issued_on=NOW.date(), cards=cards, exchange_rates=rates)
    assert "value 32500.00 EUR (1300000.00 TRY)" in problem
    ok = micro(line(1, price="29999.99", hs=GTIP))
    assert export_problems(ok, issued_on=NOW.date(), cards=cards) == []


def test_what_cannot_be_checked_is_a_hold_for_the_engine_but_not_a_refusal():
    o = micro(line(1, hs=GTIP), currency="USD")
    problems = export_problems(o, issued_on=NOW.date())
    assert any("no weight_kg on the product card of line 1 (barcode b1)" in p for p in problems)
    assert any("exchange_rates.EUR and exchange_rates.USD" in p for p in problems)
    assert export_problems(o, issued_on=NOW.date(), strict=False) == []
    assert issue(o, exchange_rate=Decimal(35)).lines[0].hs_code == GTIP


def test_classic_export_has_no_etgb_limit():
    o = order(line(1, price="900000.00", hs=GTIP), abroad=True, currency="EUR")
    assert export_problems(o, issued_on=NOW.date()) == []


# ---------------------------------------------------------------------------------------------
# e-Arşiv carrier and dispatch date


def test_e_arsiv_without_a_known_carrier_is_held_but_builds_without_a_carrier():
    o = order(line(1))
    problems = order_problems(o, decision_for(o), issued_at=NOW)
    assert problems and "Örnek Kargo Marketplace" in problems[0]
    sale = issue(o).internet_sale
    assert sale is not None and sale.carrier_tax_id is None and sale.carrier_name is None


def test_e_arsiv_names_the_carrier_it_ships_with_and_its_own_address():
    sent = NOW.date() + timedelta(days=1)
    sale = issue(order(line(1)), carrier=CARRIER, dispatch_date=sent).internet_sale
    assert sale is not None
    assert (sale.carrier_name, sale.carrier_tax_id) == ("Örnek Kargo A.Ş.", "3297552117")
    assert sale.carrier_address is not None and sale.carrier_address.city == "Bursa"
    assert sale.send_date == sent


def test_dispatch_date_defaults_to_the_issue_date_and_is_bounded():
    assert issue(order(line(1)), carrier=CARRIER).internet_sale.send_date == NOW.date()
    with pytest.raises(InvalidInputError, match="before the order date"):
        issue(order(line(1)), carrier=CARRIER, dispatch_date=NOW.date() - timedelta(days=1))
    late = NOW + timedelta(days=9)
    with pytest.raises(InvalidInputError, match="more than 7 days before the invoice date"):
        issue(order(line(1)), at=late, carrier=CARRIER, dispatch_date=NOW.date())


def test_carrier_for_maps_marketplace_names_and_refuses_ambiguity():
    yk = CarrierLegal(
        name="Yurtiçi Kargo Servisi A.Ş.", tax_id="9860008925", city="İstanbul", source="t"
    )
    mng = CarrierLegal(
        name="MNG Kargo Yurtiçi ve Yurtdışı Taşımacılık A.Ş.",
        tax_id="6080712084",
        city="İstanbul",
        source="t",
        aliases=("DHL eCommerce",),
    )
    assert carrier_for("YURTİÇİ KARGO Marketplace", [yk, mng]) == yk
    assert carrier_for("DHL eCommerce Marketplace", [yk, mng]) == mng
    assert carrier_for("Aras Kargo", [yk, mng]) is None
    assert carrier_for(None, [yk]) is None
    twin = yk.model_copy(update={"tax_id": "3297552117"})
    assert carrier_for("Yurtiçi Kargo", [yk, twin]) is None


# ---------------------------------------------------------------------------------------------
# returns


def test_a_private_person_issues_no_iade_the_seller_writes_an_expense_voucher():
    original = issue(order(line(1)), carrier=CARRIER)
    with pytest.raises(InvalidInputError, match="gider pusulası"):
        return_invoice(
            original,
            {1: Decimal(1)},
            number="KRA2026000000002",
            uuid="12345678-1234-1234-1234-123456789013",
            issued_at=NOW,
        )


def test_a_registered_company_returns_with_an_iade():
    original = issue(order(line(1), buyer=COMPANY), registered=True)
    iade = return_invoice(
        original,
        {1: Decimal(1)},
        number="KRV2026000000002",
        uuid="12345678-1234-1234-1234-123456789013",
        issued_at=NOW,
    )
    assert iade.type_code == "IADE" and iade.seller == original.buyer
