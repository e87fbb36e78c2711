"""A small, correct connector playing four roles on its sandbox, and deliberately broken kin.

The contract kit's own tests run the standard suite on these: ``ToyHub`` must pass it all;
each broken variant must be caught by the named standard test.
"""

from __future__ import annotations

import base64
import copy
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from kervan import (
    Booking,
    Carrier,
    CheckResult,
    ConnectorContext,
    ConnectorSettings,
    DocumentIssuer,
    ErpSink,
    OrderSource,
    RecordKind,
    RecordProblem,
    Registration,
    RemoteRef,
    Submission,
    TaxClassifier,
)
from kervan.domain import (
    DocumentKind,
    DocumentStatus,
    Invoice,
    Label,
    Order,
    Package,
    StockUpdateResult,
    TrackingEvent,
    kurus,
)
from kervan.errors import (
    AuthError,
    ConflictError,
    RateLimitedError,
    RemoteRejectedError,
    RemoteUnavailableError,
)
from kervan.scenario import Scenario
from kervan_sdk import map_record
from kervan_sdk.http import ApiClient, BasicAuth, RetryPolicy
from kervan_sdk.sandbox import Sandbox, page_count, paginate
from pydantic import SecretStr
from toy_catalog import CatalogSandbox, CatalogToy

USER, PASSWORD = "toy-seller", "toy-sandbox-password-42"
SETTINGS = {"username": USER, "password": PASSWORD}
PDF = b"%PDF-1.4\n% toy label\n"
#: hours after booking → the parcel's status (the toy carrier's whole journey)
JOURNEY = ((2, "picked_up"), (8, "in_transit"), (30, "delivered"))


def _authorized(header: str | None) -> bool:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return header == f"Basic {token}"


def _denied() -> JSONResponse:
    return JSONResponse({"message": "invalid credentials"}, status_code=401)


class ToySandbox(CatalogSandbox, Sandbox):
    name = "toy"

    def __init__(self, **kw: Any) -> None:
        self.orders: list[dict] = []
        self.shipments: dict[str, dict] = {}
        self.documents: dict[str, dict] = {}
        self.postings: dict[str, str] = {}
        self.registry: dict[str, str] = {}
        self.listings: dict[str, dict] = {}  # barcode → the listing (toy_catalog)
        self.stock_requests: dict = {}
        super().__init__(**kw)

    def seed_scenario(self, scenario: Scenario) -> None:
        self.orders = [o.model_dump(mode="json") for o in scenario.orders]
        self.registry = dict(scenario.registered)
        self.seed_listings(scenario)

    def routes(self, app: FastAPI) -> None:
        @app.middleware("http")
        async def auth(request: Request, call_next):
            if not _authorized(request.headers.get("authorization")):
                return _denied()
            return await call_next(request)

        self.add_catalog_routes(app)

        @app.get("/me")
        async def me():
            return {"seller": USER}

        @app.get("/orders")
        async def orders(page: int = 0, size: int = 5):
            content = paginate(self, "/orders", self.orders, page, size)
            return {"content": content, "totalPages": page_count(len(self.orders), size)}

        @app.post("/orders/{package_id}/split")
        async def split(package_id: str, body: dict):
            original = next((o for o in self.orders if o["package_id"] == package_id), None)
            if original is None:
                return JSONResponse({"message": "no such package"}, status_code=404)
            if original.get("superseded"):
                return JSONResponse({"message": "package already split"}, status_code=409)
            children = _split(original, body["parcels"])
            if children is None:
                return JSONResponse({"message": "parcels do not add up"}, status_code=400)
            original["superseded"] = True
            self.orders.extend(children)
            return {"packages": [c["package_id"] for c in children]}

        @app.post("/shipments")
        async def book(body: dict):
            key = body["cargoKey"]
            if key in self.shipments:
                return JSONResponse({"message": "cargoKey already used"}, status_code=409)
            self.shipments[key] = {
                "cargoKey": key,
                "tracking": f"TRK{len(self.shipments) + 1:08d}",
                "bookedAt": self.clock.now().isoformat(),
            }
            return self.shipments[key]

        @app.post("/shipments/{key}/cancel")
        async def cancel_shipment(key: str):
            if key not in self.shipments:
                return JSONResponse({"message": "no such shipment"}, status_code=404)
            if self.shipments[key].get("cancelled"):
                return JSONResponse({"message": "shipment already cancelled"}, status_code=409)
            self.shipments[key]["cancelled"] = True
            return self.shipments[key]

        @app.get("/shipments/{key}")
        async def shipment(key: str):
            if key not in self.shipments:
                return JSONResponse({"message": "no such shipment"}, status_code=404)
            booked = datetime.fromisoformat(self.shipments[key]["bookedAt"])
            events = [
                {"at": (booked + timedelta(hours=h)).isoformat(), "status": status}
                for h, status in JOURNEY
                if booked + timedelta(hours=h) <= self.clock.now()
            ]
            return {**self.shipments[key], "events": events}

        @app.post("/documents")
        async def submit(body: dict):
            uuid = body["uuid"]
            if uuid in self.documents:
                return JSONResponse({"message": "duplicate UUID"}, status_code=409)
            self.documents[uuid] = {
                "uuid": uuid,
                "status": "queued",
                "id": f"D{len(self.documents)}",
            }
            return self.documents[uuid]

        @app.get("/documents/{uuid}")
        async def status(uuid: str):
            return self.documents.get(uuid) or JSONResponse({"message": "unknown"}, status_code=404)

        @app.post("/documents/{uuid}/cancel")
        async def cancel(uuid: str):
            self.documents[uuid]["status"] = "cancelled"
            return self.documents[uuid]

        @app.get("/registry/{tax_id}")
        async def registry(tax_id: str):
            alias = self.registry.get(tax_id)
            return {"registered": alias is not None, "aliases": [alias] if alias else []}

        @app.put("/invoices/{uuid}")
        async def post_invoice(uuid: str):
            existed = uuid in self.postings
            self.postings.setdefault(uuid, f"ERP-{len(self.postings) + 1}")
            return {"id": self.postings[uuid], "existed": existed}


