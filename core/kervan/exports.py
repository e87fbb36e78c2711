"""Export rules an invoice must meet before it is numbered: a GTİP on every line, and the
ETGB (micro export) limits per shipment. Pure functions, no I/O; sources in ``docs/ubl-tr.md``.

* **GTİP.** Every line of an export (IHRACAT e-Fatura, or the e-Arşiv of an ETGB micro export)
  names its goods by GTİP, Turkey's 12-digit customs tariff code: GİB's schematron requires
  ``RequiredCustomsID`` on IHRACAT lines, and an ETGB is declared by GTİP (the customs guide
  reminds exporters that the VAT refund depends on it). The code comes from the order line
  (Trendyol's ``hsCode``) or else from the product card (``ProductCard.hs_code``).
* **ETGB limits.** A micro export goes out under an ETGB only up to a gross weight and a value
  per shipment. The Ministry of Trade's customs guide gives 300 kg and 15,000 EUR; the
  communiqué amending the post and express-cargo rules (Official Gazette 3 January 2026)
  doubled both to 600 kg and 30,000 EUR. Reports differ on whether the limits changed on
  publication or 90 days later; this table takes publication (the earlier date), so an order
  between the two dates passes a limit a stricter reading would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .domain import Order, OrderLine, ProductCard

GTIP_PATTERN = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class EtgbLimits:
    """ETGB limits per shipment, valid from ``valid_from`` (``None``: since before Kervan)."""

    valid_from: date | None
    max_gross_kg: Decimal
    max_value_eur: Decimal
    source: str


ETGB_LIMITS: tuple[EtgbLimits, ...] = (
    EtgbLimits(
        valid_from=None,
        max_gross_kg=Decimal(300),
        max_value_eur=Decimal(15000),
        source="T.C. Ticaret Bakanlığı Gümrük Rehberi, 'Hangi işlemler ETGB kapsamında yapılır?'",
    ),
    EtgbLimits(
        valid_from=date(2026, 1, 3),
        max_gross_kg=Decimal(600),
        max_value_eur=Decimal(30000),
        source="Posta ve Hızlı Kargo Yoluyla Taşınan Eşyanın Gümrük İşlemlerine İlişkin "
        "Tebliğde Değişiklik Yapılmasına Dair Tebliğ, Official Gazette 03.01.2026",
    ),
)


def etgb_limits_on(day: date) -> EtgbLimits:
    """The ETGB limits in force on ``day`` (the latest row that has started)."""
    current = ETGB_LIMITS[0]
    for row in ETGB_LIMITS:
        if row.valid_from is None or row.valid_from <= day:
            current = row
    return current


def normalize_gtip(code: str) -> str:
    """A GTİP without the dots and spaces people write in it ("6109.10.00.00.11")."""
    return re.sub(r"[\s.]", "", code)


def gtip_of(line: OrderLine, card: ProductCard | None) -> str | None:
    """The line's GTİP: the order line's own, else its product card's (normalized)."""
    code = line.hs_code or (card.hs_code if card else None)
    return normalize_gtip(code) if code else None


def _where(pos: int, line: OrderLine) -> str:
    return f"line {pos} (barcode {line.barcode})"


def gtip_problems(order: Order, cards: Mapping[str, ProductCard]) -> list[str]:
    """One message per export line without a valid 12-digit GTİP."""
    problems = []
    for pos, line in enumerate(order.lines, start=1):
        code = gtip_of(line, cards.get(line.barcode))
        if code is None:
            problems.append(
                f"{_where(pos, line)}: an export needs a GTİP (customs tariff code) on every "
                "line; the order line has none and neither has the product card: set the "
                "card's hs_code"
            )
        elif not GTIP_PATTERN.match(code):
            problems.append(
                f"{_where(pos, line)}: GTİP {code!r} is not a 12-digit customs tariff code"
            )
    return problems


def _gross_kg(order: Order, cards: Mapping[str, ProductCard]) -> tuple[Decimal, list[str]]:
    total, missing = Decimal(0), []
    for pos, line in enumerate(order.lines, start=1):
        card = cards.get(line.barcode)
        if card is None or card.weight_kg is None:
            missing.append(_where(pos, line))
        else:
            total += card.weight_kg * line.quantity
    return total, missing


def value_in_eur(
    amount: Decimal, currency: str, exchange_rates: Mapping[str, Decimal]
) -> Decimal | None:
    """``amount`` in EUR through the TRY rates (TRY per unit), or ``None`` without a rate."""
    if currency == "EUR":
        return amount
    in_try = amount if currency == "TRY" else amount * exchange_rates.get(currency, Decimal(0))
    eur = exchange_rates.get("EUR")
    if not in_try or not eur:
        return None
    return in_try / eur


def etgb_problems(
    order: Order,
    *,
    issued_on: date,
    cards: Mapping[str, ProductCard],
    exchange_rates: Mapping[str, Decimal],
    gross_kg: Decimal | None = None,
    strict: bool = True,
) -> list[str]:
    """Why a micro export cannot go out under an ETGB (empty when it can).

    ``gross_kg`` is the packed shipment's weight when known; otherwise the product cards'
    unit weights × quantities (a lower bound: packaging is not counted). With ``strict``, a
    figure that cannot be checked (no weight, no EUR rate) is a problem too, naming what to
    set; without, only a limit shown to be breached is.
    """
    limits = etgb_limits_on(issued_on)
    problems = []
    if gross_kg is None:
        gross_kg, missing = _gross_kg(order, cards)
        if missing and strict:
            problems.append(
                f"cannot check the ETGB weight limit ({limits.max_gross_kg} kg): no weight_kg "
                f"on the product card of {', '.join(missing)}"
            )
    if gross_kg > limits.max_gross_kg:
        problems.append(
            f"gross weight {gross_kg} kg is over the ETGB limit of {limits.max_gross_kg} kg a "
            f"shipment on {issued_on.isoformat()} ({limits.source}): split the package or "
            "export it under a customs declaration (IHRACAT)"
        )
    value = value_in_eur(order.total, order.currency, exchange_rates)
    if value is None:
        if not strict:
            return problems
        rates = ["EUR"] + ([order.currency] if order.currency not in ("TRY", "EUR") else [])
        problems.append(
            f"cannot check the ETGB value limit ({limits.max_value_eur} EUR): set tenant "
            f"settings exchange_rates.{' and exchange_rates.'.join(rates)}"
        )
    elif value > limits.max_value_eur:
        problems.append(
            f"value {value.quantize(Decimal('0.01'))} EUR ({order.total} {order.currency}) is "
            f"over the ETGB limit of {limits.max_value_eur} EUR a shipment on "
            f"{issued_on.isoformat()} ({limits.source}): split the package or export it "
            "under a customs declaration (IHRACAT)"
        )
    return problems


def export_problems(
    order: Order,
    *,
    issued_on: date,
    cards: Mapping[str, ProductCard] | None = None,
    exchange_rates: Mapping[str, Decimal] | None = None,
    gross_kg: Decimal | None = None,
    strict: bool = True,
) -> list[str]:
    """Why ``order`` cannot be invoiced as an export on ``issued_on`` (empty when it can, and
    for an order that is no export). ``cards`` maps a line's barcode to its product card;
    ``strict`` as for :func:`etgb_problems`."""
    if not order.is_export:
        return []
    cards = cards or {}
    problems = gtip_problems(order, cards)
    if order.micro_export:
        problems += etgb_problems(
            order,
            issued_on=issued_on,
            cards=cards,
            exchange_rates=exchange_rates or {},
            gross_kg=gross_kg,
            strict=strict,
        )
    return problems
