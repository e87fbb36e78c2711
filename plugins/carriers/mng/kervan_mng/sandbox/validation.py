"""Request checks written from MNG's published request models (sources: the package docstring).

Each check returns the documented refusal, or None when the part is acceptable. Codes the
public sources give are used as they are (26029, 26039, 26056, 4002); the others are the
sandbox's own and are named so in the package docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi.responses import JSONResponse

from .shapes import error, invalid
from .state import code_of

#: CreateOrderRequest enums, from the vendor's property descriptions
SERVICE_TYPES = frozenset({1, 7, 8})  # standard, same day, evening
PACKAGING_TYPES = frozenset({1, 2, 3, 4})  # file, mi, parcel, box
PAYMENT_TYPES = frozenset({1, 2})  # sender, recipient ("CreateOrder does not apply to 3")
DELIVERY_TYPES = frozenset({1, 2})  # to the address, recipient notified
FLAGS = frozenset({0, 1})
MARKETPLACES = frozenset({"", "TRND", "GG", "N11"})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MOBILE = re.compile(r"^[1-9]\d{9}$")

CodeCheck = Callable[[Any, Any], JSONResponse | None]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def not_converted(field: str, value: Any, to: str) -> JSONResponse:
    return invalid(
        "4002", f"The JSON value {value!r} of {field} could not be converted to System.{to}."
    )


def pieces(body: dict[str, Any], *, required: bool = True) -> JSONResponse | None:
    """``orderPieceList``: pieces with a barcode and whole desi and kg (int32)."""
    value = body.get("orderPieceList")
    if value is None and not required:
        return None
    if not isinstance(value, list) or not value:
        return invalid("4002", "orderPieceList zorunludur ve en az bir parça içermelidir")
    for n, piece in enumerate(value):
        if not isinstance(piece, dict) or not str(piece.get("barcode") or "").strip():
            return invalid("4002", f"orderPieceList[{n}].barcode zorunludur")
        for key in ("desi", "kg"):
            if key in piece and not _is_int(piece[key]):
                return not_converted(f"orderPieceList[{n}].{key}", piece[key], "Int32")
    return None


def _enum(head: dict[str, Any], field: str, allowed: Iterable[int]) -> JSONResponse | None:
    if field not in head:
        return None
    value = head[field]
    if not _is_int(value):
        return not_converted(f"order.{field}", value, "Int32")
    if value not in allowed:
        return invalid(
            "26104",
            f"order.{field} {value} geçersiz; geçerli değerler: {sorted(allowed)}",
        )
    return None


def order_head(body: dict[str, Any]) -> JSONResponse | None:
    """The ``order`` part of createOrder / createReturnOrder."""
    head = body.get("order")
    if not isinstance(head, dict):
        return invalid("4002", "order zorunludur")
    ref = head.get("referenceId")
    if not isinstance(ref, str) or not ref.strip():
        return invalid("4002", "order.referenceId zorunludur")
    if head.get("barcode") != ref:
        return invalid("26103", "Barcode must be same with ReferenceId.")
    for field in ("content", "description"):
        if not isinstance(head.get(field), str) or not head[field].strip():
            return invalid("4002", f"order.{field} zorunludur", message="Bad Request")
    if "marketPlaceShortCode" not in head or head["marketPlaceShortCode"] not in MARKETPLACES:
        return invalid(
            "26029",
            "order.marketPlaceShortCode zorunludur (pazaryeri gönderisi değilse boş gönderin); "
            f"geçerli değerler: {sorted(MARKETPLACES)}",
        )
    for field, allowed in (
        ("shipmentServiceType", SERVICE_TYPES),
        ("packagingType", PACKAGING_TYPES),
        ("paymentType", PAYMENT_TYPES),
        ("deliveryType", DELIVERY_TYPES),
        ("isCOD", FLAGS),
        ("smsPreference1", FLAGS),
        ("smsPreference2", FLAGS),
        ("smsPreference3", FLAGS),
    ):
        if (bad := _enum(head, field, allowed)) is not None:
            return bad
    amount = head.get("codAmount", 0)
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return not_converted("order.codAmount", amount, "Double")
    if head.get("isCOD") == 1 and amount <= 0:
        return invalid("26104", "isCOD 1 iken codAmount sıfırdan büyük olmalıdır")
    return None


def party(
    body: dict[str, Any], key: str, codes: CodeCheck, *, tax_number: bool
) -> JSONResponse | None:
    """``recipient`` of createOrder or ``shipper`` of createReturnOrder (a Customer)."""
    who = body.get(key)
    if not isinstance(who, dict):
        return invalid("4002", f"{key} zorunludur")
    if str(who.get("customerId") or "").strip():
        if str(who.get("fullName") or "").strip():
            return invalid(
                "26105",
                f"{key}.customerId doluysa {key}.fullName boş olmalıdır (kayıtlı müşteri)",
            )
        return None  # a registered customer: MNG has the address
    missing = [k for k in ("fullName", "address", "cityCode", "districtCode") if not who.get(k)]
    if missing:
        return invalid("4002", f"Zorunlu alanlar eksik: {', '.join(f'{key}.{k}' for k in missing)}")
    email = who.get("email")
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        return invalid("26039", f"{key.capitalize()}.Email geçerli değil")
    phone = who.get("mobilePhoneNumber")
    if phone and not (isinstance(phone, str) and MOBILE.match(phone)):
        return invalid(
            "26106",
            f"{key}.mobilePhoneNumber 10 haneli olmalı; başında 0 veya ülke kodu olmamalı",
        )
    if tax_number and not who.get("taxNumber"):
        return error(500, "26056", "Alıcı vergi numarası / TC kimlik numarası boş olamaz")
    return codes(who.get("cityCode"), who.get("districtCode"))


def calculate(body: dict[str, Any]) -> JSONResponse | None:
    """``standardqueryapi/calculate``: city and district codes are bound as strings."""
    for field in ("cityCode", "districtCode"):
        value = body.get(field)
        if value is None or value == "":
            return invalid("4002", f"{field} zorunludur")
        if not isinstance(value, str):
            return not_converted(field, value, "String")
        if code_of(value) is None:
            return invalid("4002", f"{field} {value!r} bir sayı olmalıdır")
    return pieces(body)