def _split(original: dict, parcels: list[dict[str, int]]) -> list[dict] | None:
    """New packages with the units named; the last part of a line takes its discount's rest."""
    lines = {ln["line_id"]: ln for ln in original["lines"]}
    left = {k: (Decimal(ln["quantity"]), Decimal(ln["discount"])) for k, ln in lines.items()}
    children = []
    for i, parcel in enumerate(parcels, 1):
        child = copy.deepcopy(original)
        child["package_id"] = f"{original['package_id']}{i:02d}"
        child["lines"] = []
        for line_id, quantity in parcel.items():
            if line_id not in lines or not 0 < quantity <= left[line_id][0]:
                return None
            quantity_left, discount_left = left[line_id]
            whole, total = Decimal(lines[line_id]["quantity"]), Decimal(lines[line_id]["discount"])
            share = discount_left if quantity == quantity_left else kurus(total * quantity / whole)
            left[line_id] = (quantity_left - quantity, discount_left - share)
            child["lines"].append(
                {**lines[line_id], "quantity": str(quantity), "discount": str(share)}
            )
        children.append(child)
    return children if all(q == 0 for q, _ in left.values()) else None


class ToySettings(ConnectorSettings):
    username: str
    password: SecretStr
    base_url: str = "http://toy.test"


class ToyClient(ApiClient):
    remote_name = "toy"


