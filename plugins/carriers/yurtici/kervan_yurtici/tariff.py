"""The seller's contract tariff: a price per desi band and route zone.

Yurtiçi publishes no price API in the material we have; what a seller pays is in their
contract. So a quote is only as good as the table the seller enters here. The default below is
an *example* to show the shape, not Yurtiçi's prices.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated

from kervan.domain import Amount
from pydantic import BaseModel, ConfigDict, Field, model_validator

#: the zone a shipment inside the origin city falls in
SAME_CITY = "sehir_ici"
#: the zone for any destination not listed in ``zones``
DEFAULT_ZONE = "yurt_ici"


def fold(name: str) -> str:
    """A city name compared without case, Turkish letters or spacing (``İSTANBUL`` = ``istanbul``)."""
    lowered = name.replace("I", "ı").replace("İ", "i").lower()
    plain = unicodedata.normalize("NFKD", lowered.replace("ı", "i"))
    return "".join(c for c in plain if c.isalnum() and not unicodedata.combining(c))


class Band(BaseModel):
    """Up to ``max_desi`` (inclusive), this price per zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_desi: Decimal = Field(gt=0)
    prices: dict[str, Amount] = Field(min_length=1, description="zone → price (TRY, VAT incl.)")


class Tariff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    origin_city: str = Field(default="İstanbul", description="where shipments are handed over")
    #: destination city → zone; unlisted cities are ``yurt_ici``; the origin city is ``sehir_ici``
    zones: dict[str, str] = Field(default_factory=dict)
    bands: Annotated[list[Band], Field(min_length=1)]
    #: above the last band: this much per extra desi, per zone
    per_extra_desi: dict[str, Amount] = Field(default_factory=dict)
    currency: str = "TRY"

    @model_validator(mode="after")
    def _ordered(self) -> Tariff:
        limits = [b.max_desi for b in self.bands]
        if limits != sorted(limits) or len(set(limits)) != len(limits):
            raise ValueError("bands must be in increasing max_desi order")
        return self

    def zone(self, destination_city: str) -> str:
        if fold(destination_city) == fold(self.origin_city):
            return SAME_CITY
        folded = {fold(k): v for k, v in self.zones.items()}
        return folded.get(fold(destination_city), DEFAULT_ZONE)

    def price(self, billable_desi: Decimal, destination_city: str) -> tuple[Decimal, str] | None:
        """The price for ``billable_desi`` to ``destination_city``, with the zone; ``None`` if
        the table has no price for that zone."""
        zone = self.zone(destination_city)
        for band in self.bands:
            if billable_desi <= band.max_desi:
                price = band.prices.get(zone)
                return (price, zone) if price is not None else None
        last = self.bands[-1]
        base, extra = last.prices.get(zone), self.per_extra_desi.get(zone)
        if base is None or extra is None:
            return None
        over = billable_desi - last.max_desi
        return base + (extra * over).quantize(Decimal("0.01")), zone


def example_tariff() -> Tariff:
    """An illustrative table (not Yurtiçi's prices): replace it with your contract's."""
    zones = ("sehir_ici", "yurt_ici")

    def band(max_desi: int, city: str, country: str) -> Band:
        return Band(
            max_desi=Decimal(max_desi), prices=dict(zip(zones, (city, country), strict=True))
        )

    return Tariff(
        bands=[
            band(1, "60.00", "75.00"),
            band(5, "80.00", "100.00"),
            band(10, "110.00", "140.00"),
            band(20, "160.00", "210.00"),
            band(30, "220.00", "290.00"),
        ],
        per_extra_desi={"sehir_ici": Decimal("7.00"), "yurt_ici": Decimal("9.50")},
    )
