"""The e-İrsaliye record for goods that move without a sale (exchange, missing part, repair).

A sevk irsaliyesi is needed whenever goods move, sale or not (reference apis-2 §8). For these
shipments it names the consignee and destination and carries :data:`TRANSPORT_ONLY_NOTE`: the
goods travel for transport only and will not be invoiced.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from kervan.domain import DespatchAdvice, DespatchLine, Driver, Order, Party
from kervan.errors import InvalidInputError

from .despatch_xml import TRANSPORT_ONLY_NOTE


def _lines(order: Order, quantities: Mapping[str, Decimal] | None) -> list[DespatchLine]:
    wanted = (
        dict(quantities) if quantities is not None else {x.line_id: x.quantity for x in order.lines}
    )
    by_id = {x.line_id: x for x in order.lines}
    unknown = sorted(set(wanted) - set(by_id))
    if unknown:
        raise InvalidInputError(f"order {order.id} has no lines {unknown}")
    out: list[DespatchLine] = []
    for line_id, qty in wanted.items():
        line = by_id[line_id]
        if not qty > 0:
            raise InvalidInputError(f"line {line_id}: quantity must be positive")
        out.append(
            DespatchLine(
                id=len(out) + 1,
                name=line.name,
                quantity=qty,
                unit_code=line.unit_code,
                order_line_id=line.line_id,
                barcode=line.barcode,
            )
        )
    if not out:
        raise InvalidInputError("a despatch advice needs at least one line")
    return out


def transport_despatch(
    order: Order,
    quantities: Mapping[str, Decimal] | None = None,
    *,
    seller: Party,
    number: str,
    uuid: str,
    issued_at: datetime,
    despatched_at: datetime,
    reason: str,
    carrier: Party | None = None,
    driver: Driver | None = None,
) -> DespatchAdvice:
    """A TEMELIRSALIYE / SEVK advice sending ``quantities`` (order line id → quantity; default
    every line in full) of ``order`` to its buyer, for transport only.

    ``reason`` says why the goods move ("Değişim", "Eksik parça gönderimi", ...). GİB wants a
    carrier or a driver with a plate, and a Turkish delivery address.
    """
    if carrier is None and driver is None:
        raise InvalidInputError("an e-İrsaliye needs a carrier or a driver")
    address = order.shipping_address
    if not address.is_domestic:
        raise InvalidInputError("an e-İrsaliye moves goods within Turkey; this address is abroad")
    address = address.model_copy(update={"phone": None})
    receiver = order.buyer.model_copy(
        update={"address": address, "phone": order.buyer.phone or order.shipping_address.phone}
    )
    return DespatchAdvice(
        id=f"despatch:{uuid}",
        tenant_id=order.tenant_id,
        order_id=order.id,
        uuid=uuid,
        number=number,
        issued_at=issued_at.replace(microsecond=0),
        despatched_at=despatched_at.replace(microsecond=0),
        seller=seller,
        receiver=receiver,
        delivery_address=address,
        carrier=carrier,
        driver=driver,
        lines=_lines(order, quantities),
        notes=[TRANSPORT_ONLY_NOTE, f"{reason} (sipariş {order.order_number})"],
    )
