"""Hypothesis strategies and fixtures for realistic marketplace orders and documents."""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st
from kervan.domain import (
    Address,
    BillingReference,
    DespatchAdvice,
    DespatchLine,
    Driver,
    Order,
    OrderLine,
    Party,
    PartyKind,
)
from kervan.roles import Alias, Registration
from kervan.tax import LookupFailed

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
VKNS = ["4540536920", "3297552117", "3406773232", "2782995376", "1237111687"]
TCKNS = ["17291716060", "10000000146", "12345678950", "11111111110"]
FIRST = ["Ayşe", "Mehmet", "Şükrü", "İpek", "Çağla", "Gökhan"]
LAST = ["Yılmaz", "Öztürk", "Çelik", "Doğan", "Şahin", "Kılıç"]
COMPANIES = ["Örnek Ticaret A.Ş.", "Kervan Test Ltd. Şti.", "Güneş Gıda San. ve Tic."]
PRODUCTS = ["Pamuklu Tişört", "Çelik Termos 1L", "Deri Cüzdan", "Şarj Kablosu", "Kırmızı Ruj"]
CITIES = [
    ("İstanbul", "Kadıköy", "34710"),
    ("Ankara", "Çankaya", "06690"),
    ("İzmir", "Konak", "35250"),
]
FOREIGN = [
    ("DE", "Berlin", "Mitte", "10115"),
    ("GB", "London", "Camden", "NW1"),
    ("US", "Austin", "Travis", "78701"),
]

SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Kervan Satıcı A.Ş.",
    tax_office="Kadıköy",
    email="fatura@satici.example",
    phone="+90 216 000 00 00",
    address=Address(
        lines=["Rıhtım Cad. No:1"], district="Kadıköy", city="İstanbul", postal_code="34710"
    ),
)


@st.composite
def addresses(draw, foreign: bool = False) -> Address:
    if foreign:
        country, city, district, postal = draw(st.sampled_from(FOREIGN))
    else:
        (city, district, postal), country = draw(st.sampled_from(CITIES)), "TR"
    lines = draw(
        st.lists(
            st.sampled_from(["Atatürk Cad. No:5", "Daire 3", "Güzel Sk. 12/4"]),
            min_size=1,
            max_size=2,
        )
    )
    hood = draw(st.sampled_from([None, "Caferağa Mah."])) if not foreign else None
    return Address(
        lines=lines,
        district=district,
        city=city,
        postal_code=postal,
        country=country,
        neighbourhood=hood,
    )


@st.composite
def buyers(draw, foreign: bool = False) -> Party:
    kind = draw(st.sampled_from([PartyKind.PERSON, PartyKind.COMPANY]))
    phone = draw(st.sampled_from([None, "+90 555 111 22 33"]))
    email = draw(st.sampled_from([None, "alici@example.com"]))
    if kind is PartyKind.PERSON:
        tax_id = draw(
            st.sampled_from(
                [*TCKNS, "11111111111"] if not foreign else ["2222222222", "11111111111"]
            )
        )
        return Party(
            kind=kind,
            tax_id=tax_id,
            first_name=draw(st.sampled_from(FIRST)),
            last_name=draw(st.sampled_from(LAST)),
            phone=phone,
            email=email,
        )
    # a sole trader is a company invoiced under a TCKN: the person's names and the trade name
    tax_id = draw(st.sampled_from([*VKNS, "10000000146"] if not foreign else ["2222222222"]))
    sole_trader = len(tax_id) == 11
    return Party(
        kind=kind,
        tax_id=tax_id,
        first_name=draw(st.sampled_from(FIRST)) if sole_trader else None,
        last_name=draw(st.sampled_from(LAST)) if sole_trader else None,
        company_name=draw(st.sampled_from(COMPANIES)),
        tax_office=draw(st.sampled_from([None, "Beşiktaş"])),
        phone=phone,
        email=email,
    )


