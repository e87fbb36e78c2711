"""Realistic Turkish buyers, addresses and products, and domain orders as Trendyol packages."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from kervan.domain import (
    Address,
    Order,
    OrderLine,
    Party,
    PartyKind,
)

from ..mapping import to_epoch_ms

FIRST_NAMES = (
    "Ayşe",
    "Mehmet",
    "Fatma",
    "Mustafa",
    "Zeynep",
    "Ahmet",
    "Elif",
    "Emre",
    "Merve",
    "Burak",
    "Hülya",
    "Oğuz",
    "Şeyma",
    "Çağlar",
    "Gülşen",
    "İbrahim",
    "Özge",
    "Ümit",
    "Derya",
    "Kerem",
)
LAST_NAMES = (
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
    "Kılıç",
    "Aslan",
    "Çetin",
    "Koç",
    "Kurt",
    "Özdemir",
    "Erdoğan",
    "Güneş",
    "Polat",
    "Aksoy",
)
#: il, il plaka kodu, ilçe, mahalle, posta kodu
PLACES = (
    ("İstanbul", 34, "Kadıköy", "Caferağa Mah.", "34710"),
    ("İstanbul", 34, "Üsküdar", "Altunizade Mah.", "34662"),
    ("İstanbul", 34, "Beşiktaş", "Sinanpaşa Mah.", "34353"),
    ("Ankara", 6, "Çankaya", "Kızılay Mah.", "06420"),
    ("Ankara", 6, "Keçiören", "Etlik Mah.", "06010"),
    ("İzmir", 35, "Karşıyaka", "Bostanlı Mah.", "35590"),
    ("İzmir", 35, "Bornova", "Kazımdirik Mah.", "35100"),
    ("Bursa", 16, "Nilüfer", "Özlüce Mah.", "16285"),
    ("Antalya", 7, "Muratpaşa", "Lara Mah.", "07100"),
    ("Konya", 42, "Selçuklu", "Bosna Hersek Mah.", "42060"),
    ("Gaziantep", 27, "Şahinbey", "Karataş Mah.", "27090"),
    ("Eskişehir", 26, "Tepebaşı", "Hoşnudiye Mah.", "26130"),
    ("Trabzon", 61, "Ortahisar", "Kalkınma Mah.", "61040"),
    ("Diyarbakır", 21, "Kayapınar", "Fırat Mah.", "21070"),
)
STREETS = (
    "Atatürk Cad.",
    "Cumhuriyet Cad.",
    "Gazi Blv.",
    "Lale Sok.",
    "Menekşe Sok.",
    "İnönü Cad.",
)
COMPANIES = (
    ("Anadolu Gıda Tic. Ltd. Şti.", "Kadıköy"),
    ("Ege Tekstil San. ve Tic. A.Ş.", "Karşıyaka"),
    ("Başkent Büro Malzemeleri Ltd. Şti.", "Çankaya"),
    ("Marmara Yapı Market A.Ş.", "Nilüfer"),
)
PRODUCTS = (
    ("8683772071724", "KRV-TSH-001-M", "Pamuklu Basic Tişört Beyaz M", Decimal("249.90"), 10),
    ("8683772071731", "KRV-TSH-001-L", "Pamuklu Basic Tişört Beyaz L", Decimal("249.90"), 10),
    ("8690000123457", "KRV-KUP-010", "Porselen Kupa 350 ml Lacivert", Decimal("129.00"), 20),
    ("8691234567893", "KRV-CAN-042", "Su Geçirmez Sırt Çantası 30 L", Decimal("899.00"), 20),
    (
        "8680000555019",
        "KRV-NEV-002",
        "Nevresim Takımı Çift Kişilik Ranforce",
        Decimal("1349.00"),
        10,
    ),
    ("8682223334441", "KRV-KBL-USB", "USB-C Hızlı Şarj Kablosu 1 m", Decimal("179.50"), 20),
    ("8697777000128", "KRV-ZYT-1L", "Sızma Zeytinyağı 1 L Teneke", Decimal("549.00"), 1),
    ("8684444111227", "KRV-KTP-007", "Roman: Kuyucaklı Yusuf", Decimal("145.00"), 10),
)
#: Trendyol-arranged carriers (common label) and seller-contract carriers
TY_CARRIERS = (("Trendyol Express Marketplace", "733"), ("Aras Kargo Marketplace", "726"))
SELLER_CARRIERS = ("Yurtiçi Kargo Marketplace", "MNG Kargo Marketplace", "PTT Kargo Marketplace")


def tckn(rng: random.Random) -> str:
    """A TCKN that passes the official checksum (never a real person's on purpose)."""
    d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    d10 = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    d11 = (sum(d) + d10) % 10
    return "".join(map(str, [*d, d10, d11]))


def vkn(rng: random.Random) -> str:
    """A VKN that passes GİB's checksum."""
    digits = [rng.randint(0, 9) for _ in range(9)]
    total = 0
    for i, digit in enumerate(digits):
        tmp = (digit + 9 - i) % 10
        tmp2 = (tmp * 2 ** (9 - i)) % 9
        if tmp != 0 and tmp2 == 0:
            tmp2 = 9
        total += tmp2
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def random_order(rng: random.Random, index: int, now: datetime, *, kind: str = "person") -> Order:
    """A plausible Trendyol order as a domain :class:`Order` (ids are Trendyol-like numbers)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, _code, district, hood, postal = rng.choice(PLACES)
    address = Address(
        lines=[f"{hood} {rng.choice(STREETS)} No:{rng.randint(1, 120)} D:{rng.randint(1, 30)}"],
        district=district,
        city=city,
        postal_code=postal,
        neighbourhood=hood,
        country="TR",
    )
    if kind == "company":
        name, _ = rng.choice(COMPANIES)
        buyer = Party(
            kind=PartyKind.COMPANY,
            tax_id=vkn(rng),
            company_name=name,
            tax_office=f"{district} V.D.",
            address=address,
        )
    elif kind == "foreign":
        address = Address(lines=["Nizami küç. 12"], district="Nəsimi", city="Bakı", country="AZ")
        buyer = Party(
            kind=PartyKind.PERSON,
            tax_id="2222222222",
            first_name=first,
            last_name=last,
            address=address,
        )
    else:
        tax_id = tckn(rng) if rng.random() < 0.3 else "11111111111"
        buyer = Party(
            kind=PartyKind.PERSON,
            tax_id=tax_id,
            first_name=first,
            last_name=last,
            address=address,
        )
    lines = []
    for n, (barcode, sku, name, price, vat) in enumerate(rng.sample(PRODUCTS, rng.randint(1, 3))):
        quantity = Decimal(rng.choice((1, 1, 1, 2, 3)))
        discount = (
            (price * quantity * Decimal("0.10")).quantize(Decimal("0.01"))
            if rng.random() < 0.3
            else Decimal("0")
        )
        lines.append(
            OrderLine(
                line_id=str(3_200_000_000 + index * 10 + n),
                barcode=barcode,
                sku=sku,
                name=name,
                quantity=quantity,
                unit_price=price,
                vat_rate=Decimal(vat),
                discount=discount,
            )
        )
    package_id = str(2_900_000_000 + index)
    return Order(
        id=f"sandbox:{package_id}",
        tenant_id="sandbox",
        connection_id="sandbox",
        source="trendyol",
        order_number=str(10_400_000_000 + index * 7),
        package_id=package_id,
        lines=lines,
        buyer=buyer,
        shipping_address=address,
        invoice_address=address,
        micro_export=kind == "foreign",
        ordered_at=now - timedelta(minutes=rng.randint(5, 600)),
    )


def _address_json(
    addr: Address, first: str, last: str, company: str | None, rng: random.Random
) -> dict[str, Any]:
    street = ", ".join(addr.lines)
    full = f"{street} {addr.district}/{addr.city}"
    code = next((c for city, c, *_ in PLACES if city == addr.city), 0)
    return {
        "id": rng.randint(10_000_000, 99_999_999),
        "firstName": first,
        "lastName": last,
        "company": company or "",
        "address1": addr.lines[0],
        "address2": addr.lines[1] if len(addr.lines) > 1 else "",
        "city": addr.city,
        "cityCode": code,
        "district": addr.district,
        "districtId": rng.randint(100, 999),
        "neighborhood": addr.neighbourhood or "",
        "neighborhoodId": rng.randint(10_000, 99_999),
        "postalCode": addr.postal_code or "",
        "countryCode": addr.country,
        "phone": addr.phone,
        "fullName": f"{first} {last}",
        "fullAddress": full,
    }


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _unit_shares(discount: Decimal, quantity: int) -> list[Decimal]:
    """A line's discount per unit, to the kuruş, adding up to the line's (the first units
    take the odd kuruş): a unit split off the line takes its own share with it."""
    if quantity < 1:
        return []
    base, odd = divmod(int((discount * 100).to_integral_value()), quantity)
    return [Decimal(base + (1 if i < odd else 0)) / 100 for i in range(quantity)]


def _line_json(
    line: OrderLine, line_id: int, seller_id: int, *, ty: Decimal, ty_on_invoice: bool
) -> dict[str, Any]:
    """A package line. ``ty``: the Trendyol-funded line discount. On a corporate package
    (``ty_on_invoice``) it is part of ``line.discount`` (what the invoice deducts); elsewhere it
    comes on top of it, as Trendyol's own, and the invoice does not show it."""
    quantity = int(line.quantity)
    seller = line.discount - ty if ty_on_invoice else line.discount
    total = seller + ty
    per_unit = (total / quantity).quantize(Decimal("0.01")) if quantity else Decimal(0)
    return {
        "lineId": line_id,
        "quantity": quantity,
        "barcode": line.barcode,
        "stockCode": line.sku or line.barcode,
        "productName": line.name,
        "contentId": 700_000_000 + int(line.barcode[-6:])
        if line.barcode[-6:].isdigit()
        else 700_000_001,
        "productColor": None,
        "productSize": None,
        "sellerId": seller_id,
        "salesCampaignId": 1_000_001,
        "currencyCode": "TRY",
        "lineGrossAmount": _money(line.unit_price),
        "lineSellerDiscount": _money(seller),
        "lineTyDiscount": _money(ty),
        "lineTotalDiscount": _money(total),
        "lineUnitPrice": _money(line.unit_price - per_unit),
        "vatRate": float(line.vat_rate),
        "commission": 15,
        "orderLineItemStatusName": "Created",
        "discountDetails": [
            {
                "lineItemPrice": _money(line.unit_price - mine - theirs),
                "lineItemSellerDiscount": _money(mine),
                "lineItemTyDiscount": _money(theirs),
            }
            for mine, theirs in zip(
                _unit_shares(seller, quantity), _unit_shares(ty, quantity), strict=True
            )
        ],
    }


def _ty_discount(line: OrderLine, corporate: bool, rng: random.Random) -> Decimal:
    """A Trendyol-funded discount for ``line`` now and then (a Trendyol coupon or campaign):
    on a corporate package a part of the line's discount, elsewhere 5 % on top of it."""
    if corporate:
        if line.discount <= 0 or rng.random() >= 0.5:
            return Decimal("0.00")
        return (line.discount / 2).quantize(Decimal("0.01"))
    if rng.random() >= 0.25:
        return Decimal("0.00")
    return ((line.gross - line.discount) * Decimal("0.05")).quantize(Decimal("0.01"))


def order_to_package(
    order: Order,
    *,
    package_id: int,
    line_ids: list[int],
    seller_id: int,
    rng: random.Random,
    now: datetime,
) -> dict[str, Any]:
    """The Trendyol package (new field names) that maps back to ``order``."""
    buyer = order.buyer
    company = buyer.company_name if buyer.kind is PartyKind.COMPANY else None
    first = buyer.first_name or rng.choice(FIRST_NAMES)
    last = buyer.last_name or rng.choice(LAST_NAMES)
    invoice = _address_json(order.invoice_address, first, last, company, rng)
    if company:
        invoice["taxNumber"] = buyer.tax_id
        invoice["taxOffice"] = buyer.tax_office or ""
    corporate = company is not None
    # its own generator: the shared one's sequence (and every scenario built on it) stays as is
    ty_rng = random.Random(package_id)
    tys = [_ty_discount(line, corporate, ty_rng) for line in order.lines]
    lines = [
        _line_json(line, lid, seller_id, ty=ty, ty_on_invoice=corporate)
        for line, lid, ty in zip(order.lines, line_ids, tys, strict=True)
    ]
    gross = sum((line.gross for line in order.lines), Decimal(0))
    discount = sum((line.discount for line in order.lines), Decimal(0))
    # Trendyol fills the package's TY discount only for corporate packages; elsewhere the
    # package figures leave it out and packageTotalPrice is what the seller invoices
    package_ty = sum(tys, Decimal(0)) if corporate else Decimal(0)
    codes = {line.hs_code for line in order.lines if line.hs_code}
    tracking: int | None
    if order.cargo_provider:  # the scenario says who carries it (a tracking number: Trendyol's
        carrier = order.cargo_provider  # contract; none: the seller's own)
        number = order.cargo_tracking_number
        tracking = int(number) if number and number.isdigit() else None
    else:  # most Trendyol sellers ship under Trendyol's contracts
        ty_carrier = rng.random() < 0.7
        carrier, prefix = (
            rng.choice(TY_CARRIERS) if ty_carrier else (rng.choice(SELLER_CARRIERS), "")
        )
        tracking = int(f"{prefix}{rng.randint(10**9, 10**10 - 1)}") if ty_carrier else None
    ordered = order.ordered_at
    pkg: dict[str, Any] = {
        "shipmentPackageId": package_id,
        "orderNumber": order.order_number,
        "supplierId": seller_id,
        "packageGrossAmount": _money(gross),
        "packageSellerDiscount": _money(discount - package_ty),
        "packageTyDiscount": _money(package_ty),
        "packageTotalDiscount": _money(discount),
        "packageTotalPrice": _money(gross - discount),
        "taxNumber": buyer.tax_id if company else None,
        "invoiceAddress": invoice,
        "shipmentAddress": _address_json(order.shipping_address, first, last, None, rng),
        "customerFirstName": first,
        "customerLastName": last,
        "customerEmail": buyer.email or f"pf+{rng.randint(10**7, 10**8)}@trendyolmail.com",
        "customerId": rng.randint(10_000_000, 999_999_999),
        "cargoTrackingNumber": tracking,
        "cargoTrackingLink": (
            f"https://www.trendyolexpress.com/track?trackingNumber={tracking}" if tracking else None
        ),
        "cargoSenderNumber": f"{rng.randint(10**9, 10**10 - 1)}" if tracking else None,
        "cargoProviderName": carrier,
        "cargoDeci": rng.choice((1, 2, 3, 5)),
        "lines": lines,
        "orderDate": to_epoch_ms(ordered, istanbul_wall=True),
        "lastModifiedDate": to_epoch_ms(now),
        "agreedDeliveryDate": to_epoch_ms(ordered + timedelta(days=2)),
        "estimatedDeliveryStartDate": to_epoch_ms(ordered + timedelta(days=2)),
        "estimatedDeliveryEndDate": to_epoch_ms(ordered + timedelta(days=4)),
        "packageHistories": [{"createdDate": to_epoch_ms(now), "status": "Created"}],
        "status": "Created",
        "shipmentPackageStatus": "Created",
        "currencyCode": order.currency,
        "deliveryType": "normal",
        "deliveryAddressType": "Shipment",
        "fastDelivery": False,
        "commercial": company is not None,
        "micro": order.micro_export,
        "giftBoxRequested": False,
        "3pByTrendyol": False,
        "containsDangerousProduct": False,
        "isCod": False,
        "whoPays": 1 if tracking else 2,  # 1: under Trendyol's contract
        "createdBy": "order-creation",
        "originPackageIds": None,
        "warehouseId": 150_001,
        "invoiceLink": None,
    }
    if buyer.kind is PartyKind.PERSON and not buyer.is_placeholder:
        pkg["identityNumber"] = buyer.tax_id
    if order.micro_export:
        pkg["etgbNo"] = None
        for line in pkg["lines"]:
            line["productOrigin"] = "TR"
        # Trendyol sends the GTİP once, on the package; lines of different products (the
        # demo's) keep their own as well so each maps back to its code
        if codes:
            pkg["hsCode"] = next(line.hs_code for line in order.lines if line.hs_code)
        if len(codes) > 1:
            for line_json, line in zip(pkg["lines"], order.lines, strict=True):
                if line.hs_code:
                    line_json["hsCode"] = line.hs_code
    return pkg
