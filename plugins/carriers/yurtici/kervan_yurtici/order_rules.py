"""The documented business checks of one ``ShippingOrderVO``: which ``errCode`` a field earns.

Used by the sandbox after the body has passed the WSDL's types. Each rule names its source:

* **[K]** the Yurtiçi client-library knowledge file (GitHub ``eneshenderson/YurticiKargo-Api``,
  ``.github/copilot-instructions.md``, said to follow Yurtiçi's own documents): field lengths and
  formats (``string(20)``, ``float(9,3)``, ``int(4)`` …), the cash-on-delivery rules and the
  createShipment error table with its constant names (``ERR_INTG_…``);
* **[G]** the same repository's ``go/README.md``: the same tables with Turkish messages, plus
  82518 and the saveReturnShipmentCode codes;
* **[T]** GitHub ``tcgunel/omniship-yurtici`` ``README.md``: the same error table, lengths, and
  ``receiverAddress`` "min 5, max 200", ``receiverCustName`` ``String(200)``;
* **[F]** a Python (falcon + zeep) proxy of the service, ``reference.py``: the createShipment error
  table with Turkish messages ("… belirtilen uzunluktan fazla");
* **[B]** GitHub ``beratkrdr/yurtici-kargo-entegrasyon-php`` ``README.md``: phone "10 digits with the
  area code" (its own example sends ``05554443322``), address "min 5 max 200".

Where sources disagree on a limit, the sandbox takes the most permissive one (a request some
source allows is accepted) and the connector stays inside the strictest one:
``receiverCustName`` ≤ 200 ([T]; [K] says 100), ``receiverAddress`` 5–500 ([B]/[T] 5–200, [K]
10–500).

Not checked, because no source gives a code for it: that ``cityName``/``townName`` name a real
province/district (the documented flow has the branch decide the delivery address when it scans
the cargo key, [G] "Entegrasyon Akışı"; no error table has a city/town code), that
``receiverPhone1`` is present ([K]/[B] call it required but document no "not found" code), and
``receiverCustName``'s "at least 5 characters, 4 letters" ([B]/[T]; no code).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

#: (errCode, message) of a refused ShippingOrderVO
Refusal = tuple[str, str]

#: longest text per element [K] (receiverCustName/receiverAddress: see the module docstring)
MAX_LENGTH: dict[str, tuple[int, str]] = {
    "cargoKey": (20, "82500"),
    "invoiceKey": (20, "82501"),
    "receiverCustName": (200, "82503"),
    "receiverAddress": (500, "82502"),
    "receiverPhone1": (20, "82516"),
    "receiverPhone2": (20, "82516"),
    "receiverPhone3": (20, "82516"),
    "emailAddress": (200, "82515"),
    "cityName": (40, "82517"),
    "townName": (40, "82517"),
    "taxNumber": (15, "82517"),
    "taxOfficeName": (60, "82517"),
    "waybillNo": (20, "82517"),
    "specialField1": (200, "82517"),
    "specialField2": (100, "82517"),
    "specialField3": (100, "82517"),
    "description": (255, "82517"),
    "orgGeoCode": (20, "82517"),
    "privilegeOrder": (10, "82517"),
    "orgReceiverCustId": (50, "82517"),
}
MIN_ADDRESS = 5  # [B]/[T]

#: messages as the public tables give them ([F] Turkish texts, [G] for the codes [F] lacks)
MESSAGES = {
    "80859": "Kargo anahtarı bulunamadı",
    "82500": "Kargo anahtarı belirtilen uzunluktan fazla",
    "60017": "Fatura anahtarı bulunamadı",
    "82501": "Fatura anahtarı belirtilen uzunluktan fazla",
    "60018": "Alıcı adı bulunamadı",
    "82503": "Alıcı adı belirtilen uzunluktan fazla",
    "60019": "Alıcı adresi bulunamadı",
    "82502": "Alıcı adresi belirtilen uzunluktan fazla",
    "82505": "Tahsilatlı Teslimat – Ödeme Tutarı bulunamadı",
    "82506": "Tahsilatlı Teslimat – Ödeme Tutarı belirtilen uzunluktan fazla",
    "82507": "Tahsilatlı Teslimat – Fatura No. bulunamadı",
    "82508": "Tahsilatlı Teslimat – Fatura No. belirtilen uzunluktan fazla",
    "82509": "Tahsilatlı Teslimat – Müşteri taksit seçimi bulunamadı",
    "82510": "Tahsilatlı Teslimat – Müşteri taksit seçimi belirtilen uzunluktan fazla",
    "82512": "Tahsilatlı Teslimat – Müşteri Sözleşmesinde tanımlı ödeme tipi ile gönderdiğiniz "
    "ödeme tipi uyuşmamaktadır",
    "82513": "Hatalı ödeme tipi",
    "82514": "Hatalı fatura tipi",
    "82515": "Hatalı e-mail adresi",
    "82516": "Hatalı telefon bilgisi",
    "82517": "Hatalı format bilgisi, parametreye ait değer belirtilen formatta olmalıdır",
    "82518": "Tahsilatlı Teslimat – Taksit uygulama kriteri parametresi hatalı",
}

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# [B]: "10 digits with the area code"; its own example (and [T]'s) is 11 digits with a leading 0
_PHONE = re.compile(r"0?\d{10}")


def refuse(code: str, field: str | None = None) -> Refusal:
    message = MESSAGES[code]
    return code, f"{message} ({field})" if field and code == "82517" else message


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _fits(value: str, integer_digits: int, places: int) -> bool:
    """A number with at most ``integer_digits`` before and ``places`` after the point."""
    number = _decimal(value)
    if number is None or number < 0:
        return False
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    whole = number.adjusted() + 1 if number >= 1 else 0
    return max(0, -exponent) <= places and whole <= integer_digits


def order_refusal(
    fields: Mapping[str, str], *, collection_types: frozenset[str] = frozenset({"0", "1"})
) -> Refusal | None:
    """The first documented rule ``fields`` (one ShippingOrderVO's texts) breaks, or None.

    ``collection_types`` are the cash-on-delivery types the sender's contract allows (82512).
    """
    for name, code in (
        ("cargoKey", "80859"),  # [K] ERR_INTG_CARGO_KEY_PARAM_NOT_FOUND
        ("invoiceKey", "60017"),  # [K] ERR_INTG_INVOICE_KEY_PARAM_NOT_FOUND
        ("receiverCustName", "60018"),  # [K] ERR_INTG_RECEIVER_CUST_NAME_PARAM_NOT_FOUND
        ("receiverAddress", "60019"),  # [K] ERR_INTG_RECEIVER_ADDRESS_PARAM_NOT_FOUND
    ):
        if not fields.get(name):
            return refuse(code)
    for name, (limit, code) in MAX_LENGTH.items():
        if len(fields.get(name) or "") > limit:
            return refuse(code, name)
    if len(fields["receiverAddress"]) < MIN_ADDRESS:
        return refuse("82502")
    for name in ("receiverPhone1", "receiverPhone2", "receiverPhone3"):
        if (phone := fields.get(name)) and not _PHONE.fullmatch(phone):
            return refuse("82516")  # [K] ERR_INTG_RECEIVER_PHONE_INVALID_PARAMETER
    if (email := fields.get("emailAddress")) and not _EMAIL.fullmatch(email):
        return refuse("82515")  # [K] ERR_INTG_EMAIL_ADDRESS_INVALID_PARAMETER
    # numeric formats [K]: desi/kg float(9,3), cargoCount int(4), taxOfficeId int(8)
    for name, integer_digits, places in (("desi", 6, 3), ("kg", 6, 3)):
        if (value := fields.get(name)) and not _fits(value, integer_digits, places):
            return refuse("82517", name)
    for name, digits in (("cargoCount", 4), ("taxOfficeId", 8)):
        if not _fits(fields.get(name) or "0", digits, 0):
            return refuse("82517", name)
    return _collection_refusal(fields, collection_types)


def _collection_refusal(fields: Mapping[str, str], allowed: frozenset[str]) -> Refusal | None:
    """Cash on delivery [K]: type 0 (cash) needs amount, document id and save type; type 1
    (card) also the instalment fields."""
    document = fields.get("ttDocumentId") or "0"
    if len(document.lstrip("-")) > 12:
        return refuse("82508")  # [K] ttDocumentId string(12)/[T] Long(12)
    if not _fits(fields.get("dcSelectedCredit") or "0", 2, 0):
        return refuse("82510")  # [K] dcSelectedCredit int(2)
    if (fields.get("dcCreditRule") or "0") not in ("0", "1"):
        return refuse("82518")  # [G] ERR_INTG_DC_CREDIT_RULE_WRONG_PARAMETER
    kind = fields.get("ttCollectionType")
    if not kind:
        return None
    if kind not in ("0", "1"):
        return refuse("82513")  # [K] ERR_INTG_TT_COLL_TYPE: 0 cash, 1 card
    if kind not in allowed:
        return refuse("82512")  # [K] ERR_INTG_DC_COLL_CC_WRONG_PARAMETER
    amount = fields.get("ttInvoiceAmount")
    if not amount or (_decimal(amount) or 0) <= 0:
        return refuse("82505")  # [K] ERR_INTG_TT_INVOICE_AMOUNT_PARAM_NOT_FOUND
    if not _fits(amount, 16, 2):
        return refuse("82506")  # [K] float(18,2), "." as the separator
    if int(document) <= 0:
        return refuse("82507")  # [K] ERR_INTG_TT_DOCUMENT_ID_PARAM_NOT_FOUND
    if fields.get("ttDocumentSaveType") not in ("0", "1"):
        return refuse("82514")  # [K] ERR_INTG_TT_DOC_SAVE_TYPE: 0 same, 1 separate invoice
    if (
        kind == "1"
        and fields.get("dcCreditRule") == "0"
        and int(fields.get("dcSelectedCredit") or "0") <= 0
    ):
        # [K] card: instalments required; with dcCreditRule 0 the receiver must choose some
        return refuse("82509")
    return None
