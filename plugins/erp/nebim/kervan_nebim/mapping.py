"""Kervan documents ⇄ Nebim models.

Payload fields follow ``cemyeten/nebim-v3-integrator-docs``: ``examples/Peşin Satış Sipariş
R.txt`` (ModelType 6), ``examples/Peşin Satış Fatura R - Dövizli_8.txt`` and Nebim's PDF
(ModelType 8), ``docs/50-other-info.md`` (``PostalAddress`` for a company or e-Fatura buyer),
``examples/Peşin Satış İade Faturası.txt`` (``InvoiceService/ReturnInvoiceR``),
``examples/Peşin Satış Sipariş İptali_34.txt`` (CancelOrder), ``examples/*_98.txt`` (incoming
EFT), ``examples/*_92.txt`` (other debit/credit), ``examples/*_3.txt`` (retail customer).

Dates are ``yyyyMMdd`` as in the 6 and 98 samples (other samples use ``yyyy-MM-dd``; Nebim's
docs do not say which the service requires). The retail order sample names its warehouse
``StoreWareHouseCode`` and its internet block ``OrdersViaInternetInfo``; the retail invoice (PDF)
``WarehouseCode`` and ``SalesViaInternetInfo``: each model gets its own sample's names.
``PriceVI`` is the VAT-inclusive unit price after the line's discount, to 4 decimals (SQL
``money``), so the document's total is the e-document's payable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from kervan.domain import DocumentKind, Invoice, Party, PartyKind, PaymentMethod, ProductCard
from kervan.errors import InvalidInputError

from .references import payment_mark, reversal_mark, sale_number
from .settings import NebimSettings

ORDER, INVOICE = 6, 8
#: GİB's internet-sale payment types, as Nebim's PDF lists them for PaymentTypeCode
GIB_PAYMENT_TYPES: dict[PaymentMethod, tuple[int, str]] = {
    PaymentMethod.CARD: (1, "KREDİ KARTI/BANKA KARTI"),
    PaymentMethod.TRANSFER: (2, "EFT/HAVALE"),
    PaymentMethod.CASH_ON_DELIVERY: (3, "KAPIDA ÖDEME"),
    PaymentMethod.PAYMENT_AGENT: (4, "ÖDEME ARACISI"),
    PaymentMethod.OTHER: (5, "DİĞER"),
}
FOUR = Decimal("0.0001")


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def unit_price_vi(line: Any) -> Decimal:
    """VAT-inclusive unit price after discount (4 decimals)."""
    return ((line.line_extension + line.vat_amount) / line.quantity).quantize(FOUR)


def lines_of(invoice: Invoice) -> list[dict[str, Any]]:
    out = []
    for line in invoice.lines:
        if not line.barcode:
            raise InvalidInputError(
                f"invoice {invoice.number}: line {line.id} ({line.name}) has no barcode; Nebim "
                "needs UsedBarcode (or ItemCode with colour and size, which Kervan does not keep)"
            )
        out.append(
            {
                "UsedBarcode": line.barcode,
                "Qty1": line.quantity,
                "PriceVI": unit_price_vi(line),
                # our line id, so a later return or cancellation finds Nebim's LineID
                "LineDescription": f"KRV:{line.id}",
            }
        )
    return out


def postal_address(buyer: Party) -> dict[str, Any]:
    """The third-party / e-Fatura block. Nebim wants a TaxOfficeCode; Kervan keeps the tax
    office's name, which is not a V3 code, so the code is sent empty (uncertain: V3 may then
    take the office from its own VKN records, or refuse)."""
    company = buyer.kind is PartyKind.COMPANY
    return {
        "CompanyName": buyer.company_name or "" if company else "",
        "FirstName": "" if company else buyer.first_name or "",
        "LastName": "" if company else buyer.last_name or "",
        "TaxNumber": buyer.tax_id if company else "",
        "TaxOfficeCode": "",
        "IdentityNum": "" if company else buyer.tax_id,
    }


def payments_of(invoice: Invoice, settings: NebimSettings) -> list[dict[str, Any]]:
    """The tenant's mapping of the sale's payment method; none when it maps none."""
    method = invoice.internet_sale.payment_method if invoice.internet_sale else None
    mapped = settings.payments.get(method.value) if method else None
    if mapped is None:
        return []
    return [
        {
            "PaymentType": mapped.payment_type,
            "Code": mapped.code,
            "CreditCardTypeCode": mapped.credit_card_type_code,
            "InstallmentCount": 1 if mapped.payment_type == 2 else 0,
            "CurrencyCode": invoice.currency,
            "Amount": invoice.totals.payable,
        }
    ]


def sales_url(invoice: Invoice, settings: NebimSettings) -> str:
    """SalesURL holds 30 characters: the website's host, or the setting."""
    website = invoice.internet_sale.website if invoice.internet_sale else ""
    host = (urlsplit(website).hostname or website) if website else settings.sales_url
    if len(host) > 30:
        raise InvalidInputError(
            f"the website {host!r} is longer than Nebim's 30-character SalesURL; set sales_url"
        )
    return host


