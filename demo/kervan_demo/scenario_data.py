"""The demo world: a Turkish seller, its catalog, and a day of marketplace orders.

Tax ids are real-format, checksum-valid numbers (python-stdnum), not anyone's real id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from kervan import Scenario
from kervan.domain import Address, Order, OrderLine, Party, PartyKind, ProductCard

SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Anadolu Tekstil Ltd. Şti.",
    tax_office="Kadıköy",
    email="muhasebe@anadolutekstil.example",
    phone="+902165550101",
    address=Address(
        lines=["Caferağa Mah. Moda Cd. No: 12"],
        district="Kadıköy",
        city="İstanbul",
        postal_code="34710",
    ),
)

PRODUCTS = [
    ProductCard(
        id="p-tisort",
        tenant_id="demo",
        hs_code="610910000011",
        sku="TSH-PAM-M",
        name="Pamuklu Tişört Beyaz M",
        barcodes=["8681234500011"],
        vat_rate=Decimal(10),
        sale_price=Decimal("299.90"),
        length_cm=Decimal(30),
        width_cm=Decimal(25),
        height_cm=Decimal(3),
        weight_kg=Decimal("0.3"),
    ),
    ProductCard(
        id="p-kazak",
        tenant_id="demo",
        hs_code="611011100000",
        sku="KZK-YUN-L",
        name="Yün Kazak Lacivert L",
        barcodes=["8681234500028"],
        vat_rate=Decimal(10),
        sale_price=Decimal("899.00"),
        length_cm=Decimal(35),
        width_cm=Decimal(30),
        height_cm=Decimal(8),
        weight_kg=Decimal("0.8"),
    ),
    ProductCard(
        id="p-termos",
        tenant_id="demo",
        hs_code="961700000000",
        sku="TRM-500",
        name="Çelik Termos 500 ml",
        barcodes=["8681234500035"],
        vat_rate=Decimal(20),
        sale_price=Decimal("649.50"),
        length_cm=Decimal(28),
        width_cm=Decimal(10),
        height_cm=Decimal(10),
        weight_kg=Decimal("0.6"),
    ),
    ProductCard(
        id="p-kitap",
        tenant_id="demo",
        hs_code="490199000000",
        sku="KTP-ISTANBUL",
        name="İstanbul Hatırası (Kitap)",
        barcodes=["9786051234567"],
        # a bookseller that is not the publisher charges the reduced rate (the 0 % for books
        # is a publishers' exemption with its own code, which a SATIS invoice cannot carry)
        vat_rate=Decimal(10),
        sale_price=Decimal("185.00"),
        length_cm=Decimal(21),
        width_cm=Decimal(14),
        height_cm=Decimal(3),
        weight_kg=Decimal("0.4"),
    ),
    ProductCard(
        id="p-ekmek",
        tenant_id="demo",
        hs_code="110100150000",
        sku="GDA-UN-5",
        name="Tam Buğday Unu 5 kg",
        barcodes=["8681234500042"],
        vat_rate=Decimal(1),
        sale_price=Decimal("159.90"),
        length_cm=Decimal(30),
        width_cm=Decimal(20),
        height_cm=Decimal(10),
        weight_kg=Decimal("5"),
    ),
    ProductCard(
        id="p-canta",
        tenant_id="demo",
        hs_code="420292190000",
        sku="CNT-DERI",
        name="Deri Sırt Çantası",
        barcodes=["8681234500059"],
        vat_rate=Decimal(20),
        sale_price=Decimal("2450.00"),
        length_cm=Decimal(45),
        width_cm=Decimal(32),
        height_cm=Decimal(15),
        weight_kg=Decimal("1.2"),
    ),
]
#: cards for the products of the Trendyol sample file (kervan_trendyol/samples) that the demo
#: catalog above does not have, so `kervan demo --orders` can weigh and classify its micro
#: export (not stocked: the demo's generated orders never use them)
SAMPLE_FILE_PRODUCTS = [
    ProductCard(
        id="p-kupa",
        tenant_id="demo",
        hs_code="691110000000",
        sku="KRV-KUP-010",
        name="Porselen Kupa 350 ml Lacivert",
        barcodes=["8690000123457"],
        vat_rate=Decimal(20),
        weight_kg=Decimal("0.45"),
    ),
    ProductCard(
        id="p-kablo",
        tenant_id="demo",
        hs_code="854442900000",
        sku="KRV-KBL-USB",
        name="USB-C Hızlı Şarj Kablosu 1 m",
        barcodes=["8682223334441"],
        vat_rate=Decimal(20),
        weight_kg=Decimal("0.1"),
    ),
]
STOCK = {
    "p-tisort": 50,
    "p-kazak": 20,
    "p-termos": 30,
    "p-kitap": 15,
    "p-ekmek": 40,
    "p-canta": 0,
    "p-kupa": 25,
    "p-kablo": 25,
}
OUT_OF_STOCK_PRODUCT = "p-canta"

_CARDS = {p.id: p for p in PRODUCTS}


def _addr(district: str, city: str, postal: str, street: str, country: str = "TR") -> Address:
    return Address(
        lines=[street],
        district=district,
        city=city,
        postal_code=postal,
        country=country,
        phone="+905321112233",
    )


def _person(first: str, last: str, tckn: str, address: Address) -> Party:
    return Party(
        kind=PartyKind.PERSON,
        tax_id=tckn,
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}@example.com",
        address=address,
    )


def _company(name: str, vkn: str, office: str, address: Address) -> Party:
    return Party(
        kind=PartyKind.COMPANY,
        tax_id=vkn,
        company_name=name,
        tax_office=office,
        email="fatura@example.com",
        address=address,
    )


def line_of(
    card: ProductCard,
    line_id: str,
    quantity: int = 1,
    discount: Decimal | str = Decimal(0),
    *,
    export: bool = False,
) -> OrderLine:
    """An order line selling ``card`` at its sale price (with its GTİP when exported)."""
    return OrderLine(
        line_id=line_id,
        barcode=card.barcodes[0],
        sku=card.sku,
        name=card.name,
        quantity=quantity,
        unit_price=card.sale_price,
        vat_rate=card.vat_rate,
        discount=Decimal(discount),
        hs_code=card.hs_code if export else None,
    )


def _lines(
    package: str, items: list[tuple[str, int, str]], *, export: bool = False
) -> list[OrderLine]:
    return [
        line_of(_CARDS[pid], f"{package}{n:02d}", qty, discount, export=export)
        for n, (pid, qty, discount) in enumerate(items, 1)
    ]


# (package id, buyer with address, items (product, quantity, discount), flags)
_BUYERS = [
    (
        "3310001",
        _person(
            "Ayşe",
            "Yılmaz",
            "12345678950",
            _addr("Kadıköy", "İstanbul", "34710", "Bahariye Cd. No: 5 D: 3"),
        ),
        [("p-tisort", 2, "20.00")],
        {},
    ),
    (
        "3310002",
        _person(
            "Mehmet",
            "Öztürk",
            "23456789138",
            _addr("Çankaya", "Ankara", "06680", "Tunalı Hilmi Cd. No: 88"),
        ),
        [("p-kazak", 1, "0"), ("p-kitap", 1, "0")],
        {},
    ),
    (
        "3310003",
        _person(
            "Zeynep",
            "Şahin",
            "11111111111",
            _addr("Konak", "İzmir", "35250", "Kıbrıs Şehitleri Cd. No: 140"),
        ),
        [("p-termos", 1, "49.50")],
        {},
    ),
    (
        "3310004",
        _person(
            "Emre", "Çelik", "34567891238", _addr("Nilüfer", "Bursa", "16110", "FSM Blv. No: 21")
        ),
        [("p-ekmek", 3, "0"), ("p-tisort", 1, "0")],
        {},
    ),
    (
        "3310005",
        _company(
            "Ege Gıda San. ve Tic. A.Ş.",
            "1234567890",
            "Karşıyaka",
            _addr("Karşıyaka", "İzmir", "35540", "Cemal Gürsel Cd. No: 402"),
        ),
        [("p-termos", 10, "300.00"), ("p-ekmek", 5, "0")],
        {"registered": True},
    ),
    (
        "3310006",
        _company(
            "Boğaziçi Bilişim Ltd. Şti.",
            "9876543217",
            "Sarıyer",
            _addr("Sarıyer", "İstanbul", "34467", "Büyükdere Cd. No: 255"),
        ),
        [("p-kazak", 4, "0")],
        {"registered": True},
    ),
    (
        "3310007",
        _company(
            "Karadeniz Otelcilik A.Ş.",
            "4567891233",
            "Ortahisar",
            _addr("Ortahisar", "Trabzon", "61030", "Uzun Sk. No: 9"),
        ),
        [("p-tisort", 12, "120.00")],
        {"registered": True},
    ),
    (
        "3310008",
        _company(
            "Küçük Kırtasiye",
            "7418529632",
            "Seyhan",
            _addr("Seyhan", "Adana", "01120", "Atatürk Cd. No: 17"),
        ),
        [("p-kitap", 6, "0")],
        {},
    ),
    (
        "3310009",
        _person(
            "Hans",
            "Müller",
            "2222222222",
            _addr("Mitte", "Berlin", "10117", "Unter den Linden 10", country="DE"),
        ),
        [("p-kazak", 1, "0")],
        {"foreign": True},
    ),
    (
        "3310010",
        _person(
            "Elif",
            "Arslan",
            "45678912316",
            _addr("Tepebaşı", "Eskişehir", "26010", "İki Eylül Cd. No: 33"),
        ),
        [("p-tisort", 1, "0")],
        {"cancel": True},
    ),
    (
        "3310011",
        _person(
            "Burak",
            "Doğan",
            "56789123416",
            _addr("Muratpaşa", "Antalya", "07100", "Işıklar Cd. No: 61"),
        ),
        [("p-canta", 1, "0")],
        {},
    ),
    (
        "3310012",
        _person(
            "Selin",
            "Kaya",
            "67891234594",
            _addr("Odunpazarı", "Eskişehir", "26020", "Sakarya Cd. No: 4"),
        ),
        [("p-termos", 2, "0"), ("p-kitap", 2, "10.00")],
        {},
    ),
]


def demo_scenario(connection_id: str, now: datetime) -> Scenario:
    orders: list[Order] = []
    registered: dict[str, str] = {}
    cancelled: set[str] = set()
    for n, (package, buyer, items, flags) in enumerate(_BUYERS):
        address = buyer.address
        assert address is not None
        orders.append(
            Order(
                id=f"{connection_id}:{package}",
                tenant_id="demo",
                connection_id=connection_id,
                source="trendyol",
                order_number=f"10{package}",
                package_id=package,
                lines=_lines(package, items, export=bool(flags.get("foreign"))),
                buyer=buyer,
                shipping_address=address,
                invoice_address=address,
                ordered_at=now - timedelta(minutes=90 - 5 * n),
                remote_status="Created",
                micro_export=bool(flags.get("foreign")),
            )
        )
        if flags.get("registered"):
            registered[buyer.tax_id] = f"urn:mail:defaultpk@{package}.example.com.tr"
        if flags.get("cancel"):
            cancelled.add(package)
    return Scenario(
        seller=SELLER,
        orders=orders,
        registered=registered,
        seller_aliases=(
            "urn:mail:defaultgb@anadolutekstil.example",
            "urn:mail:defaultpk@anadolutekstil.example",
        ),
        cancelled_package_ids=cancelled,
        products=[*PRODUCTS, *SAMPLE_FILE_PRODUCTS],
        stock=dict(STOCK),
    )


_CITIES = [
    ("Kadıköy", "İstanbul", "34710"),
    ("Çankaya", "Ankara", "06680"),
    ("Konak", "İzmir", "35250"),
    ("Nilüfer", "Bursa", "16110"),
    ("Muratpaşa", "Antalya", "07100"),
]


def bulk_orders(
    n: int,
    *,
    tenant_id: str,
    now: datetime,
    first_package: int,
    company_every: int = 4,
    register_every: int = 2,
    max_lines: int = 3,
    connection_id: str = "trendyol",
) -> tuple[list[Order], dict[str, str]]:
    """``n`` orders for load and crash runs, with checksum-valid tax ids (python-stdnum).

    Every ``company_every``-th buyer is a company (1: all of them), every ``register_every``-th
    company is a registered e-Fatura user (1: all); orders have 1..``max_lines`` lines from the
    in-stock catalog. Returns the orders and the registered tax id → PK alias map.
    """
    from stdnum.tr import tckimlik, vkn

    products = [p for p in PRODUCTS if p.id != OUT_OF_STOCK_PRODUCT]
    orders, registered = [], {}
    for i in range(n):
        district, city, postal = _CITIES[i % len(_CITIES)]
        addr = Address(
            lines=[f"Cumhuriyet Cd. No: {i % 200 + 1}"],
            district=district,
            city=city,
            postal_code=postal,
        )
        if i % company_every == company_every - 1:
            base = f"{100000000 + i * 7919 % 899999999:09d}"
            buyer = Party(
                kind=PartyKind.COMPANY,
                tax_id=base + vkn.calc_check_digit(base),
                company_name=f"Örnek Ticaret {i} A.Ş.",
                tax_office="Merkez",
                address=addr,
            )
            if (i // company_every) % register_every == 0:
                registered[buyer.tax_id] = f"urn:mail:defaultpk@firma{i}.example"
        else:
            base = f"{100000000 + i * 104729 % 899999999:09d}"
            buyer = Party(
                kind=PartyKind.PERSON,
                tax_id=base + tckimlik.calc_check_digits(base),
                first_name="Ayşe",
                last_name=f"Yılmaz{i}",
                address=addr,
            )
        pid = str(first_package + i)
        lines = []
        for k in range(1 + i % max_lines):
            card = products[(i + k) % len(products)]
            discount = Decimal("5.00") if k == 1 else Decimal(0)
            lines.append(line_of(card, f"{pid}-{k}", 1 + (i + k) % 2, discount))
        orders.append(
            Order(
                id=f"{connection_id}:{pid}",
                tenant_id=tenant_id,
                connection_id=connection_id,
                source="trendyol",
                order_number=f"9{pid}",
                package_id=pid,
                lines=lines,
                buyer=buyer,
                shipping_address=addr,
                invoice_address=addr,
                ordered_at=now - timedelta(minutes=60) + timedelta(milliseconds=i),
                remote_status="Created",
            )
        )
    return orders, registered


def outlet_listings(scenario: Scenario) -> Scenario:
    """The seller's outlet store on Trendyol: the same items (same stock codes) under the
    outlet's own barcodes, and no orders."""
    return Scenario(
        seller=scenario.seller,
        products=[
            card.model_copy(update={"barcodes": [f"OUT{card.barcodes[0]}"]})
            for card in scenario.products
        ],
        stock=dict(scenario.stock),
    )
