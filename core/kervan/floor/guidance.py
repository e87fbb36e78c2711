"""How to pack an order: the box, the flags, the gift note (shown at the station).

The box is the smallest of :data:`BOXES` whose inner volume holds the items' volume with 20 %
to spare and whose sorted sides hold the largest item's sorted sides (a rough fit: items are not
packed geometrically). Items without dimensions on their card count as :data:`UNKNOWN_ITEM`.
Fragile: a card attribute ``fragile`` of ``true``/``yes``/``evet``/``1``. Ship-alone: the card's
SKU is in the tenant's ``split_rules.ship_alone_skus``. Kervan's ``Order`` carries no gift
message yet, so ``gift_note`` is whatever the floor order was given (none from the sources).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from ..domain import ProductCard

#: (name, length, width, height) in cm: common e-commerce cardboard sizes
BOXES: tuple[tuple[str, int, int, int], ...] = (
    ("S", 25, 20, 10),
    ("M", 35, 25, 15),
    ("L", 45, 35, 25),
    ("XL", 60, 40, 40),
)
UNKNOWN_ITEM = (Decimal(20), Decimal(15), Decimal(10))
SPARE = Decimal("1.2")
YES = frozenset({"true", "yes", "evet", "1"})


class Guidance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    box: str
    fragile: list[str]
    ship_alone: list[str]
    gift_note: str | None = None


def _sides(card: ProductCard | None) -> tuple[Decimal, Decimal, Decimal]:
    if card is None or not (card.length_cm and card.width_cm and card.height_cm):
        return UNKNOWN_ITEM
    a, b, c = sorted((card.length_cm, card.width_cm, card.height_cm), reverse=True)
    return a, b, c


def box_for(items: list[tuple[ProductCard | None, int]]) -> str:
    """The smallest box that holds the items (``oversize`` when none does)."""
    volume = Decimal(0)
    biggest = (Decimal(0), Decimal(0), Decimal(0))
    for card, qty in items:
        sides = _sides(card)
        volume += sides[0] * sides[1] * sides[2] * qty
        biggest = max(biggest, sides)
    for name, *dims in BOXES:
        inner = sorted((Decimal(d) for d in dims), reverse=True)
        fits = all(s <= d for s, d in zip(biggest, inner, strict=True))
        if fits and volume * SPARE <= inner[0] * inner[1] * inner[2]:
            return name
    return "oversize"


def guidance(
    items: list[tuple[ProductCard | None, int]],
    ship_alone_skus: list[str],
    gift_note: str | None = None,
) -> Guidance:
    fragile = sorted(
        {c.name for c, _ in items if c and c.attributes.get("fragile", "").lower() in YES}
    )
    alone = sorted({c.name for c, _ in items if c and c.sku in set(ship_alone_skus)})
    return Guidance(box=box_for(items), fragile=fragile, ship_alone=alone, gift_note=gift_note)
