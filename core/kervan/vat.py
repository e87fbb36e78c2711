"""VAT (KDV) rates by date: which rates an invoice may carry on the day it is issued.

GİB's schematron accepts any percentage, so an invoice at an abolished rate (18 % after
10 July 2023) passes the gate; this table is our own check. Sources, cited in
``docs/ubl-tr.md``:

* **from 10 July 2023: 1, 10, 20 %.** Presidential Decision no. 7346 (Official Gazette
  7 July 2023, no. 32241) raised the general rate from 18 to 20 % and the reduced rate from 8
  to 10 %; the 1 % rate was kept. It took effect on 10 July 2023.
* **until 9 July 2023: 1, 8, 18 %.** The rates that decision replaced. The table does not go
  further back: Kervan issues no invoice dated before it.

0 % is not a rate of its own: a line may carry 0 % VAT only under an exemption (istisna) code,
e.g. 301 for an export (KDV Kanunu 11/1-a). GİB's code 351 ("KDV – İstisna Olmayan Diğer")
marks a line whose VAT *rounds* to 0 at a real rate; it is not an exemption and does not make
a 0 % rate valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

#: GİB's code for a 0 VAT amount that is not an exemption (a real rate rounding to 0)
NOT_AN_EXEMPTION = "351"


@dataclass(frozen=True)
class RatePeriod:
    """The VAT rates valid from ``valid_from`` to ``valid_to`` (both inclusive; ``None``:
    open-ended), and the text that set them."""

    valid_from: date | None
    valid_to: date | None
    rates: frozenset[Decimal]
    source: str

    def covers(self, day: date) -> bool:
        starts = self.valid_from is None or self.valid_from <= day
        return starts and (self.valid_to is None or day <= self.valid_to)


RATE_TABLE: tuple[RatePeriod, ...] = (
    RatePeriod(
        valid_from=None,
        valid_to=date(2023, 7, 9),
        rates=frozenset({Decimal(1), Decimal(8), Decimal(18)}),
        source="rates in force until Presidential Decision no. 7346 took effect",
    ),
    RatePeriod(
        valid_from=date(2023, 7, 10),
        valid_to=None,
        rates=frozenset({Decimal(1), Decimal(10), Decimal(20)}),
        source="Presidential Decision no. 7346, Official Gazette 07.07.2023 no. 32241",
    ),
)


def period_on(day: date, table: Iterable[RatePeriod] = RATE_TABLE) -> RatePeriod:
    """The rate period that covers ``day`` (the table leaves no gaps)."""
    for period in table:
        if period.covers(day):
            return period
    raise LookupError(f"no VAT rate period covers {day.isoformat()}")


def rates_on(day: date) -> frozenset[Decimal]:
    """The VAT rates (percent) an invoice issued on ``day`` may carry, besides an exempt 0 %."""
    return period_on(day).rates


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f} %"


def _valid_list(rates: frozenset[Decimal]) -> str:
    return ", ".join(_percent(r) for r in sorted(rates))


def rate_problem(rate: Decimal, exemption_code: str | None, day: date, *, where: str) -> str | None:
    """Why ``rate`` (percent) may not be invoiced on ``day``, or ``None`` if it may.

    ``where`` names the line for the message (e.g. ``"line 2 (barcode 869…)"``).
    """
    period = period_on(day)
    if rate == 0:
        if exemption_code and exemption_code != NOT_AN_EXEMPTION:
            return None
        return (
            f"{where}: 0 % VAT is allowed only with an exemption (istisna) code, and this "
            f"sale has none; on {day.isoformat()} the rates are {_valid_list(period.rates)}"
        )
    if rate in period.rates:
        return None
    return (
        f"{where}: VAT {_percent(rate)} is not a valid rate on {day.isoformat()} "
        f"(valid: {_valid_list(period.rates)}; {period.source}); correct the product's VAT "
        "rate at the source"
    )
