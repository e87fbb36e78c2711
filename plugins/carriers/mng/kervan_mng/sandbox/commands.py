"""Identity, Standard Command and Barcode Command: the calls that change something."""

from __future__ import annotations

import string
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from . import validation as check
from .core import MngCore
from .shapes import error, invalid
from .state import (
    CUSTOMER_NUMBER,
    JWT_LIFETIME,
    PASSWORD,
    UNRESOLVED_CODES,
    Kind,
    SimOrder,
    local,
)

RETURN_LABEL_URL = "https://mn.tc?rtnid={}"


async def _json(request: Request) -> dict[str, Any] | JSONResponse:
    try:
        body = await request.json()
    except ValueError:
        return invalid("4002", "İstek gövdesi geçerli bir JSON değil")
    if not isinstance(body, dict):
        return invalid("4002", "İstek gövdesi bir JSON nesnesi olmalıdır")
    return body


class Commands(MngCore):
    async def _token(self, request: Request) -> Response:
        body = await _json(request)
        if isinstance(body, JSONResponse):
            return body
        if (
            str(body.get("customerNumber")) != CUSTOMER_NUMBER
            or body.get("password") != PASSWORD
            or body.get("identityType") != 1
        ):
            return error(401, "20013", "Müşteri numarası veya şifre hatalı")
        jwt = "eyJ" + "".join(
            self.random.choice(string.ascii_letters + string.digits) for _ in range(40)
        )
        now = self.clock.now()
        self.tokens[jwt] = now + JWT_LIFETIME
        return JSONResponse(
            {
                "jwt": jwt,
                "refreshToken": jwt[::-1],
                "jwtExpireDate": local(now + JWT_LIFETIME, "%d.%m.%Y %H:%M:%S"),
                "refreshTokenExpireDate": local(now + timedelta(days=30), "%d.%m.%Y %H:%M:%S"),
            }
        )

    # -- standard command ------------------------------------------------------------------

    async def _create_order(self, request: Request) -> Response:
        return await self._register(request, "order")

    async def _create_return_order(self, request: Request) -> Response:
        return await self._register(request, "return")

    async def _register(self, request: Request, kind: Kind) -> Response:
        """createOrder (recipient: the buyer) and createReturnOrder (shipper: the buyer, who
        drops the parcel at a branch; the seller's account is the recipient)."""
        body = await _json(request)
        if isinstance(body, JSONResponse):
            return body
        self.calls.append(("POST", "createOrder" if kind == "order" else "createReturnOrder", body))
        party = "recipient" if kind == "order" else "shipper"
        refused = (
            check.order_head(body)
            or check.pieces(body)
            or check.party(body, party, self._bad_codes, tax_number=kind == "order")
        )
        if refused is not None:
            return refused
        ref = str(body["order"]["referenceId"])
        if ref in self.orders:
            return error(500, "3002", f"{ref} referans numarası ile daha önce sipariş oluşturulmuş")
        now = self.clock.now()
        record = SimOrder(ref, body, now, invoice_id=self._id(9), kind=kind)
        answer = {
            "orderInvoiceId": record.invoice_id,
            "orderInvoiceDetailId": self._id(8),
            "shipperBranchCode": "1345",
            "referenceId": ref,
        }
        if kind == "return":
            if self.return_drop_off_after is not None:
                record.drop_off_at = now + self.return_drop_off_after
            answer["returnOrderLabelURL"] = RETURN_LABEL_URL.format(self._id(10))
            record.extra["label_url"] = answer["returnOrderLabelURL"]
        else:
            hold = self._holds.pop(ref, None)
            share = self.unresolved_share
            if hold is None and share and self.random.random() < share:
                hold = (self.unresolved_for, self.random.choice(sorted(UNRESOLVED_CODES)))
            if hold is not None:
                record.destination_at, record.destination_code = now + hold[0], hold[1]
        self.orders[ref] = record
        return JSONResponse([answer])

    async def _update_order(self, request: Request) -> Response:
        """updateorder: referenceId, billOfLandingId, isCOD, codAmount, orderPieceList of an
        order that is not a shipment yet."""
        body = await _json(request)
        if isinstance(body, JSONResponse):
            return body
        self.calls.append(("PUT", "updateorder", body))
        order = self.orders.get(str(body.get("referenceId") or ""))
        if order is None or order.deleted:
            return error(
                500, "3001", f"{body.get('referenceId')} referans numaralı sipariş bulunamadı"
            )
        if order.shipment is not None:
            return error(
                500,
                "3009",
                "Siparişin gönderisi oluşturulmuş; gönderiyi updateshipment ile güncelleyin",
            )
        refused = check.pieces(body, required=False) or self._cod(body)
        if refused is not None:
            return refused
        self._amend(order, body)
        return Response(status_code=200)

    async def _cancel_order(self, ref: str) -> Response:
        order = self.orders.get(ref)
        if order is None:
            return error(500, "3001", f"{ref} referans numaralı sipariş bulunamadı")
        if order.shipment is not None and order.shipment.cancelled_at is None:
            return error(
                500,
                "3005",
                "Siparişin gönderisi var; önce gönderiyi iptal edin (cancelshipment)",
            )
        order.deleted = True
        return Response(status_code=200)

    # -- barcode command -------------------------------------------------------------------

    async def _create_barcode(self, request: Request) -> Response:
        body = await _json(request)
        if isinstance(body, JSONResponse):
            return body
        self.calls.append(("POST", "createbarcode", body))
        ref = str(body.get("referenceId") or "")
        order = self.orders.get(ref)
        if order is None or order.deleted or order.kind != "order":
            return error(500, "3001", f"{ref} referans numaralı sipariş bulunamadı")
        if order.shipment is not None:
            return error(500, "3003", f"{ref} siparişi için gönderi zaten oluşturulmuş")
        refused = check.pieces(body, required=False)
        if refused is not None:
            return refused
        if order.destination_at is not None and self.clock.now() < order.destination_at:
            return error(
                500,
                order.destination_code,
                "Varış şubesi henüz belirlenmedi; bir süre sonra tekrar deneyin",
            )
        self._amend(order, body)
        shipment = self._ship(order, self.clock.now())
        barcodes = []
        for piece in shipment.pieces:
            number, code = piece["pieceNumber"], piece["barcode"]
            zpl = (
                f"^XA^CI28^FO40,40^A0N,40,40^FDMNG KARGO  {number}/{len(shipment.pieces)}^FS"
                f"^FO40,110^A0N,30,30^FD{ref}^FS^FO40,160^A0N,30,30^FDGonderi No: "
                f"{shipment.shipment_id}^FS^FO60,260^BY3^BCN,200,Y,N,N^FD{code}^FS^XZ"
            )
            piece["value"] = zpl
            barcodes.append({"pieceNumber": number, "value": zpl, "barcode": code})
        return JSONResponse(
            [
                {
                    "referenceId": ref,
                    "invoiceId": shipment.invoice_id,
                    "shipmentId": shipment.shipment_id,
                    "barcodes": barcodes,
                }
            ]
        )

    async def _update_shipment(self, request: Request) -> Response:
        """updateshipment: referenceId, shipmentId, billOfLandingId, isCOD, codAmount,
        orderPieceList of a shipment the branch has not accepted yet."""
        body = await _json(request)
        if isinstance(body, JSONResponse):
            return body
        self.calls.append(("PUT", "updateshipment", body))
        order = self.orders.get(str(body.get("referenceId") or ""))
        shipment = order.shipment if order else None
        if order is None or shipment is None or shipment.shipment_id != str(body.get("shipmentId")):
            return error(500, "3004", "Gönderi bulunamadı")
        if shipment.cancelled_at is not None:
            return error(500, "3006", "Gönderi iptal edilmiş; güncellenemez")
        if shipment.stage(self.clock.now()) > 0:
            return error(500, "3008", "Gönderi şubede kabul edilmiş; güncellenemez")
        refused = check.pieces(body, required=False) or self._cod(body)
        if refused is not None:
            return refused
        self._amend(order, body)
        return Response(status_code=200)

    async def _cancel_shipment(self, request: Request) -> Response:
        body = await _json(request)
        if isinstance(body, JSONResponse):
            return body
        order = self.orders.get(str(body.get("referenceId") or ""))
        shipment = order.shipment if order else None
        if shipment is None or shipment.shipment_id != str(body.get("shipmentId")):
            return error(500, "3004", "Gönderi bulunamadı")
        if shipment.cancelled_at is not None:
            return error(500, "3006", "Gönderi daha önce iptal edilmiş")
        now = self.clock.now()
        if shipment.stage(now) > 0:
            return error(500, "3007", "Gönderi şubede kabul edilmiş; iptal edilemez")
        if local(now, "%Y%m%d") != local(shipment.created_at, "%Y%m%d"):
            return error(500, "3007", "Gönderi yalnızca barkodun basıldığı gün iptal edilebilir")
        shipment.cancelled_at = now
        return Response(status_code=200)

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _cod(body: dict[str, Any]) -> JSONResponse | None:
        if "isCOD" in body and body["isCOD"] not in (0, 1):
            return check.not_converted("isCOD", body["isCOD"], "Int32")
        amount = body.get("codAmount", 0)
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            return check.not_converted("codAmount", amount, "Double")
        return None

    @staticmethod
    def _amend(order: SimOrder, body: dict[str, Any]) -> None:
        """What createbarcode / updateorder / updateshipment may change on the order."""
        head = order.body.setdefault("order", {})
        for key in ("billOfLandingId", "isCOD", "codAmount", "packagingType"):
            if key in body:
                head[key] = body[key]
        if body.get("orderPieceList"):
            order.body["orderPieceList"] = body["orderPieceList"]
