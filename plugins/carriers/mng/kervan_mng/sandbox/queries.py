"""CBS Info, Standard Query and Bulk Query: the calls that only read."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from ..client import TR_TIME
from . import validation as check
from .commands import _json
from .core import MngCore
from .shapes import TRACKING_URL, bulk_row, events, invalid, status_row
from .state import SimOrder, SimShipment, local


def _day(value: str, fmt: str, shown: str) -> datetime | JSONResponse:
    """``value`` read as ``fmt`` (``shown`` in MNG's notation, digit for digit), Turkish time."""
    if re.fullmatch(re.sub(r"[yMdHms]", "0", shown).replace("0", r"\d"), value):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=TR_TIME)
        except ValueError:
            pass
    return invalid("26150", f"Tarih {value!r} geçersiz; biçim {shown} olmalıdır")


class Queries(MngCore):
    # -- CBS Info ----------------------------------------------------------------------------

    async def _cities(self) -> Response:
        return JSONResponse(self.cities)

    async def _districts(self, city_code: str) -> Response:
        return JSONResponse(self.districts.get(city_code.zfill(2), []))

    # -- standard query --------------------------------------------------------------------

    async def _get_order(self, ref: str) -> Response:
        order = self.orders.get(ref)
        if order is None:
            return Response(status_code=404)
        party = "shipper" if order.kind == "return" else "recipient"
        return JSONResponse(
            [
                {
                    **order.body["order"],
                    "orderInvoiceId": order.invoice_id,
                    "isDeleted": order.deleted,
                    "orderPieceList": order.pieces,
                    party: order.body.get(party),
                }
            ]
        )

    async def _get_shipment(self, ref: str) -> Response:
        order = self.orders.get(ref)
        if order is None or order.shipment is None:
            return Response(status_code=404)
        s = order.shipment
        shipment = {
            **status_row(order, s, self.clock.now()),
            "invoiceId": s.invoice_id,
            "finalTotal": 74.9,
            "shipmentFollowUrl": TRACKING_URL.format(s.shipment_id),
        }
        pieces = [{"pieceNumber": p["pieceNumber"], "barcode": p["barcode"]} for p in s.pieces]
        party = "shipper" if order.kind == "return" else "recipient"
        return JSONResponse(
            [
                {
                    "order": order.body["order"],
                    party: order.body.get(party),
                    "shipment": shipment,
                    "shipmentPieceList": pieces,
                }
            ]
        )

    async def _get_status(self, ref: str) -> Response:
        order = self.orders.get(ref)
        if order is None or order.shipment is None:
            return Response(status_code=404)
        return JSONResponse([status_row(order, order.shipment, self.clock.now())])

    async def _track(self, ref: str) -> Response:
        order = self.orders.get(ref)
        if order is None or order.shipment is None:
            return Response(status_code=404)
        return JSONResponse(events(order.shipment, self.clock.now()))

    async def _calculate(self, request: Request) -> Response:
        body = await _json(request)
        if isinstance(body, JSONResponse):
            return body
        refused = check.calculate(body) or self._bad_codes(body["cityCode"], body["districtCode"])
        if refused is not None:
            return refused
        pieces: list[dict[str, Any]] = body["orderPieceList"]
        desi = sum(max(int(p.get("desi") or 1), int(p.get("kg") or 1)) for p in pieces)
        # the sandbox's own made-up price list (MNG's real prices come from the contract)
        zone = 1.0 if str(body["cityCode"]).zfill(2) == "34" else 1.25
        total = round((62.5 + 8.75 * max(0, desi - 1)) * zone, 2)
        return JSONResponse([{"finalTotal": total}])

    # -- bulk query ------------------------------------------------------------------------

    def _shipments(self) -> list[tuple[SimOrder, SimShipment]]:
        return [
            (o, o.shipment)
            for o in self.orders.values()
            if o.shipment is not None and o.shipment.cancelled_at is None
        ]

    async def _status_changed(self, day: str, since: str) -> Response:
        start = _day(since, "%Y%m%d%H%M%S", "yyyyMMddHHmmss")
        if isinstance(start, JSONResponse):
            return start
        now = self.clock.now()
        rows = []
        for order, s in self._shipments():
            if any(at >= start for at, _code in s.changes(now)):
                rows.append(
                    {
                        "order": {
                            "referenceId": order.reference_id,
                            "orderInvoiceId": order.invoice_id,
                        },
                        "shipment": status_row(order, s, now),
                    }
                )
        return JSONResponse(rows) if rows else Response(status_code=404)

    def _bulk(self, when: Callable[[SimShipment, datetime], datetime | None], day: str) -> Response:
        now = self.clock.now()
        rows = []
        for order, s in self._shipments():
            at = when(s, now)
            if at is not None and local(at, "%Y%m%d") == day:
                rows.append(bulk_row(order, s, now, self.seller))
        return JSONResponse(rows) if rows else Response(status_code=404)

    async def _by_date(self, day: str) -> Response:
        """getShipmentByDate/{yyyyMMdd}: the shipments created that day (Turkish time)."""
        start = _day(day, "%Y%m%d", "yyyyMMdd")
        if isinstance(start, JSONResponse):
            return start
        return self._bulk(lambda s, _now: s.created_at, f"{start:%Y%m%d}")

    async def _delivered(self, day: str) -> Response:
        """getDeliveredShipment/{dd-MM-yyyy}: the shipments delivered that day."""
        start = _day(day, "%d-%m-%Y", "dd-MM-yyyy")
        if isinstance(start, JSONResponse):
            return start
        return self._bulk(lambda s, now: s.delivered_at(now), f"{start:%Y%m%d}")
