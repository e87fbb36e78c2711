"""``MngSandbox``: a stand-in for MNG Kargo / DHL eCommerce's REST API behind IBM API Connect.

It follows the token flow (``X-IBM-Client-Id``/``-Secret`` on every call, ``POST /token`` with
customer number and password → ``jwt`` valid 8 hours, ``Authorization: Bearer``), answers in
one-element arrays as MNG does, and reports business errors as ``{"error": {"Code",
"Description"}}``. Error codes 3002 (order exists), 20001 (no destination branch yet) and 26056
(empty tax number) come from third-party clients; the other codes here are the sandbox's own.

Rules and their sources (../shared/reference/apis.md §8.4 and "Corrections and additions"):

- "Destination not resolved yet": ``createbarcode`` answers HTTP 500 with code ``20001`` or
  ``20011`` until MNG has assigned the destination branch; real integrations retry it up to 5
  times with a growing delay (5 min × attempt) [apis.md, corrections, MNG]. The reference does
  not say what tells 20001 from 20011, so the sandbox picks either (seeded). A configurable
  share of fresh orders (``unresolved_share``) is held for ``unresolved_for`` on the sandbox
  clock; tests hold one order deterministically with :meth:`hold_destination`.
- City and district codes: ``createOrder`` and ``calculate`` take the codes of the CBS Info
  lists (``GET cbsinfoapi/getcities`` → ``[{code, name}]``, ``GET
  cbsinfoapi/getdistricts/{cityCode}`` → ``[{cityCode, cityName, code, name}]``; field names as
  in the public C# client ``DEKOFAR-ITHALAT-IHRACAT-LIMITED-SIRKETI/dekofar-hyperconnect-api``,
  ``Kargo/Dhl/CBSInfo/Models/DistrictResponse.cs``; the CBS Info API product is listed in the
  ``tcgunel/omniship-mng`` README). A code not in those lists (or a district of another city) is
  refused with HTTP 400 in MNG's documented error shape ``{"error": {"Code", "Description"}}``.
  No public source gives MNG's own code for this error, so ``26101``/``26102`` here are the
  sandbox's own.
- Rate limits: the reference gives none for MNG, so the sandbox enforces none.

Shipments move on the sandbox clock after ``createbarcode``: prepared (1) → transfer (2, the
parcel was picked up, after ``pickup_after``) → at the delivery unit (3) → out to the address
(4) → delivered (5). Cancelled shipments stop. Tests may force a status with :meth:`force`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from kervan.domain import TrackingStatus
from kervan_sdk.sandbox import Sandbox, SimClock

from .client import TR_TIME
from .mapping import STATUS_CODES, city_key
from .places import CITIES, DISTRICTS, tr_upper

PREFIX = "/mngapi/api"
CLIENT_ID, CLIENT_SECRET = "kervan-demo-app", "kervan-demo-secret"
CUSTOMER_NUMBER, PASSWORD = "312947702", "demo-password"
JWT_LIFETIME = timedelta(hours=8)
UNRESOLVED_CODES = frozenset({"20001", "20011"})

# (offset from createbarcode, shipmentStatusCode, English name, unit)
TIMELINE: tuple[tuple[timedelta, int, str, str], ...] = (
    (timedelta(0), 1, "Shipment Prepared", "ÇIKIŞ ŞUBESİ"),
    (timedelta(hours=2), 2, "In Transfer", "TRANSFER MERKEZİ"),
    (timedelta(hours=18), 3, "Arrived at Delivery Unit", "VARIŞ ŞUBESİ"),
    (timedelta(hours=26), 4, "Out for Delivery", "VARIŞ ŞUBESİ"),
    (timedelta(hours=30), 5, "Delivered", "VARIŞ ŞUBESİ"),
)
STAGE_OF = {
    TrackingStatus.CREATED: 0,
    TrackingStatus.PICKED_UP: 1,
    TrackingStatus.IN_TRANSIT: 1,
    TrackingStatus.OUT_FOR_DELIVERY: 3,
    TrackingStatus.DELIVERED: 4,
}


def error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": {"Code": code, "Description": description}}, status_code=status)


def ibm_unauthorized(message: str) -> JSONResponse:
    return JSONResponse(
        {"httpCode": "401", "httpMessage": "Unauthorized", "moreInformation": message},
        status_code=401,
    )


def _code(value: Any) -> str | None:
    """A CBS code sent as a number or a string of digits, without leading zeros; else None."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return str(int(text)) if text.isdigit() else None