class ToyHub(CatalogToy, OrderSource, TaxClassifier, Carrier, DocumentIssuer, ErpSink):
    key = "toy"
    display_name = "Toy hub"
    Settings = ToySettings
    sandbox = "sdk_toys:ToySandbox"
    retry = RetryPolicy()

    def __init__(self, settings: ToySettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        secret = settings.password.get_secret_value()
        self.client = ToyClient(
            settings.base_url,
            context=context,
            auth=BasicAuth(settings.username, secret),
            secrets=[secret],
            retry=self.retry,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def check(self) -> CheckResult:
        try:
            await self.client.json("GET", "/me")
        except AuthError as exc:
            return CheckResult(ok=False, message=str(exc))
        return CheckResult(ok=True, message="connected")

    # -- order source
    def order_id(self, package_id: str) -> str:
        return f"{self.context.connection_id}:{package_id}"

    async def list_page(self, page: int) -> dict:
        return await self.client.json("GET", "/orders", params={"page": page, "size": 5})

    def map_order(self, raw: dict[str, Any]) -> Order:
        return Order.model_validate(
            {
                **raw,
                "id": self.order_id(raw["package_id"]),
                "source": self.key,
                "tenant_id": self.context.tenant_id,
                "connection_id": self.context.connection_id,
            }
        )

    async def fetch_orders(
        self, since: datetime, until: datetime | None = None
    ) -> AsyncIterator[Order | RecordProblem]:
        page, pages = 0, 1
        while page < pages:
            body = await self.list_page(page)
            pages = body["totalPages"]
            for raw in body["content"]:
                yield map_record(RecordKind.ORDER, raw, self.map_order, remote_id="package_id")
            page += 1

    async def split_package(self, order: Order, groups: list[list[str]]) -> RemoteRef:
        quantities = {line.line_id: int(line.quantity) for line in order.lines}
        parcels = [{line_id: quantities[line_id] for line_id in group} for group in groups]
        return await self.split_package_by_quantity(order, parcels)

    async def split_package_by_quantity(
        self, order: Order, parcels: list[dict[str, int]]
    ) -> RemoteRef:
        path = f"/orders/{order.package_id}/split"
        response = await self.client.request("POST", path, json={"parcels": parcels}, ok={200, 409})
        return RemoteRef(remote_id=order.package_id, already_done=response.status_code == 409)

    # -- carrier
    async def find_shipment(self, cargo_key: str):
        response = await self.client.request("GET", f"/shipments/{cargo_key}", ok={200, 404})
        return response if response.status_code == 200 else None

    async def create_shipment(self, package: Package) -> Booking:
        try:
            response = await self.client.request(
                "POST",
                "/shipments",
                json={"cargoKey": package.cargo_key},
                lookup_before_retry=lambda: self.find_shipment(package.cargo_key),
            )
            existed = False
        except ConflictError:
            response, existed = await self.find_shipment(package.cargo_key), True
        body = response.json()
        label = Label(zpl=f"^XA^FD{body['tracking']}^FS^XZ", pdf=PDF)
        return Booking(
            cargo_key=package.cargo_key,
            tracking_number=body["tracking"],
            label=label,
            already_existed=existed,
        )

    async def cancel_shipment(self, cargo_key: str) -> RemoteRef:
        path = f"/shipments/{cargo_key}/cancel"
        response = await self.client.request("POST", path, ok={200, 409}, idempotent=True)
        return RemoteRef(remote_id=cargo_key, already_done=response.status_code == 409)

    async def track(self, cargo_keys: list[str]) -> dict[str, list[TrackingEvent]]:
        out: dict[str, list[TrackingEvent]] = {}
        for key in cargo_keys:
            response = await self.find_shipment(key)  # None: the carrier never had it
            if response is not None:
                out[key] = [
                    TrackingEvent(at=datetime.fromisoformat(e["at"]), status=e["status"])
                    for e in response.json()["events"]
                ]
        return out

    # -- document issuer
    def _submission(self, body: dict, existed: bool = False) -> Submission:
        return Submission(
            uuid=body["uuid"],
            status=DocumentStatus(body["status"]),
            remote_id=body["id"],
            already_existed=existed,
        )

    def build_xml(self, document) -> bytes:
        return f"<Invoice><UUID>{document.uuid}</UUID></Invoice>".encode()

    async def submit(self, document, xml: bytes) -> Submission:
        try:
            body = await self.client.json("POST", "/documents", json={"uuid": document.uuid})
            return self._submission(body)
        except ConflictError:
            return self._submission(
                await self.client.json("GET", f"/documents/{document.uuid}"), True
            )

    async def status(self, kind: DocumentKind, uuid: str) -> Submission:
        return self._submission(await self.client.json("GET", f"/documents/{uuid}"))

    async def cancel(self, kind: DocumentKind, uuid: str, reason: str) -> Submission:
        return self._submission(
            await self.client.json("POST", f"/documents/{uuid}/cancel", idempotent=True)
        )

    # -- tax classifier
    async def lookup(self, tax_id: str) -> Registration:
        body = await self.client.json("GET", f"/registry/{tax_id}", rate_key="GET /registry")
        return Registration(
            tax_id=tax_id,
            registered=body["registered"],
            aliases=[{"name": name} for name in body["aliases"]],
            checked_at=self.context.clock(),
            source=self.key,
        )

    # -- ERP sink
    async def post_invoice(self, invoice: Invoice) -> RemoteRef:
        body = await self.client.json("PUT", f"/invoices/{invoice.uuid}")
        return RemoteRef(remote_id=body["id"], already_done=body["existed"])


# ---------------------------------------------------------------------------------------------
# deliberately broken connectors: each must be caught by the named standard test


class DuplicatingToy(ToyHub):
    """Makes order ids from a per-run counter, so a second import run creates new orders."""

    runs = 0

    async def fetch_orders(self, since, until=None):
        type(self).runs += 1
        async for order in super().fetch_orders(since, until):
            if isinstance(order, Order):
                order = order.model_copy(update={"id": f"{order.id}:run{type(self).runs}"})
            yield order


class LeakyToy(ToyHub):
    """Puts its password in its repr."""

    def __repr__(self) -> str:
        return f"<LeakyToy {self.settings.username}:{self.settings.password.get_secret_value()}>"


class ImpatientToy(ToyHub):
    """Does its own retrying on 429, half a second later, whatever Retry-After says."""

    retry = RetryPolicy(retry_statuses=frozenset({500, 502, 503, 504}))

    async def list_page(self, page: int) -> dict:
        for _ in range(5):
            try:
                return await super().list_page(page)
            except RateLimitedError:
                await self.context.sleep(0.5)
        return await super().list_page(page)


class GullibleToy(ToyHub):
    """Says the connection is fine without asking the remote."""

    async def check(self) -> CheckResult:
        return CheckResult(ok=True, message="looks fine")


class DoubleBookingToy(ToyHub):
    """Books again blindly and trips over the carrier's duplicate-key refusal."""

    async def create_shipment(self, package: Package) -> Booking:
        body = await self.client.json("POST", "/shipments", json={"cargoKey": package.cargo_key})
        label = Label(zpl=f"^XA^FD{body['tracking']}^FS^XZ", pdf=PDF)
        return Booking(cargo_key=package.cargo_key, tracking_number=body["tracking"], label=label)


class OptimisticToy(ToyHub):
    """Reads an unreachable registry as "not registered"."""

    async def lookup(self, tax_id: str) -> Registration:
        try:
            return await super().lookup(tax_id)
        except RemoteUnavailableError:
            return Registration(
                tax_id=tax_id, registered=False, checked_at=self.context.clock(), source=self.key
            )


class BatchFailingTrackToy(ToyHub):
    """Lets one cargo key the carrier does not know fail a whole tracking batch."""

    async def track(self, cargo_keys: list[str]) -> dict[str, list[TrackingEvent]]:
        out: dict[str, list[TrackingEvent]] = {}
        for key in cargo_keys:
            body = await self.client.json("GET", f"/shipments/{key}")
            out[key] = [
                TrackingEvent(at=datetime.fromisoformat(e["at"]), status=e["status"])
                for e in body["events"]
            ]
        return out


class AllOrNothingStockToy(ToyHub):
    """Lets one barcode the channel refuses fail the whole stock push."""

    async def send_stock(self, items: list[dict]) -> list[StockUpdateResult]:
        results = await super().send_stock(items)
        refused = [r.barcode for r in results if not r.ok]
        if refused:  # the bug: the listed barcodes were updated, but the caller hears "failed"
            raise RemoteRejectedError(f"stock push refused for {refused}", remote=self.key)
        return results


class ForgetfulCancelToy(ToyHub):
    """Does not look at what the carrier answers: a second cancellation claims a new one."""

    async def cancel_shipment(self, cargo_key: str) -> RemoteRef:
        path = f"/shipments/{cargo_key}/cancel"
        await self.client.request("POST", path, ok={200, 409}, idempotent=True)
        return RemoteRef(remote_id=cargo_key)


class UnforgivingSplitToy(ToyHub):
    """Takes the remote's "already split" for a failure: an engine that asks again after a
    crash gets an error for a split that was made."""

    async def split_package_by_quantity(
        self, order: Order, parcels: list[dict[str, int]]
    ) -> RemoteRef:
        await self.client.request(
            "POST", f"/orders/{order.package_id}/split", json={"parcels": parcels}
        )
        return RemoteRef(remote_id=order.package_id)


class FragileToy(ToyHub):
    """Maps a page in one go: one record with broken parts fails the whole fetch, and the
    good packages on its page never arrive."""

    async def fetch_orders(self, since, until=None):
        page, pages = 0, 1
        while page < pages:
            body = await self.list_page(page)
            pages = body["totalPages"]
            for raw in body["content"]:
                yield self.map_order(raw)
            page += 1


class ChattyToy(ToyHub):
    """Logs its credentials while importing orders."""

    async def list_page(self, page: int) -> dict:
        logging.getLogger("toy").debug(
            "listing page %d as %s", page, self.settings.password.get_secret_value()
        )
        return await super().list_page(page)
