"""Realistic Turkish test data: buyers with valid TCKN/VKN, orders, packages, invoices."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from kervan.domain import (
    Address,
    DocumentKind,
    InternetSale,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Package,
    Party,
    PartyKind,
    ProductCard,
    TaxSubtotal,
    Totals,
    kurus,
)
from kervan.scenario import Scenario

from ..sandbox.clock import DEFAULT_START

_FIRST = ["Ayşe", "Mehmet", "Zeynep", "Mustafa", "Elif", "Ahmet", "Fatma", "Emre", "Şule", "Çağrı"]
_LAST = [
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Öztürk",
    "Aydın",
    "Arslan",
    "Doğan",
]
_COMPANIES = ["Anadolu Tekstil A.Ş.", "Boğaziçi Gıda Ltd. Şti.", "Ege Mobilya San. Tic. A.Ş."]
_PLACES = [
    ("İstanbul", "Kadıköy", "Caferağa Mah.", "34710"),
    ("İstanbul", "Üsküdar", "Altunizade Mah.", "34662"),
    ("Ankara", "Çankaya", "Kızılay Mah.", "06420"),
    ("İzmir", "Karşıyaka", "Bostanlı Mah.", "35590"),
    ("Bursa", "Nilüfer", "Görükle Mah.", "16285"),
    ("Antalya", "Muratpaşa", "Şirinyalı Mah.", "07160"),
]
_PRODUCTS = [
    ("Pamuklu Tişört Beyaz M", Decimal("249.90"), Decimal(10)),
    ("Seramik Kupa 350 ml", Decimal("119.50"), Decimal(20)),
    ("Bluetooth Kulaklık", Decimal("899.00"), Decimal(20)),
    ("Organik Zeytinyağı 1 L", Decimal("329.00"), Decimal(1)),
    ("Çocuk Kitabı: Keloğlan", Decimal("75.00"), Decimal(0)),
    ("Yün Atkı Lacivert", Decimal("189.99"), Decimal(10)),
]


def tckn(rng: random.Random) -> str:
    """A random TCKN that passes the official checksum (never the 11111111111 placeholder)."""
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    d10 = ((sum(digits[0:9:2]) * 7) - sum(digits[1:8:2])) % 10
    d11 = (sum(digits) + d10) % 10
    return "".join(map(str, [*digits, d10, d11]))


def vkn(rng: random.Random) -> str:
    """A random VKN that passes the checksum."""
    from stdnum.tr import vkn as stdnum_vkn

    body = "".join(str(rng.randint(0, 9)) for _ in range(9))
    return body + stdnum_vkn.calc_check_digit(body)


def make_address(rng: random.Random) -> Address:
    city, district, neighbourhood, postal = rng.choice(_PLACES)
    street = (
        f"{rng.choice(['Atatürk', 'Cumhuriyet', 'İnönü', 'Gazi'])} Cad. No:{rng.randint(1, 180)}"
    )
    return Address(
        lines=[f"{neighbourhood} {street} D:{rng.randint(1, 20)}"],
        district=district,
        city=city,
        postal_code=postal,
        neighbourhood=neighbourhood,
        phone=f"+90 5{rng.randint(30, 59)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
    )


def make_party(rng: random.Random, *, company: bool | None = None) -> Party:
    """A buyer: usually a person with a TCKN, sometimes a company with a VKN."""
    company = rng.random() < 0.2 if company is None else company
    address = make_address(rng)
    if company:
        return Party(
            kind=PartyKind.COMPANY,
            tax_id=vkn(rng),
            company_name=rng.choice(_COMPANIES),
            tax_office=f"{address.district} V.D.",
            email=f"muhasebe{rng.randint(1, 999)}@example.com.tr",
            address=address,
        )
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    return Party(
        kind=PartyKind.PERSON,
        tax_id=tckn(rng),
        first_name=first,
        last_name=last,
        email=f"alici{rng.randint(1, 99999)}@example.com",
        address=address,
    )


def make_seller(rng: random.Random | None = None) -> Party:
    return make_party(rng or random.Random(7), company=True)


def _lines(rng: random.Random, package_id: str) -> list[OrderLine]:
    lines = []
    for i in range(rng.randint(1, 3)):
        name, price, vat = rng.choice(_PRODUCTS)
        quantity = Decimal(rng.randint(1, 3))
        discount = (
            kurus(price * quantity * Decimal("0.1")) if rng.random() < 0.3 else Decimal("0.00")
        )
        lines.append(
            OrderLine(
                line_id=f"{package_id}-{i + 1}",
                barcode=f"869{rng.randint(10**9, 10**10 - 1)}",
                sku=f"SKU-{rng.randint(1000, 9999)}",
                name=name,
                quantity=quantity,
                unit_price=price,
                vat_rate=vat,
                discount=discount,
            )
        )
    return lines


def make_orders(
    n: int,
    *,
    tenant_id: str = "kit-tenant",
    connection_id: str = "kit-conn",
    source: str = "kit",
    now: datetime | None = None,
    seed: int = 0,
) -> list[Order]:
    """``n`` realistic orders (one package each) placed over the day before ``now``.

    Ids follow the order-source contract: ``id == f"{connection_id}:{package_id}"``; package
    ids and order numbers are distinct numeric strings, as marketplaces use.
    """
    rng = random.Random(seed)
    now = now or DEFAULT_START
    orders = []
    for i in range(n):
        package_id = str(3_000_000_000 + seed * 100_000 + i)
        buyer = make_party(rng)
        assert buyer.address is not None
        ordered_at = now - timedelta(hours=24) + timedelta(minutes=(i * 1440) // max(n, 1))
        orders.append(
            Order(
                id=f"{connection_id}:{package_id}",
                tenant_id=tenant_id,
                connection_id=connection_id,
                source=source,
                order_number=str(10_000_000 + seed * 100_000 + i),
                package_id=package_id,
                lines=_lines(rng, package_id),
                buyer=buyer,
                shipping_address=buyer.address,
                invoice_address=buyer.address,
                ordered_at=ordered_at,
                remote_updated_at=ordered_at,
            )
        )
    return orders


def make_scenario(
    orders: list[Order] | None = None,
    *,
    seed: int = 0,
    products: list[ProductCard] | None = None,
    stock: dict[str, int] | None = None,
) -> Scenario:
    """A scenario with a company seller and ``orders`` (none by default); ``products`` and
    ``stock`` (product id → units) become the marketplace's listings."""
    return Scenario(
        seller=make_seller(random.Random(seed + 7)),
        orders=list(orders or []),
        products=list(products or []),
        stock=dict(stock or {}),
    )