def internet_info(invoice: Invoice, settings: NebimSettings) -> dict[str, Any]:
    sale = invoice.internet_sale
    method = sale.payment_method if sale else PaymentMethod.OTHER
    code, description = GIB_PAYMENT_TYPES[method]
    paid = sale.payment_date if sale else invoice.issued_at.date()
    sent = sale.send_date if sale and sale.send_date else invoice.issued_at.date()
    return {
        "SalesURL": sales_url(invoice, settings),
        "PaymentTypeCode": code,
        "PaymentTypeDescription": description,
        "PaymentAgent": (sale.payment_agent or "") if sale else "",
        "PaymentDate": ymd(paid),
        "SendDate": ymd(sent),
    }


def needs_postal_address(invoice: Invoice) -> bool:
    return invoice.kind is DocumentKind.EFATURA or invoice.buyer.kind is PartyKind.COMPANY


def sale_model(invoice: Invoice, settings: NebimSettings, customer_code: str) -> dict[str, Any]:
    """The retail order (6) or retail invoice (8) for ``invoice``, per ``settings.post_as``."""
    s = settings
    as_order = s.post_as == "order"
    model: dict[str, Any] = {
        "ModelType": ORDER if as_order else INVOICE,
        "CustomerCode": customer_code,
        "PosTerminalID": s.pos_terminal_id,
        "OfficeCode": s.office_code,
        "StoreCode": s.store_code,
        "DocumentNumber": sale_number(invoice),
        "Description": f"Kervan {invoice.number} sipariş {invoice.order_number or '-'}"[:200],
        "InternalDescription": invoice.uuid,
        "IsSalesViaInternet": True,
        "IsCompleted": True,
        "ShipmentMethodCode": s.shipment_method_code,
        "Lines": lines_of(invoice),
        "Payments": payments_of(invoice, s),
    }
    info = internet_info(invoice, s)
    if as_order:
        model |= {
            "OrderDate": ymd(invoice.issued_at.date()),
            "StoreWareHouseCode": s.warehouse_code,
        }
        model["OrdersViaInternetInfo"] = info
    else:
        model |= {
            "CompanyCode": s.company_code,
            "InvoiceDate": ymd(invoice.issued_at.date()),
            "WarehouseCode": s.warehouse_code,
            "IsReturn": False,
            "SalesViaInternetInfo": info,
        }
        if invoice.buyer.email:
            model["EMailAddress"] = invoice.buyer.email
    carrier = invoice.internet_sale.carrier_name if invoice.internet_sale else None
    if carrier and carrier in s.delivery_company_codes:
        model["DeliveryCompanyCode"] = s.delivery_company_codes[carrier]
    if needs_postal_address(invoice):
        model["PostalAddress"] = postal_address(invoice.buyer)
    return model


def retail_customer_model(party: Party, settings: NebimSettings) -> dict[str, Any]:
    """A retail customer card (ModelType 3); ``CurrAccCode`` empty lets V3 number it."""
    address = party.address
    postal = []
    if address is not None:
        postal.append({"AddressTypeCode": "1", "Address": ", ".join(address.lines)[:200]})
    return {
        "ModelType": 3,
        "CurrAccCode": "",
        "FirstName": party.first_name or party.company_name or "",
        "LastName": party.last_name or "",
        "IdentityNum": party.tax_id if party.kind is PartyKind.PERSON else "",
        "TaxNumber": party.tax_id if party.kind is PartyKind.COMPANY else "",
        "OfficeCode": settings.office_code,
        "PostalAddresses": postal,
    }


def eft_model(
    invoice: Invoice, amount: Decimal, paid_on: date, number: str, settings: NebimSettings
) -> dict[str, Any]:
    """The payout as an incoming bank EFT (98) on the marketplace's current account
    (an inference in the shared reference, apis-2.md §5.1: not documented as such)."""
    return {
        "ModelType": 98,
        "BankTransTypeCode": settings.bank_trans_type_code,
        "CompanyCode": settings.company_code,
        "OfficeCode": settings.office_code,
        "Description": payment_mark(invoice),
        "DocumentNumber": number,
        "DocumentDate": ymd(paid_on),
        "IsCompleted": True,
        "Lines": [
            {
                "CurrAccTypeCode": 3,
                "CurrAccCode": settings.settlement_account_code,
                "Amount": amount,
                "BankAccountCode": settings.bank_account_code,
            }
        ],
    }


