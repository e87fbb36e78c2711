"""``Yurtici``: the carrier role over Yurtiçi's SOAP web service."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import ClassVar

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
from kervan.domain import Label, Package, Quote, TrackingEvent
from kervan.errors import (
    AuthError,
    ConflictError,
    InvalidInputError,
    InvalidResponseError,
    KervanError,
    RemoteRejectedError,
)
from kervan.roles import CarrierLegal
from kervan_sdk import labels

from . import mapping, returns
from .client import (
    CANCEL_GONE_CODES,
    ERR_CARGO_KEY_NOT_FOUND,
    ERR_DUPLICATE_CARGO_KEY,
    YurticiClient,
)
from .label import label_for
from .legal import LEGAL
from .settings import YurticiSettings


class Yurtici(Carrier):
    """Yurtiçi Kargo: book by cargo key, track by polling ``queryShipment``, cancel before pickup;
    return codes for buyers, and the parcels they bring back (:mod:`kervan_yurtici.returns`).

    The label is rendered here: Yurtiçi prints nothing for us; its branch scans our cargo key.
    """

    key: ClassVar[str] = "yurtici"
    display_name: ClassVar[str] = "Yurtiçi Kargo"
    Settings = YurticiSettings
    sandbox: ClassVar[str | None] = "kervan_yurtici.sandbox:YurticiSandbox"
    desi_step: ClassVar[Decimal] = Decimal(1)
    #: for the e-Arşiv internet-sale CarrierParty (sources: README, "Legal identity")
    legal_party: ClassVar[CarrierLegal | None] = LEGAL

    settings: YurticiSettings

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        assert isinstance(settings, YurticiSettings)
        self.desi_step = settings.desi_step  # type: ignore[misc]  # per contract
        self.client = YurticiClient(
            settings.endpoint,
            username=settings.username,
            password=settings.password.get_secret_value(),
            language=settings.language,
            context=context,
        )
        #: (cargo key, what) → when this connection first saw it; dates undated events stably
        self._seen: dict[tuple[str, str], datetime] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def check(self) -> CheckResult:
        """Query a key that cannot exist: a known answer proves the user and the endpoint."""
        try:
            result = await self.client.query_shipment(["KERVAN-CHECK"], history=False)
        except AuthError as exc:
            return CheckResult(ok=False, message=exc.message)
        except KervanError as exc:
            return CheckResult(ok=False, message=exc.message)
        return CheckResult(
            ok=True, message="Yurtiçi answered", details={"outFlag": result.out_flag}
        )

    # -- quote -----------------------------------------------------------------------------

    def package_desi(self, package: Package) -> Decimal:
        """Billable desi of a package: its desi or its weight, whichever is larger, rounded."""
        return mapping.round_up(max(package.desi, package.weight_kg), self.desi_step)

    async def quote(self, package: Package) -> Quote:
        billable = self.package_desi(package)
        priced = self.settings.tariff.price(billable, package.address.city)
        if priced is None:
            raise InvalidInputError(
                f"the yurtici tariff has no price for {billable} desi to {package.address.city}",
                errors=[{"loc": ["tariff"], "msg": "no band/zone price for this route"}],
            )
        price, zone = priced
        return Quote(
            carrier=self.key,
            price=price,
            currency=self.settings.tariff.currency,
            billable_desi=billable,
            service=f"standart ({zone})",
        )

    # -- create ----------------------------------------------------------------------------

    async def create_shipment(self, package: Package) -> Booking:
        desi = self.package_desi(package)
        result = await self.client.create_shipment([mapping.shipping_order(package, desi=desi)])
        existed = result.operation == "queryShipment"  # found by the lookup after a timeout
        if not existed:
            detail = result.detail(package.cargo_key) or (
                result.details[0] if result.details else None
            )
            code = detail.err_code if detail else ("0" if result.out_flag == "0" else "?")
            if code == ERR_DUPLICATE_CARGO_KEY:
                existed = True
            elif code != "0":
                message = (
                    (detail.get("errMessage") if detail else None) or result.out_result or code
                )
                raise RemoteRejectedError(
                    f"yurtici refused cargo key {package.cargo_key}: {message} ({code})",
                    remote="yurtici",
                    remote_message=message,
                    detail={"errCode": code},
                )
        self._first_seen(package.cargo_key, "created")
        tracking, url = package.cargo_key, None
        job_id = result.fields.get("jobId")
        if existed:
            # same key, same shipment: learn what Yurtiçi knows of it by now
            query = await self.client.query_shipment([package.cargo_key], history=False)
            found = query.detail(package.cargo_key)
            if found is None or found.err_code != "0":
                raise InvalidResponseError(
                    f"yurtici says cargo key {package.cargo_key} exists but cannot find it",
                    remote="yurtici",
                )
            if found.get("operationStatus") in mapping.CANCELLED:
                raise ConflictError(
                    f"yurtici cargo key {package.cargo_key} was cancelled; book with a new key",
                    remote="yurtici",
                    remote_message=found.get("operationMessage"),
                )
            tracking = mapping.doc_id(found) or package.cargo_key
            url = mapping.tracking_url(found)
            job_id = found.get("jobId") or job_id
        return Booking(
            cargo_key=package.cargo_key,
            tracking_number=tracking,
            label=label_for(package, desi, tracking, sender_fallback=self.settings.sender_name),
            cost=None,
            tracking_url=url,
            remote_id=job_id or None,
            already_existed=existed,
        )

    # -- track -----------------------------------------------------------------------------

    async def track(self, cargo_keys: list[str]) -> dict[str, list[TrackingEvent]]:
        """Events per cargo key; a key Yurtiçi does not know maps to an empty list."""
        out: dict[str, list[TrackingEvent]] = {}
        for start in range(0, len(cargo_keys), 50):
            batch = cargo_keys[start : start + 50]
            result = await self.client.query_shipment(batch, history=True)
            for key in batch:
                detail = result.detail(key)
                if detail is None or detail.err_code == ERR_CARGO_KEY_NOT_FOUND:
                    out[key] = []
                elif detail.err_code != "0":
                    raise RemoteRejectedError(
                        f"yurtici could not query {key}: {detail.get('errMessage')}",
                        remote="yurtici",
                        remote_message=detail.get("errMessage"),
                    )
                else:
                    out[key] = mapping.events(detail, partial(self._first_seen, key))
        return out

    def _first_seen(self, cargo_key: str, what: str) -> datetime:
        return self._seen.setdefault((cargo_key, what), self.context.clock())

    async def tracking_numbers(self, cargo_keys: list[str]) -> dict[str, str]:
        """Yurtiçi's own number (``docId``) per cargo key, for keys the branch has processed.

        Before pickup the cargo key is the only number (and the label's barcode); once a
        ``docId`` exists it is what the buyer tracks with, so the engine may store it."""
        out: dict[str, str] = {}
        for start in range(0, len(cargo_keys), 50):
            result = await self.client.query_shipment(cargo_keys[start : start + 50], history=False)
            for detail in result.details:
                key, doc = detail.get("cargoKey"), mapping.doc_id(detail)
                if key and doc and detail.err_code == "0":
                    out[key] = doc
        return out

    def label_pdf(self, label: Label) -> bytes:
        """The label's PDF, drawn from the data kept at booking (the same fields as its ZPL)."""
        return labels.label_pdf(label)

    # -- cancel ----------------------------------------------------------------------------

    async def cancel_shipment(self, cargo_key: str) -> RemoteRef:
        result = await self.client.cancel_shipment([cargo_key])
        detail = result.detail(cargo_key) or (result.details[0] if result.details else None)
        if detail is None:
            raise InvalidResponseError("yurtici cancel answer has no detail", remote="yurtici")
        code, status = detail.err_code, detail.get("operationStatus")
        if code in CANCEL_GONE_CODES or status in ("ISC",):
            return RemoteRef(remote_id=mapping.doc_id(detail), already_done=True)
        if code != "0" or status not in mapping.CANCELLED:
            message = detail.get("errMessage") or detail.get("operationMessage") or code
            raise RemoteRejectedError(
                f"yurtici did not cancel {cargo_key}: {message}",
                remote="yurtici",
                remote_message=message,
                detail={"errCode": code, "operationStatus": status},
            )
        job_id = detail.get("jobId")
        return RemoteRef(remote_id=mapping.doc_id(detail) or (job_id if job_id != "0" else None))

    # -- returns (sources and rules: kervan_yurtici/returns.py) -----------------------------

    async def book_return(self, request: ReturnRequest) -> ReturnBooking:
        """A return code (``saveReturnShipmentCode``) the buyer gives at any branch; the same
        ``request.reference`` always gives the same code (82655 is the earlier booking)."""
        return await returns.book(self, request)

    async def cancel_return(self, booking: ReturnBooking) -> RemoteRef:
        """Withdraw the code (``cancelReturnShipmentCode``); 82656 is ``already_done``."""
        return await returns.cancel(self, booking)

    async def track_returns(self, bookings: list[ReturnBooking]) -> dict[str, list[TrackingEvent]]:
        """Movements of the parcels handed in with each code (report service,
        ``listInvDocumentInterfaceByReference`` by the code's special field)."""
        return await returns.track(self, bookings)
