"""``Mng``: the carrier role over MNG Kargo / DHL eCommerce's REST API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from kervan import (
    Booking,
    Carrier,
    CheckResult,
    ConnectorContext,
    ConnectorSettings,
    RemoteRef,
    ReturnBooking,
    ReturnRequest,
)
from kervan.domain import Label, Package, Quote, TrackingEvent, TrackingStatus, kurus
from kervan.errors import (
    ConflictError,
    InvalidInputError,
    InvalidResponseError,
    KervanError,
    RemoteRejectedError,
    RemoteUnavailableError,
)
from kervan.roles import CarrierLegal
from kervan_sdk import labels
from kervan_sdk.http import RateLimit

from . import mapping, returns
from .client import (
    DESTINATION_CODES,
    DESTINATION_RETRIES,
    DESTINATION_RETRY_STEP,
    MngClient,
    one,
    parse_date,
)
from .label import label_data, render
from .legal import LEGAL
from .settings import MngSettings


class Mng(Carrier):
    """MNG Kargo / DHL eCommerce: ``createOrder`` + ``createbarcode``, tracking, cancel, price
    quotes from MNG's own ``calculate``, and return orders (:mod:`kervan_mng.returns`)."""

    key: ClassVar[str] = "mng"
    display_name: ClassVar[str] = "MNG Kargo / DHL eCommerce"
    Settings = MngSettings
    sandbox: ClassVar[str | None] = "kervan_mng.sandbox:MngSandbox"
    #: orderPieceList takes whole desi and kg
    desi_step: ClassVar[Decimal] = Decimal(1)
    #: for the e-Arşiv internet-sale CarrierParty (sources: README, "Legal identity")
    legal_party: ClassVar[CarrierLegal | None] = LEGAL

    settings: MngSettings

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        assert isinstance(settings, MngSettings)
        self.client = MngClient(
            settings.base_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            customer_number=settings.customer_number,
            password=settings.password.get_secret_value(),
            context=context,
            plan_limit=RateLimit(settings.plan_rate_limit, 60)
            if settings.plan_rate_limit
            else None,
        )
        #: (reference, what) → when this connection first saw it; dates undated events stably
        self._seen: dict[tuple[str, str], datetime] = {}
        self._cities: dict[str, str] | None = None
        self._districts: dict[str, dict[str, str]] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def check(self) -> CheckResult:
        """Fetch a token and the city list: proves app keys, customer login and subscriptions."""
        try:
            await self.client.auth.token(force=True)
            cities = await self.client.cities()
        except KervanError as exc:
            return CheckResult(ok=False, message=exc.message)
        return CheckResult(ok=True, message="MNG answered", details={"cities": len(cities)})

    # -- places ----------------------------------------------------------------------------

    async def codes(self, city: str, district: str) -> tuple[str, str]:
        """MNG's city and district codes (CBS Info), cached per connection."""
        if self._cities is None:
            self._cities = {
                mapping.city_key(str(c.get("name", ""))): str(c.get("code"))
                for c in await self.client.cities()
            }
        city_code = self._cities.get(mapping.city_key(city))
        if city_code is None:
            raise InvalidInputError(
                f"mng does not know the city {city!r}",
                errors=[{"loc": ["address", "city"], "msg": "not in MNG's city list"}],
            )
        if city_code not in self._districts:
            self._districts[city_code] = {
                mapping.city_key(str(d.get("name", ""))): str(d.get("code"))
                for d in await self.client.districts(city_code)
            }
        district_code = self._districts[city_code].get(mapping.city_key(district))
        if district_code is None:
            raise InvalidInputError(
                f"mng does not know the district {district!r} in {city}",
                errors=[{"loc": ["address", "district"], "msg": "not in MNG's district list"}],
            )
        return city_code, district_code

    def sizes(self, package: Package) -> tuple[int, int]:
        """Whole desi (the larger of desi and kg) and whole kg, as MNG takes them."""
        return mapping.whole(max(package.desi, package.weight_kg)), mapping.whole(package.weight_kg)

    # -- quote -----------------------------------------------------------------------------

    async def quote(self, package: Package) -> Quote:
        """MNG's own price for the route and size (``standardqueryapi/calculate``)."""
        desi, kg = self.sizes(package)
        city_code, district_code = await self.codes(package.address.city, package.address.district)
        body = {
            "shipmentServiceType": self.settings.shipment_service_type,
            "packagingType": self.settings.packaging_type,
            "paymentType": self.settings.payment_type,
            "pickUpType": 1,
            "deliveryType": 1,
            # calculate binds the codes as strings (an integer is refused with 4002)
            "cityCode": city_code,
            "districtCode": district_code,
            "address": ", ".join(package.address.lines)[:250],
            "smsPreference1": 0,
            "smsPreference2": 0,
            "smsPreference3": 0,
            "orderPieceList": mapping.pieces(package, desi, kg),
        }
        answer = await self.client.calculate(body)
        total = (answer or {}).get("finalTotal")
        if total is None:
            raise InvalidResponseError("mng calculate answered without finalTotal", remote="mng")
        return Quote(
            carrier=self.key,
            price=kurus(Decimal(str(total))),
            billable_desi=Decimal(desi),
            service=f"shipmentServiceType {self.settings.shipment_service_type}",
        )

    # -- create ----------------------------------------------------------------------------

    async def create_shipment(self, package: Package) -> Booking:
        ref = mapping.reference_of(package.cargo_key)
        desi, kg = self.sizes(package)
        city_code, district_code = await self.codes(package.address.city, package.address.district)
        self._first_seen(ref, "created")
        order_existed = False
        try:
            await self.client.create_order(
                mapping.order_request(
                    package,
                    city_code=city_code,
                    district_code=district_code,
                    desi=desi,
                    kg=kg,
                    service_type=self.settings.shipment_service_type,
                    packaging_type=self.settings.packaging_type,
                    payment_type=self.settings.payment_type,
                    fallback_email=self.settings.fallback_email,
                )
            )
        except ConflictError:
            order_existed = True  # same referenceId: the same order, go on to its shipment
        existing = await self.client.get_shipment(ref) if order_existed else None
        if existing is not None and _shipment_id(existing):
            await self._refuse_if_cancelled(ref)
            return self._booking(package, desi, existing, existed=True)
        if order_existed and _deleted(await self.client.get_order(ref) or {}):
            raise ConflictError(
                f"mng order {ref} was cancelled; book with a new cargo key", remote="mng"
            )
        answer = one(
            await self._create_barcode(
                mapping.barcode_request(
                    package, desi=desi, kg=kg, packaging_type=self.settings.packaging_type
                )
            )
        )
        if answer is None:
            raise InvalidResponseError(
                f"mng createbarcode answered nothing for {ref}", remote="mng"
            )
        # a lost answer found again by getshipment comes back in getshipment's shape
        return self._booking(
            package, desi, answer, existed=order_existed or "barcodes" not in answer
        )

    async def _create_barcode(self, body: dict[str, Any]) -> Any:
        """``createbarcode``, retried while MNG has not resolved the destination branch yet
        (20001/20011): up to ``DESTINATION_RETRIES`` times, waiting 5 min × attempt on the
        connector's sleep; after that the retryable error goes up to the caller."""
        for attempt in range(1, DESTINATION_RETRIES + 2):
            try:
                return await self.client.create_barcode(body)
            except RemoteUnavailableError as exc:
                code = (exc.detail or {}).get("code")
                if code not in DESTINATION_CODES or attempt > DESTINATION_RETRIES:
                    raise
                await self.context.sleep(DESTINATION_RETRY_STEP * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _refuse_if_cancelled(self, ref: str) -> None:
        history = mapping.events(await self.client.track_shipment(ref))
        if any(e.status is TrackingStatus.CANCELLED for e in history):
            raise ConflictError(
                f"mng shipment {ref} was cancelled; book with a new cargo key", remote="mng"
            )

    def _booking(
        self, package: Package, desi: int, answer: dict[str, Any], *, existed: bool
    ) -> Booking:
        shipment_id = _shipment_id(answer)
        if not shipment_id:
            raise InvalidResponseError(
                f"mng gave no shipmentId for {package.cargo_key}", remote="mng"
            )
        barcodes = [b for b in answer.get("barcodes") or [] if isinstance(b, dict)]
        pieces = [str(b.get("barcode")) for b in barcodes if b.get("barcode")]
        if not pieces:
            found = answer.get("shipmentPieceList") or []
            pieces = [str(p["barcode"]) for p in found if isinstance(p, dict) and p.get("barcode")]
            pieces = pieces or mapping.piece_barcodes(shipment_id, package.parcel_count)
        remote_zpl = "\n".join(str(b.get("value")) for b in barcodes if b.get("value")) or None
        data = label_data(
            package,
            shipment_id=shipment_id,
            pieces=pieces,
            desi=Decimal(desi),
            reference=mapping.reference_of(package.cargo_key),
            sender_fallback=self.settings.sender_name,
        )
        shipment = _inner(answer, "shipment")
        return Booking(
            cargo_key=package.cargo_key,
            tracking_number=shipment_id,
            label=render(data, remote_zpl=remote_zpl),
            cost=None,
            tracking_url=shipment.get("shipmentFollowUrl") or None,
            remote_id=shipment_id,
            request_id=str(answer.get("invoiceId") or shipment.get("invoiceId") or "") or None,
            already_existed=existed,
        )

    # -- track -----------------------------------------------------------------------------

    async def track(self, cargo_keys: list[str]) -> dict[str, list[TrackingEvent]]:
        """Events per cargo key from ``trackshipment``; an order not yet a shipment is
        ``created``; a key MNG does not know maps to an empty list."""
        out: dict[str, list[TrackingEvent]] = {}
        for key in cargo_keys:
            ref = mapping.reference_of(key)
            raw = await self.client.track_shipment(ref)
            if raw:
                out[key] = mapping.events(raw)
                continue
            order = await self.client.get_order(ref)
            if order is None:
                out[key] = []
            elif _deleted(order):
                out[key] = [
                    TrackingEvent(
                        at=self._first_seen(ref, "cancelled"),
                        status=TrackingStatus.CANCELLED,
                        description="Sipariş iptal edildi",
                        raw_code="cancelorder",
                    )
                ]
            else:
                out[key] = mapping.created_only(self._first_seen(ref, "created"))
        return out

    def _first_seen(self, reference: str, what: str) -> datetime:
        return self._seen.setdefault((reference, what), self.context.clock())

    async def changed_since(self, since: datetime) -> dict[str, TrackingStatus]:
        """Bulk poll (``getStatusChangedShipments``): cargo reference → its current status, for
        every shipment whose status changed since ``since``. Cheaper than ``track`` per key when
        many shipments are open; the engine can call ``track`` for the keys this returns."""
        out: dict[str, TrackingStatus] = {}
        for row in await self.client.status_changed(since):
            shipment = _inner(row, "shipment")
            ref = shipment.get("referenceId") or _inner(row, "order").get("referenceId")
            status = mapping.event_status(shipment)
            if ref and status is not None:
                out[str(ref)] = status
        return out

    async def shipments_on(self, day: date) -> dict[str, TrackingStatus]:
        """Sweep (``getShipmentByDate``): cargo reference → current status of every shipment
        MNG created on ``day`` (Turkish time), returns included. One call per day instead of
        one ``track`` per key, for a daily reconciliation of what MNG holds."""
        out: dict[str, TrackingStatus] = {}
        for row in await self.client.shipments_by_date(day):
            shipment = _inner(row, "shipment")
            status = mapping.event_status(shipment)
            if shipment.get("referenceId") and status is not None:
                out[str(shipment["referenceId"])] = status
        return out

    async def delivered_on(self, day: date) -> dict[str, datetime | None]:
        """``getDeliveredShipment``: cargo reference → delivery time of every shipment MNG
        delivered on ``day`` (Turkish time; None when MNG gives no time)."""
        out: dict[str, datetime | None] = {}
        for row in await self.client.delivered_shipments(day):
            shipment = _inner(row, "shipment")
            if shipment.get("referenceId"):
                out[str(shipment["referenceId"])] = parse_date(
                    shipment.get("deliveryDate") or shipment.get("deliveryDateTime")
                )
        return out

    # -- change before pickup --------------------------------------------------------------

    async def amend_shipment(self, package: Package) -> RemoteRef:
        """Send ``package``'s pieces (desi, kg), COD amount and waybill again before the parcel
        is picked up: ``updateshipment`` once a shipment exists, else ``updateorder``. MNG
        refuses it after the branch scan (``RemoteRejectedError``)."""
        ref = mapping.reference_of(package.cargo_key)
        desi, kg = self.sizes(package)
        status = await self.client.shipment_status(ref)
        shipment_id = _shipment_id(status) if status else None
        body = mapping.update_request(package, desi=desi, kg=kg, shipment_id=shipment_id)
        if shipment_id:
            await self.client.update_shipment(body)
        else:
            await self.client.update_order(body)
        return RemoteRef(remote_id=shipment_id or ref)

    # -- returns (sources and rules: kervan_mng/returns.py) --------------------------------

    async def book_return(self, request: ReturnRequest) -> ReturnBooking:
        """A return order (``createReturnOrder``) the buyer hands in with MNG's label link; the
        same ``request.reference`` always names the same order (3002 is the earlier one)."""
        return await returns.book(self, request)

    async def cancel_return(self, booking: ReturnBooking) -> RemoteRef:
        """Withdraw the return order (``cancelorder``) before the parcel is handed in."""
        return await returns.cancel(self, booking)

    async def track_returns(self, bookings: list[ReturnBooking]) -> dict[str, list[TrackingEvent]]:
        """The return shipments' movements (``trackshipment``) once handed in; none before."""
        return await returns.track(self, bookings)

    def label_pdf(self, label: Label) -> bytes:
        """The label's PDF, drawn from the data kept at booking: MNG's piece barcodes and the
        shipment number, as on its ZPL."""
        return labels.label_pdf(label)

    # -- cancel ----------------------------------------------------------------------------

    async def cancel_shipment(self, cargo_key: str) -> RemoteRef:
        """``cancelshipment`` once a shipment exists (MNG's preferred way), else ``cancelorder``.
        MNG allows it only until the parcel is scanned at a branch."""
        ref = mapping.reference_of(cargo_key)
        history = mapping.events(await self.client.track_shipment(ref))
        if any(e.status is TrackingStatus.CANCELLED for e in history):
            return RemoteRef(remote_id=ref, already_done=True)
        if any(e.status is TrackingStatus.PICKED_UP for e in history):
            raise RemoteRejectedError(
                f"mng cannot cancel {cargo_key}: the parcel was already picked up",
                remote="mng",
                remote_message="picked up",
            )
        status = await self.client.shipment_status(ref)
        shipment_id = _shipment_id(status) if status else None
        if shipment_id:
            await self.client.cancel_shipment(ref, shipment_id)
            return RemoteRef(remote_id=shipment_id)
        order = await self.client.get_order(ref)
        if order is None:
            raise InvalidInputError(
                f"mng knows no order {ref}",
                errors=[{"loc": ["cargo_key"], "msg": "unknown at MNG"}],
            )
        if _deleted(order):
            return RemoteRef(remote_id=ref, already_done=True)
        await self.client.cancel_order(ref)
        return RemoteRef(remote_id=ref)


def _shipment_id(answer: dict[str, Any]) -> str | None:
    shipment = _inner(answer, "shipment")
    value = shipment.get("shipmentId") or answer.get("shipmentId")
    return str(value) if value else None


def _deleted(order: dict[str, Any]) -> bool:
    # ``isDeleted`` is what the sandbox answers for a cancelled order; MNG's field is unconfirmed
    return bool(_inner(order, "order").get("isDeleted"))


def _inner(body: dict[str, Any], key: str) -> dict[str, Any]:
    """``body[key]`` when MNG nests the object there, else ``body`` itself."""
    value = body.get(key)
    return value if isinstance(value, dict) else body
