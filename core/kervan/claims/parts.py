"""Exchanges and missing-part shipments: goods sent to a buyer without a new sale.

A replacement for a returned item, or a part missing from a delivered order, leaves the
warehouse with a label from the tenant's carrier and an **e-İrsaliye** (TEMELIRSALIYE/SEVK)
whose notes say the goods move for transport only and are not invoiced
(:func:`kervan.despatch.transport_despatch`); it names the original order and its invoice, and
the claim it settles. Stock leaves the warehouse as a keyed movement.

A part shipment is a record (kind ``part_shipment``) keyed by the order and the caller's
request id, so a handheld that sends the request twice gets one shipment. Its steps run in
order, each committed before the next, each idempotent at its remote:

1. **book**: the carrier books a parcel under a cargo key derived from the record
   (the carrier answers a second booking with the first), the label is kept;
2. **despatch**: the e-İrsaliye is numbered (its number owned by the record, so a retry reuses
   it), built with the carrier as ``CarrierParty``, validated and sent through the integrator
   (the same UUID on a retry);
3. **stock**: the units leave the chosen warehouse.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import uuid as uuidlib
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .. import numbering
from ..despatch import transport_despatch
from ..documents import xml_key
from ..domain import (
    DespatchAdvice,
    Package,
    Party,
    PartyKind,
    TimelineEntry,
)
from ..engine.change import Movement
from ..engine.context import StepContext
from ..engine.records import BARCODE, ORDER, OrderRecord, sortable
from ..engine.shipping import _unit_dimensions, label_blobs
from ..engine.stock import MAIN, apply_movements, figures
from ..errors import InvalidInputError, KervanError, NotFoundError
from ..internet_sale import carrier_address
from ..roles import Carrier, DocumentIssuer, desi_of
from ..store.port import CasMismatch, DocumentExists, Query, declare_kind
from .fiscal import sales_invoice

PART_SHIPMENT = "part_shipment"
DESPATCH = "despatch"
declare_kind(PART_SHIPMENT, ("order_id", "claim_id", "status", "created_at"))
declare_kind(DESPATCH, ("order_id", "status", "number"))

Kind = Literal["exchange", "missing_part"]
REASON = {
    "exchange": "Değişim (iade edilen ürünün yerine)",
    "missing_part": "Eksik parça gönderimi",
}


class PartShipment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    tenant_id: str
    order_id: str
    claim_id: str | None = None
    kind: Kind
    #: order line id → units sent
    lines: dict[str, int]
    warehouse: str = MAIN
    note: str | None = None
    requested_by: str
    created_at: datetime
    status: Literal["requested", "booked", "despatched", "shipped", "failed"] = "requested"
    carrier_connection: str | None = None
    cargo_key: str | None = None
    tracking_number: str | None = None
    despatch_id: str | None = None
    despatch_number: str | None = None
    despatch_status: str | None = None
    stock_moved: bool = False
    last_error: str | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)

    def to_body(self) -> dict[str, Any]:
        body = self.model_dump(mode="json")
        body["created_at"] = sortable(self.created_at)
        return body


def part_key(order_id: str, request_id: str) -> str:
    return f"{order_id}|{request_id}"


def part_cargo_key(tenant_id: str, key: str) -> str:
    digest = hashlib.sha256(f"{tenant_id}|part|{key}".encode()).digest()
    return "KRP" + base64.b32encode(digest).decode()[:13]


def _note(
    part: PartShipment,
    now: datetime,
    step: str,
    outcome: str,
    message: str,
    actor: str = "engine",
    **data: Any,
) -> None:
    part.timeline.append(
        TimelineEntry(at=now, step=step, outcome=outcome, actor=actor, message=message, data=data)
    )


class Parts:
    """Exchanges and missing parts over an engine's store and connectors."""

    def __init__(self, ctx_of: Any) -> None:
        self._ctx_of = ctx_of

    def get(self, tenant_id: str, key: str) -> PartShipment:
        ctx: StepContext = self._ctx_of(tenant_id)
        doc = ctx.store.get(PART_SHIPMENT, key)
        if doc is None:
            raise NotFoundError(f"part shipment {key!r} not found")
        return PartShipment.model_validate(doc.body)

    def for_order(self, tenant_id: str, order_id: str) -> list[PartShipment]:
        ctx: StepContext = self._ctx_of(tenant_id)
        docs = ctx.store.query(Query(PART_SHIPMENT, {"order_id": order_id}, limit=100))
        return [PartShipment.model_validate(d.body) for d in docs]

    async def ship(
        self,
        tenant_id: str,
        order_id: str,
        *,
        kind: Kind,
        lines: dict[str, int],
        request_id: str,
        by: str,
        claim_id: str | None = None,
        warehouse: str = MAIN,
        note: str | None = None,
    ) -> PartShipment:
        """Send ``lines`` (order line id → units) of ``order_id`` to its buyer again (see
        the module docstring); the same ``request_id`` gives the same shipment."""
        ctx: StepContext = self._ctx_of(tenant_id, by)
        if not request_id.strip() or len(request_id) > 64:
            raise InvalidInputError("request_id: 1-64 characters, the same for a retry")
        doc = ctx.store.get(ORDER, order_id)
        if doc is None:
            raise NotFoundError(f"order {order_id!r} not found")
        rec = OrderRecord.from_body(doc.body)
        by_id = {ln.line_id: ln for ln in rec.order.lines}
        bad = [i for i, q in lines.items() if i not in by_id or not 0 < q <= int(by_id[i].quantity)]
        if bad or not lines:
            raise InvalidInputError(
                f"order {rec.order.order_number}: line(s) {', '.join(bad) or '(none)'} are not on "
                "the order, or more units than were sold"
            )
        key = part_key(order_id, request_id)
        existing = ctx.store.get(PART_SHIPMENT, key)
        if existing is not None and (
            existing.body["lines"] != lines or existing.body["kind"] != kind
        ):
            raise InvalidInputError(
                f"request_id {request_id!r} was already used for another shipment of order "
                f"{rec.order.order_number}: give this one a new request_id"
            )
        if existing is None:
            part = PartShipment(
                key=key,
                tenant_id=tenant_id,
                order_id=order_id,
                claim_id=claim_id,
                kind=kind,
                lines=lines,
                warehouse=warehouse,
                note=note,
                requested_by=by,
                created_at=ctx.clock(),
                carrier_connection=ctx.tenant.settings.default_carrier_connection,
            )
            _note(
                part,
                ctx.clock(),
                "request",
                "ok",
                f"{kind} of {sum(lines.values())} unit(s)",
                actor=by,
            )
            self._check_shelf(ctx, rec, lines, warehouse)
            with contextlib.suppress(DocumentExists):  # a retry created it a moment ago
                ctx.store.insert(PART_SHIPMENT, key, part.to_body())
        return await self.advance(tenant_id, key)

    def render_despatch(self, tenant_id: str, despatch: DespatchAdvice) -> bytes:
        """The e-İrsaliye printed (by the tenant's integrator plugin's renderer)."""
        ctx: StepContext = self._ctx_of(tenant_id)
        conn = ctx.tenant.settings.default_issuer_connection
        return ctx.connector(conn, DocumentIssuer, "issuer").render_pdf(despatch)

    @staticmethod
    def _check_shelf(
        ctx: StepContext, rec: OrderRecord, lines: dict[str, int], warehouse: str
    ) -> None:
        """Refuse before anything moves when the warehouse lacks the units."""
        by_id = {ln.line_id: ln for ln in rec.order.lines}
        mapping = ctx.store.get_many(BARCODE, [by_id[i].barcode for i in lines])
        short = []
        for line_id, units in lines.items():
            found = mapping.get(by_id[line_id].barcode)
            if found is None:
                continue  # not stock-managed: nothing to check
            doc = ctx.store.get("stock", found.body["product_id"])
            shelf = figures(doc.body if doc else None).warehouses.get(warehouse, 0)
            if shelf < units:
                short.append(f"{by_id[line_id].barcode}: {shelf} on the shelf, {units} needed")
        if short:
            raise InvalidInputError(f"not enough stock in {warehouse}: " + "; ".join(short))

    async def advance(self, tenant_id: str, key: str) -> PartShipment:
        ctx: StepContext = self._ctx_of(tenant_id)
        for _ in range(6):
            doc = ctx.store.get(PART_SHIPMENT, key)
            if doc is None:
                raise NotFoundError(f"part shipment {key!r} not found")
            part = PartShipment.model_validate(doc.body)
            order_doc = ctx.store.get(ORDER, part.order_id)
            assert order_doc is not None
            rec = OrderRecord.from_body(order_doc.body)
            try:
                if part.cargo_key is None:
                    blobs = await self._book(ctx, part, rec)
                    for bkey, data, ctype in blobs:
                        ctx.store.put_blob(bkey, data, ctype)
                    ctx.store.replace(PART_SHIPMENT, key, part.to_body(), cas=doc.cas)
                elif part.despatch_status is None:
                    despatch, xml = await self._despatch(ctx, part, rec)
                    ctx.store.put_blob(xml_key(despatch.uuid), xml, "application/xml")
                    with ctx.store.transaction() as tx:
                        tx.upsert(DESPATCH, despatch.id, despatch.model_dump(mode="json"))
                        tx.replace(PART_SHIPMENT, key, part.to_body(), cas=doc.cas)
                elif not part.stock_moved:
                    moves = self._stock(ctx, part, rec)
                    with ctx.store.transaction() as tx:
                        apply_movements(tx, moves, ctx.clock())
                        tx.replace(PART_SHIPMENT, key, part.to_body(), cas=doc.cas)
                else:
                    return part
            except CasMismatch:
                continue
            except KervanError as exc:
                self._failed(ctx, key, exc)
                raise
        return self.get(tenant_id, key)

    def _failed(self, ctx: StepContext, key: str, exc: KervanError) -> None:
        def change(body: dict[str, Any]) -> dict[str, Any]:
            part = PartShipment.model_validate(body)
            part.last_error = exc.message
            _note(part, ctx.clock(), "part", "failed", exc.message)
            return part.to_body()

        ctx.store.update(PART_SHIPMENT, key, change)

    async def _book(
        self, ctx: StepContext, part: PartShipment, rec: OrderRecord
    ) -> list[tuple[str, bytes, str]]:
        order = rec.order
        carrier = ctx.connector(part.carrier_connection, Carrier, "carrier")
        desi = weight = Decimal(0)
        for line_id, units in part.lines.items():
            line = next(ln for ln in order.lines if ln.line_id == line_id)
            unit = _unit_dimensions(ctx, line.barcode)
            desi += desi_of(unit) * units
            weight += unit.weight_kg * units
        names = [next(ln.name for ln in order.lines if ln.line_id == i) for i in part.lines]
        pkg = Package(
            id=part.key,
            tenant_id=part.tenant_id,
            order_id=order.id,
            cargo_key=part_cargo_key(part.tenant_id, part.key),
            line_ids=list(part.lines),
            desi=max(desi, Decimal(1)),
            weight_kg=max(weight, Decimal("0.1")),
            receiver=order.buyer,
            address=order.shipping_address,
            content=(REASON[part.kind] + ": " + ", ".join(names))[:200],
            sender=ctx.tenant.seller,
        )
        booking = await carrier.create_shipment(pkg)
        part.cargo_key, part.tracking_number, part.status = (
            booking.cargo_key,
            booking.tracking_number,
            "booked",
        )
        _note(
            part,
            ctx.clock(),
            "book",
            "ok",
            f"{carrier.key} tracking {booking.tracking_number}",
            actor=carrier.key,
        )
        return label_blobs(part.key, booking.label)

    async def _despatch(
        self, ctx: StepContext, part: PartShipment, rec: OrderRecord
    ) -> tuple[DespatchAdvice, bytes]:
        settings = ctx.tenant.settings
        issuer = ctx.connector(settings.default_issuer_connection, DocumentIssuer, "issuer")
        carrier = ctx.connector(part.carrier_connection, Carrier, "carrier")
        legal = type(carrier).legal_party
        if legal is None:
            raise InvalidInputError(
                f"carrier {carrier.key} declares no legal identity (VKN, title): an e-İrsaliye "
                "names the carrier company"
            )
        if ctx.tenant.seller is None:
            raise InvalidInputError("the tenant has no seller party: set it before shipping")
        now = ctx.clock()
        number = numbering.next_number(
            ctx.store,
            settings.invoice_series["despatch"],
            now.year,
            owner_kind=PART_SHIPMENT,
            owner_key=part.key,
        )
        invoice = sales_invoice(ctx.store, rec)
        order = rec.order
        despatch = transport_despatch(
            order,
            {k: Decimal(v) for k, v in part.lines.items()},
            number=number,
            uuid=str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"kervan:{part.tenant_id}:{part.key}")),
            issued_at=now,
            seller=ctx.tenant.seller,
            receiver=order.buyer,
            address=order.shipping_address,
            carrier=_carrier_party(legal),
            reason=REASON[part.kind] + (f" — {part.note}" if part.note else ""),
            invoice_number=invoice.number if invoice else None,
            invoice_issued_at=invoice.issued_at if invoice else None,
            claim_id=part.claim_id,
        )
        xml = issuer.build_xml(despatch)
        sub = await issuer.submit(despatch, xml)
        despatch = despatch.model_copy(update={"status": sub.status, "remote_id": sub.remote_id})
        part.despatch_id, part.despatch_number, part.despatch_status = (
            despatch.id,
            number,
            sub.status.value,
        )
        part.status = "despatched"
        _note(
            part,
            now,
            "despatch",
            "ok",
            f"e-İrsaliye {number} sent through {issuer.key} ({sub.status})",
            actor=issuer.key,
        )
        return despatch, xml

    def _stock(self, ctx: StepContext, part: PartShipment, rec: OrderRecord) -> list[Movement]:
        by_id = {ln.line_id: ln for ln in rec.order.lines}
        mapping = ctx.store.get_many(BARCODE, [by_id[i].barcode for i in part.lines])
        moves = []
        for line_id, units in part.lines.items():
            found = mapping.get(by_id[line_id].barcode)
            if found is None:
                continue
            pid = found.body["product_id"]
            moves.append(
                Movement(
                    product_id=pid,
                    reason="part_shipment",
                    on_hand=-units,
                    ref=part.key,
                    warehouse=part.warehouse,
                )
            )
        part.stock_moved, part.status = True, "shipped"
        taken = ", ".join(f"{m.product_id} −{-m.on_hand}" for m in moves) or "nothing stock-managed"
        _note(part, ctx.clock(), "stock", "ok", f"left {part.warehouse}: {taken}")
        return moves


def _carrier_party(legal: Any) -> Party:
    return Party(
        kind=PartyKind.COMPANY,
        tax_id=legal.tax_id,
        company_name=legal.name,
        address=carrier_address(legal),
    )


__all__ = ["DESPATCH", "PART_SHIPMENT", "PartShipment", "Parts"]