@st.composite
def order_lines(draw, index: int, with_hs: bool) -> OrderLine:
    qty = draw(
        st.sampled_from(
            [
                Decimal(1),
                Decimal(1),
                Decimal(2),
                Decimal(3),
                Decimal(7),
                Decimal("1.5"),
                Decimal("0.250"),
            ]
        )
    )
    cents = draw(st.integers(min_value=1, max_value=5_000_000))
    unit_price = Decimal(cents) / 100
    gross = (unit_price * qty).quantize(Decimal("0.01"))
    discount_cents = draw(st.sampled_from([0, 0, 1, None]))
    if discount_cents is None:
        discount = (gross * Decimal(draw(st.integers(0, 100))) / 100).quantize(Decimal("0.01"))
    else:
        discount = min(Decimal(discount_cents) / 100, gross)
    return OrderLine(
        line_id=f"L{index}",
        barcode=f"869{index:010d}",
        sku=draw(st.sampled_from([None, f"SKU-{index}"])),
        name=draw(st.sampled_from(PRODUCTS)),
        quantity=qty,
        unit_price=unit_price,
        # 0 % only on exports (exempt, code 301): a taxed sale needs a rate valid on the day
        vat_rate=draw(
            st.sampled_from([Decimal(20), Decimal(10), Decimal(1)] + [Decimal(0)] * with_hs)
        ),
        discount=discount,
        unit_code="KGM" if qty != qty.to_integral_value() else "C62",
        hs_code="610910000000" if with_hs else None,
    )


@st.composite
def orders(draw, export: bool | None = None) -> Order:
    foreign = draw(st.booleans()) if export is None else export
    micro = foreign and draw(st.booleans())
    n = draw(st.integers(min_value=1, max_value=8))
    lines = [draw(order_lines(i + 1, with_hs=foreign)) for i in range(n)]
    address = draw(addresses(foreign=foreign))
    currency = draw(st.sampled_from(["EUR", "USD", "TRY"])) if foreign else "TRY"
    if micro and currency == "EUR" and sum(x.payable for x in lines) > 30_000:
        micro = False  # over the ETGB value limit: a classic export (IHRACAT)
    return Order(
        id=f"conn:{draw(st.integers(1, 10**9))}",
        tenant_id="t1",
        connection_id="conn",
        source="trendyol",
        order_number=str(draw(st.integers(10**8, 10**9))),
        package_id="p1",
        lines=lines,
        buyer=draw(buyers(foreign=foreign)),
        shipping_address=address,
        invoice_address=address,
        currency=currency,
        cargo_provider=draw(st.sampled_from([None, "Yurtiçi Kargo", "Aras Kargo"])),
        micro_export=micro,
        ordered_at=T0 - timedelta(hours=draw(st.integers(0, 72))),
    )


def registration(order: Order, registered: bool, aliases: list[str] | None = None) -> Registration:
    return Registration(
        tax_id=order.buyer.tax_id,
        registered=registered,
        aliases=[Alias(name=a) for a in (aliases or [])],
        checked_at=T0,
        source="test",
    )


def lookups_for(order: Order) -> st.SearchStrategy:
    return st.sampled_from(
        [
            registration(order, False),
            registration(order, True, ["urn:mail:defaultpk@example.com"]),
        ]
    )


def new_uuid(seed: int) -> str:
    return str(uuidlib.UUID(int=seed % (1 << 128)))


def despatch(
    number: str = "IRS2026000000001", *, driver: bool = False, carrier: bool = True
) -> DespatchAdvice:
    receiver = Party(
        kind=PartyKind.PERSON,
        tax_id="17291716060",
        first_name="Ayşe",
        last_name="Yılmaz",
        address=Address(
            lines=["Atatürk Cad. No:5"], district="Çankaya", city="Ankara", postal_code="06690"
        ),
    )
    carrier_party = Party(
        kind=PartyKind.COMPANY,
        tax_id="3297552117",
        company_name="Yurtiçi Kargo Servisi A.Ş.",
        address=Address(
            lines=["Kargo Sk. 1"], district="Şişli", city="İstanbul", postal_code="34381"
        ),
    )
    return DespatchAdvice(
        id="despatch:x",
        tenant_id="t1",
        uuid="7e5c3a52-3f7f-4a8e-9a55-2b8f9f1c0d11",
        number=number,
        issued_at=T0,
        despatched_at=T0 + timedelta(hours=2),
        seller=SELLER,
        receiver=receiver,
        delivery_address=receiver.address,
        carrier=carrier_party if carrier else None,
        driver=Driver(
            first_name="Hasan", last_name="Kaya", national_id="10000000146", plate="34ABC123"
        )
        if driver
        else None,
        lines=[
            DespatchLine(
                id=1,
                name="Yedek parça: kapak",
                quantity=Decimal(1),
                order_line_id="L1",
                barcode="8690000000001",
            )
        ],
        notes=["Eksik parça gönderimi, sipariş 123456789"],
    )


__all__ = [
    "SELLER",
    "T0",
    "BillingReference",
    "LookupFailed",
    "despatch",
    "lookups_for",
    "new_uuid",
    "orders",
    "registration",
]
