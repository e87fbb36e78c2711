"""What the floor knows about one order: the facts picking rules match on and the packing
station ranks by, read once from the engine's :class:`~kervan.engine.records.OrderRecord`.

Desi is the carriers' L×W×H/3000 per unit (:func:`kervan.roles.desi_of`, rounded up to a whole
desi), times the quantity, summed over the lines; a line whose product card has no dimensions
counts 1 desi a unit, the engine's own floor for a package (``engine/shipping.py``). Category and
bin come from the product card's ``attributes`` (``category``, ``bin``): Kervan has no fields of
its own for them yet, so a seller keeps them there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ..domain import OrderState, ProductCard
from ..domain.shipping import Dimensions
from ..engine.records import OrderRecord
from ..roles import desi_of

#: ready to pick and pack: the label exists (BOOKED) and it is neither packed nor gone
READY_STATES = frozenset({OrderState.BOOKED})
#: an order whose ship-by deadline is this close (or past) is at risk (ship-by warnings)
AT_RISK_WITHIN = timedelta(hours=4)


@dataclass(frozen=True)
class LineFacts:
    barcode: str
    quantity: int
    product_id: str | None
    category: str | None


@dataclass(frozen=True)
class OrderFacts:
    """The order as picking rules and the station see it (no personal data beyond il/ilçe)."""

    order_id: str
    order_number: str
    connection_id: str
    source: str
    city: str
    district: str
    country: str
    desi: Decimal
    package_count: int
    lines: tuple[LineFacts, ...]
    ship_by: datetime | None
    ordered_at: datetime
    state: OrderState
    cancelled: bool

    @property
    def items(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def single_item(self) -> bool:
        return self.items == 1

    @property
    def ready(self) -> bool:
        return self.state in READY_STATES and not self.cancelled

    def at_risk(self, now: datetime, within: timedelta = AT_RISK_WITHIN) -> bool:
        return self.ship_by is not None and self.ship_by - now <= within


def desi_of_card(card: ProductCard | None) -> Decimal:
    if card is None or not (card.length_cm and card.width_cm and card.height_cm):
        return Decimal(1)
    dims = Dimensions(
        length_cm=card.length_cm,
        width_cm=card.width_cm,
        height_cm=card.height_cm,
        weight_kg=card.weight_kg or Decimal("0.1"),
    )
    return desi_of(dims)


def order_facts(rec: OrderRecord, cards: dict[str, ProductCard]) -> OrderFacts:
    """``cards`` maps barcode → product card (missing barcodes have none)."""
    order = rec.order
    lines = []
    desi = Decimal(0)
    for line in order.lines:
        card = cards.get(line.barcode)
        qty = int(line.quantity)
        desi += desi_of_card(card) * qty
        category = card.attributes.get("category") if card else None
        lines.append(LineFacts(line.barcode, qty, card.id if card else None, category))
    return OrderFacts(
        order_id=order.id,
        order_number=order.order_number,
        connection_id=order.connection_id,
        source=order.source,
        city=order.shipping_address.city,
        district=order.shipping_address.district,
        country=order.shipping_address.country,
        desi=max(desi, Decimal(1)),
        package_count=1,
        lines=tuple(lines),
        ship_by=order.ship_by,
        ordered_at=order.ordered_at,
        state=order.state,
        cancelled=order.state is OrderState.CANCELLED or order.source_cancelled,
    )