def charge_model(
    invoice: Invoice,
    amounts: Mapping[str, Decimal],
    on: date,
    number: str,
    settings: NebimSettings,
    *,
    credit: bool,
) -> dict[str, Any]:
    """Other debit/credit (92) on the marketplace's account: deductions are credits (they
    close the rest of the receivable), a reversal is a debit."""
    lines = [
        {
            "CreditAmount": amount if credit else Decimal(0),
            "DebitAmount": Decimal(0) if credit else amount,
            "DebitReasonCode": settings.debit_reason_code,
            "DocCurrencyCode": invoice.currency,
            "DueDate": ymd(on),
            "LineDescription": name[:200],
        }
        for name, amount in amounts.items()
    ]
    return {
        "ModelType": 92,
        "CompanyCode": settings.company_code,
        "OfficeCode": settings.office_code,
        "CurrAccCode": settings.settlement_account_code,
        "CurrAccTypeCode": 3,
        "DebitTypeCode": 1,
        "Description": payment_mark(invoice),
        "DocCurrencyCode": invoice.currency,
        "DocumentDate": ymd(on),
        "DocumentNumber": number,
        "IsCompleted": True,
        "IsReturn": False,
        "Lines": lines,
    }


def return_model(
    invoice_number: str,
    line_qty: Mapping[str, Decimal],
    on: date,
    mark: str,
    settings: NebimSettings,
) -> dict[str, Any]:
    """``InvoiceService/ReturnInvoiceR``: lines by Nebim's LineID of the original invoice."""
    return {
        "ModelType": 0,
        "InvoiceNumber": invoice_number,
        "InvoiceDate": on.isoformat(),
        "InvoiceTime": "00:00:00",
        "PosTerminalID": settings.pos_terminal_id,
        "WarehouseCode": settings.warehouse_code,
        "Description": mark,
        "ExchangeRate": 1,
        "IsCompleted": True,
        "StoreCode": settings.store_code,
        "OfficeCode": settings.office_code,
        "CompanyCode": settings.company_code,
        "IsReturn": True,
        "ReturnLineInfos": [
            {"LineID": line_id, "ReturnQty": qty, "ReturnReasonCode": settings.return_reason_code}
            for line_id, qty in line_qty.items()
        ],
    }


def cancel_model(
    order_number: str, line_qty: Mapping[str, Decimal], settings: NebimSettings
) -> dict[str, Any]:
    """CancelOrder (34): the open quantity of each line of a retail order."""
    return {
        "ModelType": 34,
        "OrderNumber": order_number,
        "Lines": [
            {"LineID": line_id, "Qty1": qty, "OrderCancelReasonCode": settings.cancel_reason_code}
            for line_id, qty in line_qty.items()
        ],
    }


def reversal_description(invoice: Invoice) -> str:
    return reversal_mark(invoice)


def cards_from_rows(
    rows: list[dict[str, Any]], tenant_id: str, settings: NebimSettings
) -> list[ProductCard]:
    """Product rows (one per barcode and warehouse) → one card per exact ``ItemCode``.

    A row's ``Inventory`` is the item's quantity in its ``WarehouseCode`` (repeated on each
    barcode row of the item, so it is taken once per warehouse). Status columns
    (``IsBlocked``, ``IsPassive``...) are never read: Kervan keeps its own active flag."""
    by_code: dict[str, dict[str, Any]] = {}
    for row in rows:
        code = str(row.get("ItemCode") or "")
        if not code:
            continue
        entry = by_code.setdefault(
            code, {"name": "", "barcodes": [], "price": None, "on_hand": {}, "vat": None}
        )
        entry["name"] = entry["name"] or str(row.get("ItemDescription") or "").strip()
        barcode = str(row.get("Barcode") or "").strip()
        if barcode and barcode not in entry["barcodes"]:
            entry["barcodes"].append(barcode)
        if entry["price"] is None and row.get("Price") not in (None, ""):
            entry["price"] = Decimal(str(row["Price"])).quantize(Decimal("0.01"))
        if row.get("VatRate") not in (None, ""):
            entry["vat"] = Decimal(str(row["VatRate"]))
        warehouse = str(row.get("WarehouseCode") or "")
        if warehouse and warehouse not in entry["on_hand"] and row.get("Inventory") is not None:
            entry["on_hand"][warehouse] = int(Decimal(str(row["Inventory"])))
    cards = []
    for code, entry in by_code.items():
        if not entry["barcodes"]:
            continue  # nothing to sell it by
        fields: dict[str, Any] = {
            "id": "",
            "tenant_id": tenant_id,
            "sku": code,
            "name": entry["name"] or code,
            "barcodes": entry["barcodes"],
            "erp_on_hand": entry["on_hand"] or None,
        }
        if settings.price_updates and entry["price"] is not None:
            fields["erp_price"] = entry["price"]
        if entry["vat"] is not None:
            fields["vat_rate"] = entry["vat"]
        cards.append(ProductCard(**fields))
    return cards
