"""Hand-built documents for the rendering tests: Turkish names, real-looking amounts.

Totals are computed from the lines here (kuruş, half up) so every sample is internally
consistent, as the invoice builder's output will be.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

from kervan.domain.documents import (
    DespatchAdvice,
    DespatchLine,
    DocumentKind,
    Driver,
    ExpenseVoucher,
    ExpenseVoucherLine,
    InternetSale,
    Invoice,
    InvoiceLine,
    PaymentMethod,
    TaxSubtotal,
    Totals,
)
from kervan.domain.money import kurus
from kervan.domain.order import Order, OrderLine
from kervan.domain.party import Address, Party, PartyKind
from kervan.vouchers import expense_voucher as build_expense_voucher

SELLER_VKN = "4540536920"
BUYER_TCKN = "17291716060"
ISSUED = datetime(2026, 11, 22, 11, 5, 9, tzinfo=UTC)  # 14:05:09 in Türkiye

SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id=SELLER_VKN,
    company_name="Gökçe Işıklı Tekstil Ticaret Limited Şirketi",
    tax_office="Üsküdar",
    email="muhasebe@gokceisikli.com.tr",
    phone="+90 216 555 01 02",
    address=Address(
        lines=["Altunizade Mah. Kısıklı Cad. No:12/3"],
        district="Üsküdar",
        city="İstanbul",
        postal_code="34662",
    ),
)

BUYER = Party(
    kind=PartyKind.PERSON,
    tax_id=BUYER_TCKN,
    first_name="Şükrü Çağlar",
    last_name="Öztürk Ağaoğlu",
    email="sukru@example.com",
    address=Address(
        lines=["Güzelyalı Mah. Ilıca Sok. No:5 D:7"],
        district="Çiğli",
        city="İzmir",
        postal_code="35620",
        phone="+90 532 000 11 22",
    ),
)

PRODUCTS = [
    ("Pamuklu Örme Tişört - Lacivert, Beden: L", "249.90", "20"),
    ("Kız Çocuk Işıltılı Şapka", "89.50", "20"),
    ("Çiçekli Nevresim Takımı Çift Kişilik (Ğ/Ş/İ test)", "1249.00", "10"),
    ("Kitap: Türkçe Dilbilgisi", "120.00", "0"),
    ("Süt Ürünleri Hediye Sepeti", "315.75", "1"),
]


def make_lines(count: int) -> list[InvoiceLine]:
    """``count`` lines cycling through :data:`PRODUCTS`, with a discount on every third."""
    lines = []
    for i in range(1, count + 1):
        name, price, rate = PRODUCTS[(i - 1) % len(PRODUCTS)]
        quantity = Decimal(1 + i % 3)
        gross = Decimal(price) * quantity
        discount = kurus(gross * Decimal("0.10")) if i % 3 == 0 else Decimal("0.00")
        extension = kurus(gross - discount)
        vat = kurus(extension * Decimal(rate) / 100)
        lines.append(
            InvoiceLine(
                id=i,
                name=name if count <= len(PRODUCTS) else f"{name} #{i}",
                quantity=quantity,
                unit_price=Decimal(price),
                discount=discount,
                line_extension=extension,
                vat_rate=Decimal(rate),
                vat_amount=vat,
            )
        )
    return lines


def subtotals_and_totals(lines: list[InvoiceLine]) -> tuple[list[TaxSubtotal], Totals]:
    """VAT subtotals per rate (highest first) and the document totals for ``lines``."""
    base: dict[Decimal, Decimal] = defaultdict(Decimal)
    tax: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        base[line.vat_rate] += line.line_extension
        tax[line.vat_rate] += line.vat_amount
    subtotals = [
        TaxSubtotal(
            rate=rate,
            taxable_amount=base[rate],
            tax_amount=tax[rate],
            exemption_code="351" if rate == 0 else None,
            exemption_reason="İstisna Olmayan Diğer" if rate == 0 else None,
        )
        for rate in sorted(base, reverse=True)
    ]
    net = sum(base.values(), Decimal("0.00"))
    vat = sum(tax.values(), Decimal("0.00"))
    totals = Totals(
        line_extension=net,
        allowance_total=Decimal("0.00"),  # as kervan.invoicing: line discounts stay on the lines
        tax_exclusive=net,
        tax_total=vat,
        tax_inclusive=net + vat,
        payable=net + vat,
    )
    return subtotals, totals


def earsiv_invoice(line_count: int = 5, notes: list[str] | None = None) -> Invoice:
    """An e-Arşiv internet sale to a person, with the internet-sale block."""
    lines = make_lines(line_count)
    subtotals, totals = subtotals_and_totals(lines)
    return Invoice(
        id="inv-1",
        tenant_id="acme",
        uuid=str(uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")),
        number="KRA2026000000001",
        kind=DocumentKind.EARSIV,
        profile="EARSIVFATURA",
        issued_at=ISSUED,
        seller=SELLER,
        buyer=BUYER,
        order_number="TY-778812345",
        order_date=date(2026, 11, 21),
        lines=lines,
        tax_subtotals=subtotals,
        totals=totals,
        notes=notes if notes is not None else ["Sipariş Trendyol üzerinden alınmıştır."],
        internet_sale=InternetSale(
            website="https://www.trendyol.com",
            payment_method=PaymentMethod.PAYMENT_AGENT,
            payment_agent="DSM Grup Danışmanlık İletişim ve Satış Ticaret A.Ş.",
            payment_date=date(2026, 11, 21),
            carrier_name="Yurtiçi Kargo Servisi A.Ş.",
            carrier_tax_id="9860008925",
            carrier_address=Address(lines=["-"], district="-", city="İstanbul"),
            send_date=date(2026, 11, 22),
        ),
    )


def efatura_invoice(line_count: int = 3) -> Invoice:
    """A TICARIFATURA e-Fatura to a company buyer, no internet-sale block."""
    invoice = earsiv_invoice(line_count, notes=[])
    buyer = SELLER.model_copy(
        update={"company_name": "Çınar Şükran Gıda A.Ş.", "tax_office": "Konak"}
    )
    return invoice.model_copy(
        update={
            "kind": DocumentKind.EFATURA,
            "profile": "TICARIFATURA",
            "number": "KRF2026000000042",
            "uuid": str(uuid.uuid4()),
            "buyer": buyer,
            "internet_sale": None,
        }
    )


SHIP_NOTE = "Sevk amaçlıdır, faturası düzenlenmeyecektir."


def despatch_advice() -> DespatchAdvice:
    """An exchange shipment: a replacement item sent with the 'transport only' note."""
    return DespatchAdvice(
        id="dsp-1",
        tenant_id="acme",
        uuid="5b2f3c1e-8a4d-4e6f-9b0a-1c2d3e4f5a6b",
        number="KRI2026000000007",
        issued_at=ISSUED,
        despatched_at=datetime(2026, 11, 22, 13, 30, tzinfo=UTC),
        seller=SELLER,
        receiver=BUYER,
        delivery_address=BUYER.address,
        carrier=Party(
            kind=PartyKind.COMPANY,
            tax_id="9860008925",
            company_name="Yurtiçi Kargo Servisi A.Ş.",
            address=Address(
                lines=["Şerifali Mah. Değirmenyolu Cad. No:6"], district="Ümraniye", city="İstanbul"
            ),
        ),
        driver=Driver(
            first_name="İsmail", last_name="Doğan", national_id=BUYER_TCKN, plate="34 krv 123"
        ),
        lines=[
            DespatchLine(
                id=1,
                name="Pamuklu Örme Tişört - Lacivert, Beden: XL (değişim)",
                quantity=1,
                barcode="8690000000017",
            ),
            DespatchLine(id=2, name="Eksik parça: Nevresim yastık kılıfı", quantity=2),
        ],
        notes=[SHIP_NOTE, "Değişim talebi: İade No 556677"],
    )


def expense_voucher() -> ExpenseVoucher:
    """A gider pusulası for a person returning goods bought on another person's invoice."""
    return ExpenseVoucher(
        id="gp-1",
        tenant_id="acme",
        claim_id="CLM-99812",
        number="GP2026000123",
        issued_at=ISSUED,
        seller=SELLER,
        person=BUYER,
        lines=[
            ExpenseVoucherLine(
                name="İade: Pamuklu Örme Tişört", quantity=2, unit_price="249.90", amount="499.80"
            ),
            ExpenseVoucherLine(
                name="İade: Kız Çocuk Işıltılı Şapka",
                quantity=1,
                unit_price="89.50",
                amount="89.50",
            ),
        ],
        total="589.30",
        notes=["Bireysel alıcının iadesi; 2. el mal alımı değildir."],
    )