def _local(at: datetime, fmt: str = "%d-%m-%Y %H:%M:%S") -> str:
    return at.astimezone(TR_TIME).strftime(fmt)


@dataclass
class SimShipment:
    shipment_id: str
    invoice_id: str
    created_at: datetime
    pieces: list[dict[str, Any]]
    cancelled_at: datetime | None = None

    def stage(self, now: datetime) -> int:
        end = self.cancelled_at or now
        return max(i for i, (offset, *_) in enumerate(TIMELINE) if self.created_at + offset <= end)

    def changes(self, now: datetime) -> list[tuple[datetime, int]]:
        return [
            (self.created_at + offset, code) for offset, code, *_ in TIMELINE[: self.stage(now) + 1]
        ]


@dataclass
class SimOrder:
    reference_id: str
    body: dict[str, Any]
    created_at: datetime
    invoice_id: str
    deleted: bool = False
    shipment: SimShipment | None = None
    #: createbarcode answers ``destination_code`` until this time (destination not resolved)
    destination_at: datetime | None = None
    destination_code: str = "20001"
    extra: dict[str, Any] = field(default_factory=dict)


class MngSandbox(Sandbox):
    name = "mng"

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        seed: int = 0,
        unresolved_share: float = 0.0,
        unresolved_for: timedelta = timedelta(minutes=20),
    ) -> None:
        if not 0.0 <= unresolved_share <= 1.0:
            raise ValueError("unresolved_share is a share of orders, between 0 and 1")
        #: share of fresh orders whose destination branch is not resolved for ``unresolved_for``
        self.unresolved_share = unresolved_share
        self.unresolved_for = unresolved_for
        self._holds: dict[str, tuple[timedelta, str]] = {}
        self.orders: dict[str, SimOrder] = {}
        self.tokens: dict[str, datetime] = {}
        self.cities = [
            {"code": f"{i:02d}", "name": f"{tr_upper(n)}  {i:02d}"}
            for i, n in enumerate(CITIES, start=1)
        ]
        self.districts: dict[str, list[dict[str, Any]]] = {}
        for city in CITIES:
            for district in ["Merkez", *DISTRICTS.get(city, "").split()]:
                self.add_district(city, district)
        self.calls: list[tuple[str, str, Any]] = []  # (method, path, json body) of API calls
        super().__init__(clock=clock, seed=seed)

    # -- for tests and the demo ------------------------------------------------------------

    def demo_settings(self, base_url: str) -> dict[str, Any]:
        return {
            "base_url": base_url.rstrip("/") + PREFIX,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "customer_number": CUSTOMER_NUMBER,
            "password": PASSWORD,
            "sender_name": "Kervan Demo",
        }

    def add_district(self, city: str, district: str) -> None:
        code = self._city_code(city)
        if code is None:
            raise KeyError(city)
        known = self.districts.setdefault(code, [])
        if all(city_key(d["name"]) != city_key(district) for d in known):
            name = next(n for n in CITIES if city_key(n) == city_key(city))
            known.append(
                {
                    "cityCode": code,
                    "cityName": name,
                    "code": str(len(known) + 1),
                    "name": tr_upper(district),
                }
            )

    def seed_scenario(self, scenario: Any) -> None:  # a kervan.scenario.Scenario
        """Make sure every district the scenario ships to is in the CBS lists."""
        for order in scenario.orders:
            address = order.shipping_address
            if address.is_domestic and self._city_code(address.city):
                self.add_district(address.city, address.district)

    def force(self, cargo_key: str, status: TrackingStatus) -> None:
        """Move a shipment to ``status`` now (picked_up … delivered, cancelled)."""
        order = self.orders[cargo_key.upper()]
        shipment = order.shipment
        if shipment is None:
            raise ValueError(f"{cargo_key} has no shipment yet (createbarcode)")
        now = self.clock.now()
        if status is TrackingStatus.CANCELLED:
            shipment.cancelled_at = now
        else:
            shipment.created_at = min(shipment.created_at, now - TIMELINE[STAGE_OF[status]][0])

    def hold_destination(self, reference_id: str, duration: timedelta, code: str = "20001") -> None:
        """``createbarcode`` for ``reference_id`` answers ``code`` (20001/20011, destination not
        resolved yet) for ``duration`` from its createOrder (or from now, if it exists)."""
        if code not in UNRESOLVED_CODES:
            raise ValueError(f"code is one of {sorted(UNRESOLVED_CODES)}")
        order = self.orders.get(reference_id)
        if order is None:
            self._holds[reference_id] = (duration, code)
        else:
            order.destination_at, order.destination_code = self.clock.now() + duration, code

    def expire_tokens(self) -> None:
        """Invalidate every jwt handed out (the next call gets a 401)."""
        self.tokens.clear()

    # -- helpers ---------------------------------------------------------------------------

    def _city_code(self, city: str) -> str | None:
        return next((c["code"] for c in self.cities if city_key(c["name"]) == city_key(city)), None)

    def _bad_codes(self, city_code: Any, district_code: Any) -> JSONResponse | None:
        """The documented error when the codes are not in the CBS Info lists, else None."""
        city = _code(city_code)
        if city is None or city.zfill(2) not in {c["code"] for c in self.cities}:
            return error(
                400,
                "26101",
                f"cityCode {city_code!r} geçersiz; kodlar cbsinfoapi/getcities listesinden alınmalıdır",
            )
        city = city.zfill(2)
        district = _code(district_code)
        if district is None or district not in {d["code"] for d in self.districts.get(city, [])}:
            return error(
                400,
                "26102",
                f"districtCode {district_code!r} {city} ilinde yok; kodlar "
                f"cbsinfoapi/getdistricts/{city} listesinden alınmalıdır",
            )
        return None

    def _id(self, digits: int) -> str:
        return str(self.random.randrange(10 ** (digits - 1), 10**digits))

    def _piece_barcode(self) -> str:
        return "".join(
            self.random.choice(string.ascii_uppercase + string.digits) for _ in range(16)
        )

    def _ibm_ok(self, request: Request) -> bool:
        return (
            request.headers.get("x-ibm-client-id") == CLIENT_ID
            and request.headers.get("x-ibm-client-secret") == CLIENT_SECRET
        )

    def _jwt_ok(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        expires = (
            self.tokens.get(auth.removeprefix("Bearer ").strip())
            if auth.startswith("Bearer ")
            else None
        )
        return expires is not None and self.clock.now() < expires

    def _status_row(self, order: SimOrder, s: SimShipment) -> dict[str, Any]:
        now = self.clock.now()
        offset, code, _en, _unit = TIMELINE[s.stage(now)]
        name = STATUS_CODES[code][0]
        at = s.created_at + offset
        return {
            "orderId": order.invoice_id,
            "referenceId": order.reference_id,
            "shipmentId": s.shipment_id,
            "shipmentSerialandNumber": s.invoice_id,
            "shipmentDateTime": _local(s.created_at),
            "shipmentStatus": name.replace(" ", "_"),
            "shipmentStatusCode": code,
            "statusDateTime": _local(at),
            "isDelivered": 1 if code == 5 else 0,
            "deliveryDateTime": _local(at) if code == 5 else None,
            "trackingUrl": f"https://kargotakip.mngkargo.com.tr/?takipNo={s.shipment_id}",
        }

    def _events(self, s: SimShipment) -> list[dict[str, Any]]:
        now = self.clock.now()
        out = []
        for seq, (offset, code, en, unit) in enumerate(TIMELINE[: s.stage(now) + 1], start=1):
            out.append(
                {
                    "eventSequence": seq,
                    "eventStatus": STATUS_CODES[code][0],
                    "eventStatusEn": en,
                    "eventDateTime": _local(s.created_at + offset),
                    "location": unit,
                    "locationPhone": "",
                    "description": STATUS_CODES[code][0],
                }
            )
        if s.cancelled_at is not None:
            out.append(
                {
                    "eventSequence": len(out) + 1,
                    "eventStatus": "İptal Edildi",
                    "eventStatusEn": "Cancelled",
                    "eventDateTime": _local(s.cancelled_at),
                    "location": "ÇIKIŞ ŞUBESİ",
                    "locationPhone": "",
                    "description": "Gönderi iptal edildi",
                }
            )
        return out

    # -- routes ----------------------------------------------------------------------------

    def routes(self, app: FastAPI) -> None:
        app.middleware("http")(self._gateway)
        for method, path, handler in (
            ("POST", "/token", self._token),
            ("GET", "/cbsinfoapi/getcities", self._cities),
            ("GET", "/cbsinfoapi/getdistricts/{city_code}", self._districts),
            ("POST", "/standardcmdapi/createOrder", self._create_order),
            ("PUT", "/standardcmdapi/cancelorder/{ref}", self._cancel_order),
            ("POST", "/barcodecmdapi/createbarcode", self._create_barcode),
            ("PUT", "/barcodecmdapi/cancelshipment", self._cancel_shipment),
            ("GET", "/standardqueryapi/getorder/{ref}", self._get_order),
            ("GET", "/standardqueryapi/getshipment/{ref}", self._get_shipment),
            ("GET", "/standardqueryapi/getshipmentstatus/{ref}", self._get_status),
            ("GET", "/standardqueryapi/trackshipment/{ref}", self._track),
            ("POST", "/standardqueryapi/calculate", self._calculate),
            ("GET", "/bulkqueryapi/getStatusChangedShipments/{day}/{since}", self._status_changed),
        ):
            app.add_api_route(PREFIX + path, handler, methods=[method])

    async def _gateway(self, request: Request, call_next: Any) -> Response:
        path = request.url.path
        if not path.startswith(PREFIX):
            return JSONResponse({"httpCode": "404", "httpMessage": "Not Found"}, status_code=404)
        if not self._ibm_ok(request):
            return ibm_unauthorized("Invalid client id or secret.")
        open_paths = (f"{PREFIX}/token", f"{PREFIX}/cbsinfoapi/")
        if not path.startswith(open_paths) and not self._jwt_ok(request):
            return ibm_unauthorized("Invalid or expired JWT.")
        return await call_next(request)

    async def _token(self, request: Request) -> Response:
        body = await request.json()
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
                "jwtExpireDate": _local(now + JWT_LIFETIME, "%d.%m.%Y %H:%M:%S"),
                "refreshTokenExpireDate": _local(now + timedelta(days=30), "%d.%m.%Y %H:%M:%S"),
            }
        )

    async def _cities(self) -> Response:
        return JSONResponse(self.cities)

    async def _districts(self, city_code: str) -> Response:
        return JSONResponse(self.districts.get(city_code.zfill(2), []))

    async def _create_order(self, request: Request) -> Response:
        body = await request.json()
        self.calls.append(("POST", "createOrder", body))
        order, recipient = body.get("order") or {}, body.get("recipient") or {}
        ref = str(order.get("referenceId") or "")
        missing = [
            k
            for k in ("fullName", "address", "cityCode", "districtCode", "email")
            if not recipient.get(k)
        ]
        if not ref or not body.get("orderPieceList") or missing:
            return JSONResponse(
                {
                    "error": {
                        "Code": "400",
                        "Description": f"Zorunlu alanlar eksik: {', '.join(missing) or 'referenceId/orderPieceList'}",
                    }
                },
                status_code=400,
            )
        if not recipient.get("taxNumber"):
            return error(500, "26056", "Alıcı vergi numarası / TC kimlik numarası boş olamaz")
        if ref in self.orders:
            return error(500, "3002", f"{ref} referans numarası ile daha önce sipariş oluşturulmuş")
        bad = self._bad_codes(recipient["cityCode"], recipient["districtCode"])
        if bad is not None:
            return bad
        now = self.clock.now()
        record = SimOrder(ref, body, now, invoice_id=self._id(9))
        hold = self._holds.pop(ref, None)
        if hold is None and self.unresolved_share and self.random.random() < self.unresolved_share:
            hold = (self.unresolved_for, self.random.choice(sorted(UNRESOLVED_CODES)))
        if hold is not None:
            record.destination_at, record.destination_code = now + hold[0], hold[1]
        self.orders[ref] = record
        return JSONResponse(
            [
                {
                    "orderInvoiceId": record.invoice_id,
                    "orderInvoiceDetailId": self._id(8),
                    "shipperBranchCode": "1345",
                    "referenceId": ref,
                }
            ]
        )

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

    async def _create_barcode(self, request: Request) -> Response:
        body = await request.json()
        self.calls.append(("POST", "createbarcode", body))
        ref = str(body.get("referenceId") or "")
        order = self.orders.get(ref)
        if order is None or order.deleted:
            return error(500, "3001", f"{ref} referans numaralı sipariş bulunamadı")
        if order.shipment is not None:
            return error(500, "3003", f"{ref} siparişi için gönderi zaten oluşturulmuş")
        if order.destination_at is not None and self.clock.now() < order.destination_at:
            return error(
                500,
                order.destination_code,
                "Varış şubesi henüz belirlenmedi; bir süre sonra tekrar deneyin",
            )
        pieces = body.get("orderPieceList") or order.body.get("orderPieceList") or []
        shipment_id = self._id(12)
        barcodes = []
        for number, _piece in enumerate(pieces, start=1):
            code = self._piece_barcode()
            zpl = f"^XA^CI28^FO40,40^A0N,40,40^FDMNG KARGO  {number}/{len(pieces)}^FS^FO40,110^A0N,30,30^FD{ref}^FS^FO40,160^A0N,30,30^FDGonderi No: {shipment_id}^FS^FO60,260^BY3^BCN,200,Y,N,N^FD{code}^FS^XZ"
            barcodes.append({"pieceNumber": number, "value": zpl, "barcode": code})
        order.shipment = SimShipment(shipment_id, "FM" + self._id(6), self.clock.now(), barcodes)
        return JSONResponse(
            [
                {
                    "referenceId": ref,
                    "invoiceId": order.shipment.invoice_id,
                    "shipmentId": shipment_id,
                    "barcodes": barcodes,
                }
            ]
        )

    async def _cancel_shipment(self, request: Request) -> Response:
        body = await request.json()
        order = self.orders.get(str(body.get("referenceId") or ""))
        shipment = order.shipment if order else None
        if shipment is None or shipment.shipment_id != str(body.get("shipmentId")):
            return error(500, "3004", "Gönderi bulunamadı")
        if shipment.cancelled_at is not None:
            return error(500, "3006", "Gönderi daha önce iptal edilmiş")
        if shipment.stage(self.clock.now()) > 0:
            return error(500, "3007", "Gönderi şubede kabul edilmiş; iptal edilemez")
        shipment.cancelled_at = self.clock.now()
        return Response(status_code=200)

    async def _get_order(self, ref: str) -> Response:
        order = self.orders.get(ref)
        if order is None:
            return Response(status_code=404)
        return JSONResponse(
            [
                {
                    **order.body["order"],
                    "orderInvoiceId": order.invoice_id,
                    "isDeleted": order.deleted,
                    "orderPieceList": order.body.get("orderPieceList"),
                    "recipient": order.body.get("recipient"),
                }
            ]
        )

    async def _get_shipment(self, ref: str) -> Response:
        order = self.orders.get(ref)
        if order is None or order.shipment is None:
            return Response(status_code=404)
        s = order.shipment
        shipment = {
            **self._status_row(order, s),
            "invoiceId": s.invoice_id,
            "finalTotal": 74.9,
            "shipmentFollowUrl": f"https://kargotakip.mngkargo.com.tr/?takipNo={s.shipment_id}",
        }
        pieces = [{"pieceNumber": p["pieceNumber"], "barcode": p["barcode"]} for p in s.pieces]
        return JSONResponse(
            [
                {
                    "order": order.body["order"],
                    "recipient": order.body.get("recipient"),
                    "shipment": shipment,
                    "shipmentPieceList": pieces,
                }
            ]
        )

    async def _get_status(self, ref: str) -> Response:
        order = self.orders.get(ref)
        if order is None or order.shipment is None:
            return Response(status_code=404)
        return JSONResponse([self._status_row(order, order.shipment)])

    async def _track(self, ref: str) -> Response:
        order = self.orders.get(ref)
        if order is None or order.shipment is None:
            return Response(status_code=404)
        return JSONResponse(self._events(order.shipment))

    async def _calculate(self, request: Request) -> Response:
        body = await request.json()
        pieces = body.get("orderPieceList") or []
        if not pieces or not body.get("cityCode") or not body.get("districtCode"):
            return JSONResponse(
                {
                    "error": {
                        "Code": "400",
                        "Description": "cityCode, districtCode ve orderPieceList zorunludur",
                    }
                },
                status_code=400,
            )
        bad = self._bad_codes(body.get("cityCode"), body.get("districtCode"))
        if bad is not None:
            return bad
        desi = sum(max(int(p.get("desi") or 1), int(p.get("kg") or 1)) for p in pieces)
        # the sandbox's own made-up price list (MNG's real prices come from the contract)
        zone = 1.0 if str(body.get("cityCode")).zfill(2) == "34" else 1.25
        total = round((62.5 + 8.75 * max(0, desi - 1)) * zone, 2)
        return JSONResponse([{"finalTotal": total}])

    async def _status_changed(self, day: str, since: str) -> Response:
        try:
            start = datetime.strptime(since, "%Y%m%d%H%M%S").replace(tzinfo=TR_TIME)
        except ValueError:
            return error(400, "26150", "Tarih biçimi yyyyMMddHHmmss olmalıdır")
        now = self.clock.now()
        rows = []
        for order in self.orders.values():
            s = order.shipment
            if s is None or s.cancelled_at is not None:
                continue
            if any(at >= start for at, _code in s.changes(now)):
                row = self._status_row(order, s)
                rows.append(
                    {
                        "order": {
                            "referenceId": order.reference_id,
                            "orderInvoiceId": order.invoice_id,
                        },
                        "shipment": row,
                    }
                )
        return JSONResponse(rows) if rows else Response(status_code=404)
