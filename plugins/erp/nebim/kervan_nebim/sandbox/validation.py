"""What the sandbox checks in each model before it takes it, as V3 would refuse it.

Rules and sources (``cemyeten/nebim-v3-integrator-docs``; "PDF" is Nebim's own document in its
``references/``): the mandatory fields of the retail order (6) and retail invoice (8) model
tables (PDF pp. 19, 24); ``UsedBarcode`` excludes ``ItemCode``/``ColorCode``/``ItemDim1Code``
and one of the two is needed (PDF p. 20); ``PaymentType`` 1, 2, 4, 7 with ``Code`` /
``CreditCardTypeCode`` as the PDF's notes say (p. 21); GİB's internet ``PaymentTypeCode`` 1–5
(p. 20); ``ShipmentMethodCode`` 1–3; string lengths of the model tables (DocumentNumber 30,
Description 200, SalesURL 30); ``PostalAddress`` keys from ``docs/50-other-info.md``;
``ReturnInvoiceR`` keys from ``examples/Peşin Satış İade Faturası.txt``; 34, 92, 98 and 3
from their examples. A codes V3 would look up (customer, barcode, office, store, warehouse)
must exist in the sandbox's state. The messages are the sandbox's own wording (V3's are
not published).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


class NebimRefusal(Exception):
    """V3 would refuse this model; the text becomes ``ExceptionMessage``."""


def ci(model: dict[str, Any], key: str) -> Any:
    """A key looked up case-insensitively (the samples spell WarehouseCode and WareHouseCode;
    .NET's JSON binding ignores case)."""
    if key in model:
        return model[key]
    folded = key.casefold()
    for k, v in model.items():
        if k.casefold() == folded:
            return v
    return None


def need(model: dict[str, Any], *keys: str, where: str) -> None:
    for key in keys:
        value = ci(model, key)
        if value is None or value == "":
            raise NebimRefusal(f"{where}: {key} alanı zorunludur (is required)")


def max_len(model: dict[str, Any], where: str, **limits: int) -> None:
    for key, limit in limits.items():
        value = ci(model, key)
        if value is not None and len(str(value)) > limit:
            raise NebimRefusal(f"{where}: {key} en fazla {limit} karakter (max {limit} chars)")


def money(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise NebimRefusal(f"{where}: {value!r} is not a number") from None


def lines(model: dict[str, Any], known_barcodes: set[str], where: str) -> None:
    rows = ci(model, "Lines")
    if not isinstance(rows, list) or not rows:
        raise NebimRefusal(f"{where}: Lines is required")
    for i, line in enumerate(rows, 1):
        at = f"{where} Lines[{i}]"
        if not isinstance(line, dict):
            raise NebimRefusal(f"{at}: not an object")
        barcode = ci(line, "UsedBarcode")
        item_keys = [k for k in ("ItemCode", "ColorCode", "ItemDim1Code") if ci(line, k)]
        if barcode and item_keys:
            raise NebimRefusal(f"{at}: UsedBarcode cannot be sent with {', '.join(item_keys)}")
        if not barcode and not ci(line, "ItemCode"):
            raise NebimRefusal(f"{at}: UsedBarcode or ItemCode is required")
        if barcode and barcode not in known_barcodes:
            raise NebimRefusal(f"{at}: barkod bulunamadı (unknown barcode) {barcode}")
        if money(ci(line, "Qty1"), at) <= 0:
            raise NebimRefusal(f"{at}: Qty1 must be above zero")
        if ci(line, "PriceVI") is not None and money(ci(line, "PriceVI"), at) < 0:
            raise NebimRefusal(f"{at}: PriceVI must not be negative")
        max_len(line, at, LineDescription=200, UsedBarcode=30)


def payments(model: dict[str, Any], where: str) -> None:
    for i, pay in enumerate(ci(model, "Payments") or [], 1):
        at = f"{where} Payments[{i}]"
        kind = str(ci(pay, "PaymentType"))
        if kind not in {"1", "2", "4", "7"}:
            raise NebimRefusal(f"{at}: PaymentType must be 1, 2, 4 or 7")
        card = ci(pay, "CreditCardTypeCode") or ""
        if kind == "2" and (not card or ci(pay, "Code")):
            raise NebimRefusal(f"{at}: a credit card payment needs CreditCardTypeCode, no Code")
        if kind != "2" and card:
            raise NebimRefusal(f"{at}: CreditCardTypeCode is only for PaymentType 2")
        if kind in {"1", "4"} and not ci(pay, "Code"):
            raise NebimRefusal(f"{at}: PaymentType {kind} needs its Code")
        money(ci(pay, "Amount"), at)


def internet_info(block: Any, where: str) -> None:
    if block is None:
        return
    if not isinstance(block, dict):
        raise NebimRefusal(f"{where}: not an object")
    if str(ci(block, "PaymentTypeCode")) not in {"1", "2", "3", "4", "5"}:
        raise NebimRefusal(f"{where}: PaymentTypeCode must be one of GİB's 1-5")
    max_len(block, where, SalesURL=30, PaymentTypeDescription=100, PaymentAgent=100)


def postal_address(block: Any, where: str) -> None:
    if block is None:
        return
    allowed = {"CompanyName", "FirstName", "LastName", "TaxNumber", "TaxOfficeCode", "IdentityNum"}
    if not isinstance(block, dict) or set(block) - allowed:
        raise NebimRefusal(f"{where}: keys must be among {sorted(allowed)}")
    if not (block.get("TaxNumber") or block.get("IdentityNum")):
        raise NebimRefusal(f"{where}: TaxNumber or IdentityNum is required")
    if block.get("TaxNumber") and not block.get("CompanyName"):
        raise NebimRefusal(f"{where}: a TaxNumber needs its CompanyName")


def sale(model: dict[str, Any], known_barcodes: set[str], order: bool) -> None:
    where = "OrderR" if order else "InvoiceR"
    warehouse = "StoreWareHouseCode" if order else "WarehouseCode"
    need(model, "CustomerCode", "OfficeCode", "StoreCode", warehouse, where=where)
    max_len(
        model,
        where,
        CustomerCode=30,
        OfficeCode=5,
        StoreCode=30,
        DocumentNumber=30,
        Description=200,
        DeliveryCompanyCode=10,
    )
    shipment = ci(model, "ShipmentMethodCode")
    if shipment is not None and str(shipment) not in {"1", "2", "3"}:
        raise NebimRefusal(f"{where}: ShipmentMethodCode must be 1, 2 or 3")
    lines(model, known_barcodes, where)
    payments(model, where)
    info_key = "OrdersViaInternetInfo" if order else "SalesViaInternetInfo"
    internet_info(ci(model, info_key), f"{where} {info_key}")
    if ci(model, "IsSalesViaInternet") and ci(model, info_key) is None:
        raise NebimRefusal(f"{where}: an internet sale needs {info_key}")
    postal_address(ci(model, "PostalAddress"), f"{where} PostalAddress")


def retail_return(model: dict[str, Any]) -> None:
    where = "ReturnInvoiceR"
    need(
        model,
        "InvoiceNumber",
        "InvoiceDate",
        "StoreCode",
        "OfficeCode",
        "WarehouseCode",
        where=where,
    )
    if ci(model, "IsReturn") is not True:
        raise NebimRefusal(f"{where}: IsReturn must be true")
    infos = ci(model, "ReturnLineInfos")
    if not isinstance(infos, list) or not infos:
        raise NebimRefusal(f"{where}: ReturnLineInfos is required")
    for i, info in enumerate(infos, 1):
        need(info, "LineID", "ReturnQty", "ReturnReasonCode", where=f"{where} ReturnLineInfos[{i}]")
    payments(model, where)


def cancel_order(model: dict[str, Any]) -> None:
    need(model, "OrderNumber", where="CancelOrder")
    rows = ci(model, "Lines")
    if not isinstance(rows, list) or not rows:
        raise NebimRefusal("CancelOrder: Lines is required")
    for i, line in enumerate(rows, 1):
        need(line, "LineID", "Qty1", "OrderCancelReasonCode", where=f"CancelOrder Lines[{i}]")


def bank_eft(model: dict[str, Any]) -> None:
    need(model, "BankTransTypeCode", "OfficeCode", "DocumentDate", where="BankRemittanceEFT")
    max_len(model, "BankRemittanceEFT", DocumentNumber=30, Description=200)
    for i, line in enumerate(ci(model, "Lines") or [], 1):
        at = f"BankRemittanceEFT Lines[{i}]"
        need(line, "CurrAccTypeCode", "CurrAccCode", "Amount", "BankAccountCode", where=at)
        if money(ci(line, "Amount"), at) <= 0:
            raise NebimRefusal(f"{at}: Amount must be above zero")
    if not ci(model, "Lines"):
        raise NebimRefusal("BankRemittanceEFT: Lines is required")


def other_charge(model: dict[str, Any]) -> None:
    need(model, "CurrAccCode", "CurrAccTypeCode", "DocumentDate", where="CustomerOtherCharge")
    max_len(model, "CustomerOtherCharge", DocumentNumber=30, Description=200)
    rows = ci(model, "Lines")
    if not isinstance(rows, list) or not rows:
        raise NebimRefusal("CustomerOtherCharge: Lines is required")
    for i, line in enumerate(rows, 1):
        at = f"CustomerOtherCharge Lines[{i}]"
        credit, debit = (
            money(ci(line, "CreditAmount") or 0, at),
            money(ci(line, "DebitAmount") or 0, at),
        )
        if (credit > 0) == (debit > 0):
            raise NebimRefusal(f"{at}: exactly one of CreditAmount and DebitAmount")
        need(line, "DebitReasonCode", where=at)


def retail_customer(model: dict[str, Any]) -> None:
    need(model, "FirstName", "OfficeCode", where="RetailCustomer")
    if not (ci(model, "IdentityNum") or ci(model, "TaxNumber")):
        raise NebimRefusal("RetailCustomer: IdentityNum or TaxNumber is required")
