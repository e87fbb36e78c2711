"""The transport-only e-İrsaliye for an exchange or a missing part (kervan.despatch).

GİB's XSD and schematron on its XML are checked in the ubltr plugin's tests
(``test_parcel_carrier_despatch_with_no_driver_passes_gib_and_names_its_sale``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan.despatch import TRANSPORT_ONLY_NOTE, transport_despatch
from kervan.domain import Address, Driver, Order, OrderLine, Party, PartyKind
from kervan.errors import InvalidInputError

NOW = datetime(2026, 5, 4, 21, 30, 0, 250000, tzinfo=UTC)  # 00:30 on 5 May in Türkiye
TR = Address(
    lines=["Atatürk Cad. 1"], district="Kadıköy", city="İstanbul", postal_code="34710", phone="555"
)
OTHER = Address(lines=["Cumhuriyet Cad. 9"], district="Çankaya", city="Ankara", postal_code="06690")
DE = Address(lines=["Unter den Linden 1"], district="Mitte", city="Berlin", country="DE")
SELLER = Party(kind=PartyKind.COMPANY, tax_id="4540536920", company_name="Satıcı A.Ş.", address=TR)
PERSON = Party(kind=PartyKind.PERSON, tax_id="17291716060", first_name="Ali", last_name="Veli")
CARRIER = Party(
    kind=PartyKind.COMPANY, tax_id="3297552117", company_name="Yurtiçi Kargo A.Ş.", address=OTHER
)
UUID = "12345678-1234-1234-1234-123456789012"


def order(n: int = 3) -> Order:
    return Order(
        id="c:1",
        tenant_id="t",
        connection_id="c",
        source="trendyol",
        order_number="1001",
        package_id="1",
        lines=[
            OrderLine(
                line_id=f"L{i}",
                barcode=f"b{i}",
                name=f"Ürün {i}",
                quantity=Decimal(3),
                unit_price=Decimal("10.00"),
                vat_rate=20,
            )
            for i in range(1, n + 1)
        ],
        buyer=PERSON,
        shipping_address=TR,
        invoice_address=TR,
        ordered_at=NOW - timedelta(days=10),
    )


def despatch(lines: dict[str, Decimal], **kw):
    base = {
        "number": "KRI2026000000001",
        "uuid": UUID,
        "issued_at": NOW,
        "seller": SELLER,
        "receiver": PERSON,
        "address": OTHER,
        "carrier": CARRIER,
        "reason": "Değişim",
    }
    return transport_despatch(order(), lines, **{**base, **kw})


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from(["L1", "L2", "L3"]), st.integers(1, 9), min_size=1))
def test_lines_follow_the_order_numbered_from_one_with_the_units_sent(picks):
    adv = despatch({k: Decimal(v) for k, v in picks.items()})
    wanted = [x for x in ("L1", "L2", "L3") if x in picks]
    assert [x.order_line_id for x in adv.lines] == wanted
    assert [x.id for x in adv.lines] == list(range(1, len(wanted) + 1))
    assert [x.quantity for x in adv.lines] == [Decimal(picks[x]) for x in wanted]
    assert [x.barcode for x in adv.lines] == [f"b{x[1]}" for x in wanted]


def test_the_advice_says_it_is_not_a_sale_and_names_the_order_and_invoice():
    adv = despatch(
        {"L2": Decimal(1)},
        invoice_number="KRA2026000000009",
        invoice_issued_at=NOW - timedelta(days=9),
        claim_id="claim-3",
    )
    assert adv.notes == [
        TRANSPORT_ONLY_NOTE,
        "Değişim; Sipariş No: 1001; Fatura No: KRA2026000000009",
    ]
    assert "Satış amaçlı değildir" in TRANSPORT_ONLY_NOTE
    assert (adv.order_id, adv.claim_id, adv.order_number) == ("c:1", "claim-3", "1001")
    # dates are Turkish calendar dates: 21:30 UTC is already the next day in Türkiye
    assert adv.order_date == (NOW - timedelta(days=10)).date() + timedelta(days=1)
    assert adv.invoice_date == (NOW - timedelta(days=9)).date() + timedelta(days=1)
    assert (adv.profile, adv.type_code) == ("TEMELIRSALIYE", "SEVK")


def test_a_parcel_carrier_despatch_names_the_carrier_and_no_driver():
    adv = despatch({"L1": Decimal(1)})
    assert adv.carrier == CARRIER and adv.driver is None
    assert adv.delivery_address == OTHER and adv.receiver.address == OTHER
    assert adv.issued_at.microsecond == 0 and adv.despatched_at == adv.issued_at


def test_the_receivers_phone_moves_off_the_address_onto_the_party():
    adv = despatch({"L1": Decimal(1)}, address=TR)
    assert adv.delivery_address.phone is None and adv.receiver.phone == "555"


def test_own_vehicle_despatch_takes_a_driver_instead_of_a_carrier():
    driver = Driver(first_name="Hasan", last_name="Kaya", national_id="10000000146", plate="34ABC1")
    adv = despatch({"L1": Decimal(1)}, carrier=None, driver=driver)
    assert adv.driver == driver and adv.carrier is None


@pytest.mark.parametrize(
    ("lines", "kw", "match"),
    [
        ({"L1": Decimal(1)}, {"carrier": None}, "carrier company or a driver"),
        ({"L1": Decimal(1)}, {"address": DE}, "abroad"),
        ({"L1": Decimal(1)}, {"reason": "  "}, "why the goods move"),
        ({"L9": Decimal(1)}, {}, "no lines"),
        ({"L1": Decimal(0)}, {}, "positive"),
        ({}, {}, "at least one line"),
    ],
)
def test_what_gib_would_refuse_is_refused_with_the_reason(lines, kw, match):
    with pytest.raises(InvalidInputError, match=match):
        despatch(lines, **kw)
