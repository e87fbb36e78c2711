"""Test data for kervan-nilvera: parties, document factories, a connector wired to a sandbox."""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, date, datetime
from decimal import Decimal

from kervan import ConnectorContext
from kervan.domain import (
    Address,
    DespatchAdvice,
    DespatchLine,
    DocumentKind,
    Driver,
    ExportTerms,
    InternetSale,
    Invoice,
    InvoiceLine,
    Party,
    PartyKind,
    TaxSubtotal,
    Totals,
)
from kervan_nilvera import Nilvera, NilveraSettings
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock

SELLER_VKN = "4540536920"
BUYER_VKN = "3297552117"  # a registered e-Fatura user in the sandbox
BUYER_PK = "urn:mail:defaultpk@alici.com.tr"
PERSON_TCKN = "17291716060"  # not registered
SELLER_GB = "urn:mail:defaultgb@kervan.demo"

ADDRESS = Address(lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul", postal_code="34710")
SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id=SELLER_VKN,
    company_name="Kervan Demo Ticaret A.Ş.",
    tax_office="Kadıköy",
    address=ADDRESS,
)
COMPANY_BUYER = Party(
    kind=PartyKind.COMPANY,
    tax_id=BUYER_VKN,
    company_name="Alıcı Ltd. Şti.",
    tax_office="Beşiktaş",
    address=Address(
        lines=["Barbaros Blv. 5"], district="Beşiktaş", city="İstanbul", postal_code="34353"
    ),
)
PERSON_BUYER = Party(
    kind=PartyKind.PERSON,
    tax_id=PERSON_TCKN,
    first_name="Ayşe",
    last_name="Yılmaz",
    address=Address(
        lines=["Atatürk Cd. 7"], district="Çankaya", city="Ankara", postal_code="06420"
    ),
)

FOREIGN_BUYER = Party(
    kind=PartyKind.COMPANY,
    tax_id="2222222222",
    company_name="Müller GmbH",
    address=Address(lines=["Hauptstr. 1"], district="Mitte", city="Berlin", country="DE"),
)

_counter = iter(range(1, 10**6))


def make_invoice(
    kind: DocumentKind = DocumentKind.EFATURA,
    *,
    series: str | None = None,
    issued_at: datetime | None = None,
    **overrides: object,
) -> Invoice:
    """A one-line, 100 TRY + 20% VAT invoice of ``kind`` with a fresh UUID and number."""
    issued_at = issued_at or datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    efatura = kind is DocumentKind.EFATURA
    series = series or ("KRV" if efatura else "KRA")
    fields: dict[str, object] = {
        "id": f"inv-{uuidlib.uuid4().hex[:8]}",
        "tenant_id": "t1",
        "uuid": str(uuidlib.uuid4()),
        "number": f"{series}{issued_at.year}{next(_counter):09d}",
        "kind": kind,
        "profile": "TEMELFATURA" if efatura else "EARSIVFATURA",
        "issued_at": issued_at,
        "seller": SELLER,
        "buyer": COMPANY_BUYER if efatura else PERSON_BUYER,
        "sender_alias": SELLER_GB if efatura else None,
        "receiver_alias": BUYER_PK if efatura else None,
        "lines": [
            InvoiceLine(
                id=1,
                name="Kahve fincanı",
                quantity=Decimal(1),
                unit_price=Decimal("100.00"),
                line_extension=Decimal("100.00"),
                vat_rate=Decimal(20),
                vat_amount=Decimal("20.00"),
            )
        ],
        "tax_subtotals": [
            TaxSubtotal(
                rate=Decimal(20), taxable_amount=Decimal("100.00"), tax_amount=Decimal("20.00")
            )
        ],
        "totals": Totals(
            line_extension=Decimal("100.00"),
            tax_exclusive=Decimal("100.00"),
            tax_total=Decimal("20.00"),
            tax_inclusive=Decimal("120.00"),
            payable=Decimal("120.00"),
        ),
        "internet_sale": None
        if efatura
        else InternetSale(website="https://www.trendyol.com", payment_date=issued_at.date()),
    }
    fields.update(overrides)
    return Invoice(**fields)  # type: ignore[arg-type]


def make_despatch(receiver: Party = COMPANY_BUYER) -> DespatchAdvice:
    now = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    return DespatchAdvice(
        id=f"dsp-{uuidlib.uuid4().hex[:8]}",
        tenant_id="t1",
        uuid=str(uuidlib.uuid4()),
        number=f"KRI{now.year}{next(_counter):09d}",
        issued_at=now,
        despatched_at=now,
        seller=SELLER,
        receiver=receiver,
        delivery_address=receiver.address or ADDRESS,
        driver=Driver(
            first_name="Ali", last_name="Kaya", national_id="10000000146", plate="34ABC123"
        ),
        lines=[DespatchLine(id=1, name="Yedek parça", quantity=Decimal(1))],
    )


def day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 9, 0, tzinfo=UTC)


def make_connector(sandbox: NilveraSandbox, clock: SimClock, **settings: object) -> Nilvera:
    values = {**sandbox.demo_settings("https://apitest.nilvera.com"), **settings}
    context = ConnectorContext(
        tenant_id="t1",
        connection_id="nilvera-1",
        transport=sandbox.transport(),
        clock=clock.now,
        sleep=clock.sleep,
    )
    return Nilvera(NilveraSettings.parse(values), context)


def make_export_invoice() -> Invoice:
    """An IHRACAT e-Fatura: VAT-exempt (301), with GTİP and delivery terms."""
    exempt = {"exemption_code": "301", "exemption_reason": "11/1-a Mal ihracatı"}
    return make_invoice(
        DocumentKind.EXPORT,
        series="KRE",
        profile="IHRACAT",
        type_code="ISTISNA",
        buyer=FOREIGN_BUYER,
        receiver_alias=None,
        lines=[
            InvoiceLine(
                id=1,
                name="Kahve fincanı",
                quantity=Decimal(1),
                unit_price=Decimal("100.00"),
                line_extension=Decimal("100.00"),
                vat_rate=Decimal(0),
                vat_amount=Decimal("0.00"),
                hs_code="691200000000",
                **exempt,
            )
        ],
        tax_subtotals=[
            TaxSubtotal(
                rate=Decimal(0),
                taxable_amount=Decimal("100.00"),
                tax_amount=Decimal("0.00"),
                **exempt,
            )
        ],
        totals=Totals(
            line_extension=Decimal("100.00"),
            tax_exclusive=Decimal("100.00"),
            tax_total=Decimal("0.00"),
            tax_inclusive=Decimal("100.00"),
            payable=Decimal("100.00"),
        ),
        export_terms=ExportTerms(
            incoterms="DAP", transport_mode="3", delivery_address=FOREIGN_BUYER.address
        ),
    )