def returned_order() -> Order:
    """A person's order of two lines at 20 % and 10 % VAT, for the gider pusulası."""
    return Order(
        id="trendyol:pkg-9",
        tenant_id="acme",
        connection_id="ty",
        source="trendyol",
        order_number="10987654321",
        package_id="pkg-9",
        lines=[
            OrderLine(
                line_id="L1",
                barcode="8690000000017",
                name="Pamuklu Örme Tişört",
                quantity=Decimal(2),
                unit_price=Decimal("249.90"),
                vat_rate=Decimal(20),
            ),
            OrderLine(
                line_id="L2",
                barcode="8690000000024",
                name="Çocuk Kitabı",
                quantity=Decimal(1),
                unit_price=Decimal("89.50"),
                vat_rate=Decimal(10),
            ),
        ],
        buyer=BUYER,
        shipping_address=BUYER.address,
        invoice_address=BUYER.address,
        ordered_at=ISSUED,
    )


def expense_voucher_with_vat() -> ExpenseVoucher:
    """The gider pusulası :func:`kervan.vouchers.expense_voucher` builds for a whole return."""
    order = returned_order()
    return build_expense_voucher(
        order,
        {"L1": Decimal(2), "L2": Decimal(1)},
        number="KRG2026000000042",
        issued_at=ISSUED,
        seller=SELLER,
        claim_id="CLM-99812",
    )