def ean13(body: str) -> str:
    """A 12-digit ``body`` with its EAN-13 check digit (python-stdnum)."""
    from stdnum import ean

    return body + ean.calc_check_digit(body)


def make_products(n: int, *, seed: int = 0, tenant_id: str = "kit-tenant") -> list[ProductCard]:
    """``n`` product cards, each with one EAN-13 barcode (Turkish 869 prefix) and prices."""
    rng = random.Random(seed)
    cards = []
    for i in range(n):
        name, price, vat = _PRODUCTS[i % len(_PRODUCTS)]
        cards.append(
            ProductCard(
                id=f"kit-p{seed}-{i}",
                tenant_id=tenant_id,
                sku=f"KIT-{seed}-{i:04d}",
                name=name,
                barcodes=[ean13(f"869{rng.randint(10**8, 10**9 - 1)}")],
                vat_rate=vat,
                sale_price=price,
                list_price=kurus(price * Decimal("1.2")),
            )
        )
    return cards


def make_package(
    order: Order | None = None, *, seed: int = 0, cargo_key: str | None = None
) -> Package:
    """A package to book with a carrier, for ``order`` (or a fresh one)."""
    order = order or make_orders(1, seed=seed)[0]
    rng = random.Random(seed)
    return Package(
        id=f"pkg-{order.package_id}",
        tenant_id=order.tenant_id,
        order_id=order.id,
        cargo_key=cargo_key or f"KRV{rng.randint(10**9, 10**10 - 1)}",
        line_ids=[line.line_id for line in order.lines],
        desi=Decimal(rng.randint(1, 8)),
        weight_kg=Decimal(rng.randint(1, 5)),
        receiver=order.buyer,
        address=order.shipping_address,
        content="Giyim ve ev eşyası",
    )


def _invoice_line(index: int, line: OrderLine) -> InvoiceLine:
    divisor = 1 + line.vat_rate / 100
    gross_ex = kurus(line.gross / divisor)
    discount_ex = kurus(line.discount / divisor)
    extension = gross_ex - discount_ex
    return InvoiceLine(
        id=index,
        name=line.name,
        quantity=line.quantity,
        unit_price=(gross_ex / line.quantity).quantize(Decimal("0.00000001")),
        discount=discount_ex,
        line_extension=extension,
        vat_rate=line.vat_rate,
        vat_amount=kurus(extension * line.vat_rate / 100),
        barcode=line.barcode,
        order_line_id=line.line_id,
    )


def _subtotals(lines: list[InvoiceLine]) -> list[TaxSubtotal]:
    by_rate: dict[Decimal, list[InvoiceLine]] = {}
    for line in lines:
        by_rate.setdefault(line.vat_rate, []).append(line)
    return [
        TaxSubtotal(
            rate=rate,
            taxable_amount=sum((x.line_extension for x in group), Decimal("0.00")),
            tax_amount=sum((x.vat_amount for x in group), Decimal("0.00")),
            exemption_code="351" if rate == 0 else None,
            exemption_reason="KDV - Diğerleri" if rate == 0 else None,
        )
        for rate, group in sorted(by_rate.items())
    ]


def make_invoice(
    order: Order | None = None,
    *,
    seed: int = 0,
    number: str | None = None,
    kind: DocumentKind = DocumentKind.EARSIV,
    seller: Party | None = None,
) -> Invoice:
    """A consistent sales invoice for ``order`` (totals add up, per-rate subtotals present)."""
    order = order or make_orders(1, seed=seed)[0]
    rng = random.Random(seed)
    lines = [_invoice_line(i, line) for i, line in enumerate(order.lines, 1)]
    extension = sum((x.line_extension for x in lines), Decimal("0.00"))
    tax = sum((x.vat_amount for x in lines), Decimal("0.00"))
    earsiv = kind is DocumentKind.EARSIV
    return Invoice(
        id=f"inv-{order.package_id}",
        tenant_id=order.tenant_id,
        order_id=order.id,
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        number=number or f"KRV{order.ordered_at.year}{rng.randint(1, 999_999_999):09d}",
        kind=kind,
        profile="EARSIVFATURA" if earsiv else "TEMELFATURA",
        issued_at=order.ordered_at + timedelta(hours=2),
        seller=seller or make_seller(),
        buyer=order.buyer,
        order_number=order.order_number,
        order_date=order.ordered_at.date(),
        lines=lines,
        tax_subtotals=_subtotals(lines),
        totals=Totals(
            line_extension=extension,
            tax_exclusive=extension,
            tax_total=tax,
            tax_inclusive=extension + tax,
            payable=extension + tax,
        ),
        internet_sale=InternetSale(
            website="https://www.kervan.demo", payment_date=order.ordered_at.date()
        )
        if earsiv
        else None,
    )
