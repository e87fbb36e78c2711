"""Money and rates: ``Decimal`` only, kuruş precision, explicit rounding.

Amounts coming in must already be at kuruş precision (two decimals); computations round
explicitly with :func:`kurus` (ROUND_HALF_UP, the rounding GİB and Turkish accounting use).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

KURUS = Decimal("0.01")
ZERO = Decimal("0.00")


def kurus(value: Decimal | int | str) -> Decimal:
    """Round to kuruş, half up (1.005 → 1.01)."""
    return Decimal(value).quantize(KURUS, rounding=ROUND_HALF_UP)


def _to_decimal(value: Any) -> Any:
    if isinstance(value, float):
        # floats carry binary noise; go through repr so 19.9 stays 19.9
        value = repr(value)
    if isinstance(value, str | int):
        try:
            return Decimal(value)
        except InvalidOperation as exc:
            raise ValueError("must be a decimal number") from exc
    return value


def _check_amount(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite amount")
    rounded = value.quantize(KURUS)
    if value != rounded:
        raise ValueError("must have at most two decimals (kuruş)")
    return rounded


def _check_rate(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0 or value > 100:
        raise ValueError("must be a percentage between 0 and 100")
    return value


def _check_quantity(value: Decimal) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise ValueError("must be a positive quantity")
    return value


def _check_positive(value: Decimal) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise ValueError("must be a number above zero")
    return value


_as_str = PlainSerializer(lambda d: str(d), return_type=str, when_used="json")

#: A TRY (or other currency) amount at kuruş precision.
Amount = Annotated[Decimal, BeforeValidator(_to_decimal), AfterValidator(_check_amount), _as_str]
#: A percentage such as a VAT rate (0, 1, 10, 20).
Rate = Annotated[Decimal, BeforeValidator(_to_decimal), AfterValidator(_check_rate), _as_str]
#: A positive quantity (pieces may be fractional for weighed goods).
Quantity = Annotated[
    Decimal, BeforeValidator(_to_decimal), AfterValidator(_check_quantity), _as_str
]
#: A positive figure such as an exchange rate or a size limit.
Positive = Annotated[
    Decimal, BeforeValidator(_to_decimal), AfterValidator(_check_positive), _as_str
]
