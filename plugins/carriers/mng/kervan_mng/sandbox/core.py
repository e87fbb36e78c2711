"""The MNG sandbox's state and the helpers its routes share (no routes here)."""

from __future__ import annotations

import string
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from fastapi.responses import JSONResponse
from kervan.domain import TrackingStatus
from kervan_sdk.sandbox import Sandbox, SimClock

from ..mapping import city_key
from ..places import CITIES, DISTRICTS, tr_upper
from .gateway import Gateway, PlanLimit
from .shapes import invalid
from .state import (
    CLIENT_ID,
    CLIENT_SECRET,
    CUSTOMER_NUMBER,
    OUTCOMES,
    PASSWORD,
    PREFIX,
    STAGE_OF,
    UNRESOLVED_CODES,
    SimOrder,
    SimShipment,
    code_of,
)

#: the sandbox's seller (the customer whose account the demo credentials open)
SELLER = {
    "customerId": int(CUSTOMER_NUMBER),
    "refCustomerId": "",
    "cityName": "İSTANBUL",
    "districtName": "KADIKÖY",
    "address": "Caferağa Mah. Moda Cad. No:1",
    "email": "depo@kervan.example",
    "fullName": "KERVAN DEMO",
    "mobilePhoneNumber": "5320000000",
}


class MngCore(Sandbox):
    name = "mng"

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        seed: int = 0,
        unresolved_share: float = 0.0,
        unresolved_for: timedelta = timedelta(minutes=20),
        return_drop_off_after: timedelta | None = timedelta(days=1),
        undelivered_share: float = 0.0,
        subscriptions: Collection[str] | None = None,
        plan_limits: Mapping[str, PlanLimit | None] | None = None,
    ) -> None:
        if not 0.0 <= unresolved_share <= 1.0:
            raise ValueError("unresolved_share is a share of orders, between 0 and 1")
        #: share of fresh orders whose destination branch is not resolved for ``unresolved_for``
        self.unresolved_share = unresolved_share
        self.unresolved_for = unresolved_for
        #: when the buyer drops a return parcel at a branch (None: only :meth:`hand_in_return`)
        self.return_drop_off_after = return_drop_off_after
        if not 0.0 <= undelivered_share <= 1.0:
            raise ValueError("undelivered_share is a share of shipments, between 0 and 1")
        #: share of shipments not delivered (6) and sent back (7); 0 keeps the demo delivering
        self.undelivered_share = undelivered_share
        self._outcomes: dict[str, str] = {}
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
        self.seller = dict(SELLER)
        clock = clock or SimClock()
        self.gateway = Gateway(
            clock, self.tokens, subscriptions=subscriptions, plan_limits=plan_limits
        )
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
        self.settle()
        shipment = order.shipment
        if shipment is None:
            raise ValueError(f"{cargo_key} has no shipment yet (createbarcode or drop-off)")
        now = self.clock.now()
        if status is TrackingStatus.CANCELLED:
            shipment.cancelled_at = now
            return
        if status in (TrackingStatus.EXCEPTION, TrackingStatus.RETURNED):
            shipment.outcome = "undelivered"  # 6 not delivered, then 7 coming back
            stage = 4 if status is TrackingStatus.EXCEPTION else 5
        else:
            stage = STAGE_OF[status]
        offset = shipment.steps[stage][0]
        shipment.created_at = min(shipment.created_at, now - offset)

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

    def set_outcome(self, reference_id: str, outcome: str) -> None:
        """How ``reference_id``'s parcel ends after "out to the address": ``delivered``,
        ``undelivered`` (6, then 7 coming back) or ``support`` (8). Before or after shipping."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome is one of {sorted(OUTCOMES)}")
        order = self.orders.get(reference_id)
        if order is not None and order.shipment is not None:
            order.shipment.outcome = outcome
        else:
            self._outcomes[reference_id] = outcome

    def expire_tokens(self) -> None:
        """Invalidate every jwt handed out (the next call gets a 401)."""
        self.tokens.clear()

    def hand_in_return(self, code: str) -> SimShipment:
        """The buyer hands the parcel of return order ``code`` (its ``referenceId``) in at a
        branch now: the order becomes a shipment travelling to the seller on the sandbox clock
        (:data:`~kervan_mng.sandbox.state.TIMELINE`), ending delivered. ``ValueError`` for
        anything but an open return order."""
        order = self.orders.get(code.upper())
        if order is None or order.kind != "return" or order.deleted:
            raise ValueError(f"{code} is not an open return order")
        if order.shipment is None:
            self._ship(order, self.clock.now())
        assert order.shipment is not None
        return order.shipment

    def settle(self) -> None:
        """Let time act: return parcels due for drop-off become shipments."""
        now = self.clock.now()
        for order in self.orders.values():
            due = order.drop_off_at
            pending = order.kind == "return" and not order.deleted and order.shipment is None
            if pending and due is not None and due <= now:
                self._ship(order, due)

    # -- helpers ---------------------------------------------------------------------------

    def _ship(self, order: SimOrder, at: datetime) -> SimShipment:
        barcodes = [
            {"pieceNumber": n, "barcode": self._piece_barcode()}
            for n, _piece in enumerate(order.pieces or [{}], start=1)
        ]
        outcome = self._outcomes.pop(order.reference_id, None)
        if (
            outcome is None
            and self.undelivered_share
            and self.random.random() < self.undelivered_share
        ):
            outcome = "undelivered"
        order.shipment = SimShipment(
            self._id(12), "FM" + self._id(6), at, barcodes, outcome=outcome or "delivered"
        )
        return order.shipment

    def _city_code(self, city: str) -> str | None:
        return next((c["code"] for c in self.cities if city_key(c["name"]) == city_key(city)), None)

    def _bad_codes(self, city_code: Any, district_code: Any) -> JSONResponse | None:
        """The refusal when the codes are not in the CBS Info lists, else None."""
        city = code_of(city_code)
        if city is None or city.zfill(2) not in {c["code"] for c in self.cities}:
            return invalid(
                "26101",
                f"cityCode {city_code!r} geçersiz; kodlar cbsinfoapi/getcities listesinden alınmalıdır",
            )
        city = city.zfill(2)
        district = code_of(district_code)
        if district is None or district not in {d["code"] for d in self.districts.get(city, [])}:
            return invalid(
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
