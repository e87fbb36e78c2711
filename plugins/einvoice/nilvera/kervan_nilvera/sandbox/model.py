"""Nilvera's JSON invoice model (``Send/Model``, ``Draft/Create``) turned into the UBL it stands for.

The model is Nilvera's ``EInvoiceDto`` / ``ArchiveInvoiceDto`` (its e-Invoice and e-Archive
OpenAPI documents, as published with montarist/nilvera-api ``docs/*.swagger.json``; the same
fields in ``done6666/nilvera-sdk-php`` ``SendInvoiceRequest``): ``InvoiceInfo``,
``CompanyInfo``, ``CustomerInfo``, ``InvoiceLines[]``, ``Notes[]``. The OpenAPI marks no field
required (every one is nullable), so the sandbox asks only for what a UBL-TR invoice cannot do
without (a customer tax id, name, city and district, at least one line with a name, quantity
and price) and refuses the rest as GİB's schema would: 422 / 2015. It covers the ordinary
sale (SATIS, IADE with ``ReturnInvoiceInfo``, ISTISNA, TEMELFATURA / TICARIFATURA /
EARSIVFATURA); other types and profiles are refused the same way *(the sandbox's limit, not
Nilvera's)*.
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import kervan_ubltr
from kervan.domain import (
    Address,
    BillingReference,
    DocumentKind,
    InternetSale,
    Invoice,
    InvoiceLine,
    Party,
    PartyKind,
    TaxSubtotal,
    Totals,
)
from pydantic import ValidationError

from ..mapping import EARCHIVE
from .state import ISTANBUL, Refusal

#: the model's key per channel: ``EInvoice`` (e-Fatura) or ``ArchiveInvoice`` (e-Arşiv)
MODEL_KEY = {"einvoice": "EInvoice", "earchive": "ArchiveInvoice"}
_PROFILES = {"einvoice": {"TEMELFATURA", "TICARIFATURA"}, "earchive": {"EARSIVFATURA"}}
_TYPES = {"SATIS", "IADE", "ISTISNA"}
CENT = Decimal("0.01")


def _schema(detail: str) -> Refusal:
    return Refusal(422, 2015, "Şema/Şematron hatası", detail)


def _money(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        raise Refusal(400, 400, field, "Geçerli bir sayı olmalıdır") from None


def _party(info: Any, role: str) -> Party:
    if not isinstance(info, dict):
        raise _schema(f"{role} is required")
    tax_id = str(info.get("TaxNumber") or "").strip()
    name = str(info.get("Name") or "").strip()
    if not (tax_id.isdigit() and len(tax_id) in (10, 11)):
        raise _schema(f"{role}.TaxNumber must be a 10-digit VKN or 11-digit TCKN")
    if not name:
        raise _schema(f"{role}.Name is required")
    if not info.get("City") or not info.get("District"):
        raise _schema(f"{role}.City and {role}.District are required")
    address = Address(
        lines=[str(info.get("Address") or "-")],
        district=str(info["District"]),
        city=str(info["City"]),
        postal_code=str(info["PostalCode"]) if info.get("PostalCode") else None,
    )
    common: dict[str, Any] = {
        "tax_id": tax_id,
        "tax_office": info.get("TaxOffice") or None,
        "email": info.get("Mail") or None,
        "phone": info.get("Phone") or None,
        "address": address,
    }
    if len(tax_id) == 11:
        first, _, last = name.rpartition(" ")
        return Party(kind=PartyKind.PERSON, first_name=first or name, last_name=last, **common)
    return Party(kind=PartyKind.COMPANY, company_name=name, **common)


def _line(index: int, raw: Any) -> InvoiceLine:
    if not isinstance(raw, dict) or not raw.get("Name"):
        raise _schema(f"InvoiceLines[{index - 1}].Name is required")
    quantity = _money(raw.get("Quantity"), "Quantity")
    price = _money(raw.get("Price"), "Price")
    if quantity <= 0 or price < 0:
        raise _schema(f"InvoiceLines[{index - 1}] needs a positive Quantity and a Price")
    discount = _money(raw.get("AllowanceTotal"), "AllowanceTotal").quantize(CENT)
    extension = (quantity * price - discount).quantize(CENT, ROUND_HALF_UP)
    rate = _money(raw.get("KDVPercent"), "KDVPercent")
    vat = raw.get("KDVTotal")
    vat_amount = (_money(vat, "KDVTotal") if vat is not None else extension * rate / 100).quantize(
        CENT, ROUND_HALF_UP
    )
    return InvoiceLine(
        id=index,
        name=str(raw["Name"]),
        quantity=quantity,
        unit_code=str(raw.get("UnitType") or "C62"),
        unit_price=price,
        discount=discount,
        line_extension=extension,
        vat_rate=rate,
        vat_amount=vat_amount,
        sku=raw.get("SellerCode") or None,
    )


def invoice_from_model(
    channel: str,
    body: Any,
    *,
    seller: Party,
    number: str | None,
    uuid: str,
    now: datetime,
) -> Invoice:
    """The kervan domain invoice a Nilvera model stands for (then built as UBL-TR)."""
    model = body.get(MODEL_KEY[channel]) if isinstance(body, dict) else None
    if not isinstance(model, dict):
        raise Refusal(400, 400, MODEL_KEY[channel], "Nesnesi Null Olamaz.")
    info = model.get("InvoiceInfo") or {}
    if not isinstance(info, dict):
        raise _schema("InvoiceInfo must be an object")
    profile = str(info.get("InvoiceProfile") or ("EARSIVFATURA" if channel == EARCHIVE else ""))
    if profile not in _PROFILES[channel]:
        if channel == EARCHIVE:
            raise Refusal(422, 2024, "Belge senaryosu e-Arşiv olmalıdır", profile)
        raise _schema(f"InvoiceProfile {profile or 'missing'} is not one the sandbox builds")
    type_code = str(info.get("InvoiceType") or "SATIS")
    if type_code not in _TYPES:
        raise _schema(f"InvoiceType {type_code} is not one the sandbox builds")
    raw_lines = model.get("InvoiceLines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise _schema("InvoiceLines must have at least one line")
    lines = [_line(i, raw) for i, raw in enumerate(raw_lines, start=1)]
    issued = _issue_time(info.get("IssueDate"), now)
    subtotals: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        taxable, tax = subtotals.setdefault(line.vat_rate, [Decimal(0), Decimal(0)])
        subtotals[line.vat_rate] = [taxable + line.line_extension, tax + line.vat_amount]
    extension = sum((line.line_extension for line in lines), Decimal(0))
    tax_total = sum((line.vat_amount for line in lines), Decimal(0))
    reference = None
    if type_code == "IADE":
        refs = info.get("ReturnInvoiceInfo") or []
        first = refs[0] if isinstance(refs, list) and refs and isinstance(refs[0], dict) else {}
        if not first.get("InvoiceNumber"):
            raise _schema("an IADE invoice needs ReturnInvoiceInfo[].InvoiceNumber")
        reference = BillingReference(
            number=str(first["InvoiceNumber"]),
            issue_date=_date(first.get("IssueDate"), issued.date()),
        )
    try:
        return Invoice(
            id=f"model-{uuid}",
            tenant_id="nilvera-sandbox",
            uuid=uuid,
            number=number,
            kind=DocumentKind.EARSIV if channel == EARCHIVE else DocumentKind.EFATURA,
            profile=profile,
            type_code=type_code,
            issued_at=issued,
            currency=str(info.get("CurrencyCode") or "TRY"),
            seller=seller,
            buyer=_party(model.get("CustomerInfo"), "CustomerInfo"),
            lines=lines,
            tax_subtotals=[
                TaxSubtotal(rate=rate, taxable_amount=amounts[0], tax_amount=amounts[1])
                for rate, amounts in sorted(subtotals.items())
            ],
            totals=Totals(
                line_extension=extension,
                tax_exclusive=extension,
                tax_total=tax_total,
                tax_inclusive=extension + tax_total,
                payable=extension + tax_total,
            ),
            notes=[str(n) for n in model.get("Notes") or []],
            internet_sale=_internet_sale(channel, info, issued),
            billing_reference=reference,
        )
    except ValidationError as exc:
        first_error = exc.errors()[0]
        where = ".".join(str(p) for p in first_error["loc"])
        raise _schema(f"{where}: {first_error['msg']}") from None


def _internet_sale(channel: str, info: dict[str, Any], issued: datetime) -> InternetSale | None:
    """An e-Arşiv sold on the internet (``SalesPlatform`` INTERNET, or ``InternetInfo``)."""
    internet = info.get("InternetInfo")
    if channel != EARCHIVE or not (info.get("SalesPlatform") == "INTERNET" or internet):
        return None
    site = internet.get("WebSite") if isinstance(internet, dict) else None
    return InternetSale(website=str(site or "https://www.nilvera.com"), payment_date=issued.date())


def build_model_xml(invoice: Invoice) -> bytes:
    return kervan_ubltr.build_invoice(invoice)


def model_of(channel: str, invoice: Invoice) -> dict[str, Any]:
    """``GET /…/Draft/{UUID}/model``: the model back, with the number and totals filled in."""
    buyer = invoice.buyer
    address = buyer.address
    return {
        MODEL_KEY[channel]: {
            "InvoiceInfo": {
                "UUID": invoice.uuid,
                "InvoiceType": invoice.type_code,
                "InvoiceSerieOrNumber": invoice.number,
                "IssueDate": invoice.issued_at.astimezone(ISTANBUL)
                .replace(tzinfo=None)
                .isoformat(),
                "CurrencyCode": invoice.currency,
                "InvoiceProfile": invoice.profile,
                "LineExtensionAmount": float(invoice.totals.line_extension),
                "KdvTotal": float(invoice.totals.tax_total),
                "PayableAmount": float(invoice.totals.payable),
            },
            "CustomerInfo": {
                "TaxNumber": buyer.tax_id,
                "Name": buyer.display_name,
                "TaxOffice": buyer.tax_office,
                "Address": address.lines[0] if address else None,
                "District": address.district if address else None,
                "City": address.city if address else None,
            },
            "InvoiceLines": [
                {
                    "Name": line.name,
                    "Quantity": float(line.quantity),
                    "UnitType": line.unit_code,
                    "Price": float(line.unit_price),
                    "AllowanceTotal": float(line.discount),
                    "KDVPercent": float(line.vat_rate),
                    "KDVTotal": float(line.vat_amount),
                }
                for line in invoice.lines
            ],
            "Notes": list(invoice.notes),
        }
    }


def new_uuid(raw: Any) -> str:
    """The model's ``InvoiceInfo.UUID``, or a fresh one (Nilvera assigns it when absent)."""
    if raw in (None, "", "00000000-0000-0000-0000-000000000000"):
        return str(uuidlib.uuid4())
    try:
        return str(uuidlib.UUID(str(raw)))
    except ValueError:
        raise Refusal(400, 400, "UUID", "Geçerli bir UUID olmalıdır") from None


def _issue_time(raw: Any, now: datetime) -> datetime:
    if not raw:
        return now
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        raise Refusal(400, 400, "IssueDate", f"not a date-time: {raw!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=ISTANBUL).astimezone(UTC)


def _date(raw: Any, default: date) -> date:
    if not raw:
        return default
    try:
        return datetime.fromisoformat(str(raw)).date()
    except ValueError:
        return datetime.combine(default, time()).date()
