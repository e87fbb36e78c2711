"""Turkish display formatting for printed documents: amounts, quantities, dates, labels.

Printed Turkish documents group thousands with a dot and separate decimals with a comma
(``1.234,56 TL``); percentages put the sign first (``%20``). These helpers only format: the
amounts themselves come from the domain records, already rounded to kuruş.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from kervan.domain.documents import PaymentMethod
from kervan.domain.party import Address, Party

from . import codes

#: Türkiye has kept UTC+3 all year since 2016; a fixed offset needs no tz database.
TURKEY = timezone(timedelta(hours=3), "TRT")

CURRENCY_SIGNS = {"TRY": "TL"}

UNIT_NAMES = codes.UNIT_NAMES
PAYMENT_METHOD_NAMES = {
    method: codes.named(codes.PAYMENT_METHODS, method) for method in PaymentMethod
}
#: unit prices print with up to this many decimals (amounts always with 2)
UNIT_PRICE_DECIMALS = 4


def _group(digits: str) -> str:
    """``1234567`` → ``1.234.567``."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ".".join(parts)


def number(value: Decimal, min_decimals: int = 2, max_decimals: int = 2) -> str:
    """Format a decimal the Turkish way, keeping between ``min`` and ``max`` decimals.

    Extra decimals beyond ``min_decimals`` are shown only when they are not zero, so a unit
    price of ``12.50000000`` prints ``12,50`` and ``0.12345`` prints ``0,12345``.
    """
    quantum = Decimal(1).scaleb(-max_decimals)
    text = f"{abs(value).quantize(quantum):f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    frac = frac.ljust(min_decimals, "0")
    sign = "-" if value < 0 and (whole.strip("0") or frac.strip("0")) else ""
    return sign + _group(whole) + ("," + frac if frac else "")


def money(value: Decimal, currency: str = "TRY") -> str:
    """``Decimal("1234.5")`` → ``1.234,50 TL`` (other currencies keep their ISO code)."""
    return f"{number(value)} {CURRENCY_SIGNS.get(currency, currency)}"


def unit_price(value: Decimal, currency: str = "TRY") -> str:
    """A unit price with 2 to 4 decimals, only as many as needed: ``12,50 TL``, ``0,1235 TL``.

    UBL-TR carries unit prices with up to 8 decimals; a printed copy rounds them half up to 4
    (the amounts next to them come from the XML, not from this rounding)."""
    value = value.quantize(Decimal(1).scaleb(-UNIT_PRICE_DECIMALS), rounding=ROUND_HALF_UP)
    return f"{number(value, 2, UNIT_PRICE_DECIMALS)} {CURRENCY_SIGNS.get(currency, currency)}"


def quantity(value: Decimal, unit_code: str) -> str:
    """``2`` pieces → ``2 Adet``; ``1.5`` kg → ``1,5 kg``."""
    return f"{number(value, 0, 6)} {UNIT_NAMES.get(unit_code, unit_code)}"


def percent(rate: Decimal) -> str:
    """``20`` → ``%20``; ``0.5`` → ``%0,5``."""
    return "%" + number(rate, 0, 4)


def day(value: date | datetime) -> str:
    """A date as GİB's viewers print it: ``22-11-2026`` (Turkish local date)."""
    if isinstance(value, datetime):
        value = local(value)
    return value.strftime("%d-%m-%Y")


def clock(value: datetime) -> str:
    """A time of day in Turkish local time: ``14:05:09``."""
    return local(value).strftime("%H:%M:%S")


def local(value: datetime) -> datetime:
    """An aware datetime in Turkish time; a naive one is taken to be Turkish time already."""
    return value.astimezone(TURKEY) if value.tzinfo is not None else value


def address_lines(address: Address | None) -> list[str]:
    """An address as printed lines: street lines, mahalle, ``postcode ilçe / il``, country."""
    if address is None:
        return []
    lines = list(address.lines)
    if address.neighbourhood:
        lines.append(address.neighbourhood)
    postal = f"{address.postal_code} " if address.postal_code else ""
    lines.append(f"{postal}{address.district} / {address.city}")
    if not address.is_domestic:
        lines.append(address.country)
    return lines


def plate(value: str) -> str:
    """A licence plate as the e-İrsaliye XML carries it: ``34 abc 123`` → ``34ABC123``."""
    return value.replace(" ", "").upper()


def tax_id_line(party: Party) -> str:
    """``VKN: 4540536920`` or ``TCKN: 17291716060``."""
    return f"{party.scheme}: {party.tax_id}"


def party_lines(party: Party) -> list[str]:
    """What a printed invoice shows under a party's name, in GİB's order."""
    lines = address_lines(party.address)
    phone = party.phone or (party.address.phone if party.address else None)
    if phone:
        lines.append(f"Tel: {phone}")
    if party.email:
        lines.append(f"E-Posta: {party.email}")
    if party.tax_office:
        lines.append(f"Vergi Dairesi: {party.tax_office}")
    lines.append(tax_id_line(party))
    if party.mersis_no:
        lines.append(f"MERSİS No: {party.mersis_no}")
    if party.trade_register_no:
        lines.append(f"Ticaret Sicil No: {party.trade_register_no}")
    return lines
