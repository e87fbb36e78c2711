"""The e-İrsaliye for goods that move without a sale: an exchange, a missing or broken part.

Pure, no I/O. Every movement of goods needs a sevk irsaliyesi, invoiced or not (VUK 230/5 as
amended by law 3239; alomaliye.com/2007/06/26/tebliglerde-yapilan-duzenlemeler-cercevesinde-
sevk-irsaliyesi; ../shared/reference/apis-2.md §8), naming the consignee and the destination.
A replacement or a missing part sent to the buyer is not a new sale, so its advice says so in
its notes (:data:`TRANSPORT_ONLY_NOTE`) and refers to the order and the sale's invoice the
goods belong to (``cac:OrderReference`` and ``cac:AdditionalDocumentReference`` in the XML).

The wording: no primary text (GİB guide, communiqué or ruling) fixing the note was found
(apis-2 §8 records this gap; searches of GİB-practice pages found none either). "Satış amaçlı
değildir" is the phrase in common use; the note adds that the goods move for transport only and
will not be invoiced, which is what GİB's reader needs to know. *(wording uncertain)*

GİB's schematron (efatura-kontrol's ``efatura.sch``, rule ``DespatchCarrierDriverCheck-1``)
wants a ``DriverPerson`` or a ``CarrierParty``; a parcel carrier's despatch names the carrier
company (its VKN and title) and no driver or plate (``LicensePlateIDCheck-1`` asks for a plate
only when a driver is given). Odoo's Nilvera e-Dispatch module treats it the same way: a
carrier makes the driver and plate optional (odoo/odoo
``addons/l10n_tr_nilvera_edispatch/models/stock_picking.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from .domain import Address, DespatchAdvice, DespatchLine, Driver, Order, Party
from .errors import InvalidInputError
from .invoicing import turkish_date

__all__ = ["TRANSPORT_ONLY_NOTE", "transport_despatch"]

#: the note every transport-only e-İrsaliye carries (see the module docstring on its wording)
TRANSPORT_ONLY_NOTE = (
    "Satış amaçlı değildir; mallar yalnızca taşıma (sevk) amacıyla gönderilmektedir ve "
    "faturalandırılmayacaktır."
)


def _lines(order: Order, lines: Mapping[str, Decimal]) -> list[DespatchLine]:
    by_id = {x.line_id: x for x in order.lines}
    unknown = sorted(set(lines) - set(by_id))
    if unknown:
        raise InvalidInputError(
            f"order {order.id} has no lines {unknown}",
            errors=[{"loc": ["lines", x], "msg": "not a line of the order"} for x in unknown],
        )
    out: list[DespatchLine] = []
    for line in order.lines:
        units = lines.get(line.line_id)
        if units is None:
            continue
        if not units > 0:
            raise InvalidInputError(
                f"order {order.id} line {line.line_id}: the units sent must be positive",
                errors=[{"loc": ["lines", line.line_id], "msg": "must be positive"}],
            )
        out.append(
            DespatchLine(
                id=len(out) + 1,
                name=line.name,
                quantity=units,
                unit_code=line.unit_code,
                order_line_id=line.line_id,
                barcode=line.barcode,
            )
        )
    if not out:
        raise InvalidInputError("an e-İrsaliye needs at least one line")
    return out


def reference_note(order: Order, reason: str, invoice_number: str | None) -> str:
    """``Değişim; Sipariş No: 123; Fatura No: KRA2026000000001``: why, and for what sale."""
    parts = [reason.strip(), f"Sipariş No: {order.order_number}"]
    if invoice_number:
        parts.append(f"Fatura No: {invoice_number}")
    return "; ".join(p for p in parts if p)


def transport_despatch(
    order: Order,
    lines: Mapping[str, Decimal],
    *,
    number: str,
    uuid: str,
    issued_at: datetime,
    seller: Party,
    receiver: Party,
    address: Address,
    carrier: Party | None,
    reason: str,
    despatched_at: datetime | None = None,
    driver: Driver | None = None,
    invoice_number: str | None = None,
    invoice_issued_at: datetime | None = None,
    claim_id: str | None = None,
) -> DespatchAdvice:
    """A TEMELIRSALIYE / SEVK advice sending ``lines`` (order line id → units) of ``order`` to
    ``receiver`` at ``address``, for transport only.

    ``reason`` says why the goods move ("Değişim", "Eksik parça gönderimi", ...); it is noted
    with the order number and, when given, the sale's invoice number. ``carrier`` is the
    carrier company (a parcel carrier: no driver); ``driver`` is for the seller's own vehicle.
    ``despatched_at`` defaults to ``issued_at``. Refused (InvalidInputError) without a carrier
    or a driver, or to an address abroad (an e-İrsaliye moves goods within Turkey).
    """
    if carrier is None and driver is None:
        raise InvalidInputError(
            "an e-İrsaliye names the carrier company or a driver with a plate (GİB rule "
            "DespatchCarrierDriverCheck-1)",
            errors=[{"loc": ["carrier"], "msg": "a carrier or a driver is required"}],
        )
    if not address.is_domestic:
        raise InvalidInputError(
            "an e-İrsaliye moves goods within Turkey; this delivery address is abroad",
            errors=[{"loc": ["address", "country"], "msg": "must be TR"}],
        )
    if not reason.strip():
        raise InvalidInputError("say why the goods move (reason), e.g. 'Değişim'")
    # UBL has no phone on an address: the receiver carries it as the party's phone
    delivery = address.model_copy(update={"phone": None})
    receiver = receiver.model_copy(
        update={"address": receiver.address or delivery, "phone": receiver.phone or address.phone}
    )
    issued = issued_at.replace(microsecond=0)
    return DespatchAdvice(
        id=f"despatch:{uuid}",
        tenant_id=order.tenant_id,
        order_id=order.id,
        claim_id=claim_id,
        order_number=order.order_number,
        order_date=turkish_date(order.ordered_at),
        invoice_number=invoice_number,
        invoice_date=turkish_date(invoice_issued_at) if invoice_issued_at else None,
        uuid=uuid,
        number=number,
        issued_at=issued,
        despatched_at=(despatched_at or issued).replace(microsecond=0),
        seller=seller,
        receiver=receiver,
        delivery_address=delivery,
        carrier=carrier,
        driver=driver,
        lines=_lines(order, lines),
        notes=[TRANSPORT_ONLY_NOTE, reference_note(order, reason, invoice_number)],
    )
