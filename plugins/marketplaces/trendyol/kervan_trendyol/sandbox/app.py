"""``TrendyolSandbox``: a local stand-in for Trendyol's seller API.

Same paths, field names (the 2025-12 names), status codes, paging and error bodies as the
documented API; the gateway rules are enforced before any endpoint runs (User-Agent → 403,
Basic auth → 401, 50 requests per 10 s per endpoint → 429 ``too.many.requests``). State moves
on the sandbox's clock: see :meth:`TrendyolSandbox.tick`.

Rules and their sources (TY-SPEC = Trendyol's OpenAPI reference as captured in
``loncadev/lonca`` ``specs/trendyol/{marketplace,invoice,product}.json``, 2026-10-09; TY-EN =
the English docs, see ../shared/reference/apis.md):

- getShipmentPackages takes one ``status`` from its enum (Awaiting, Created, Picking,
  Invoiced, Shipped, Cancelled, Delivered, UnDelivered, Returned, AtCollectionPoint,
  UnSupplied); a comma list, a repeated parameter or ``UnPacked`` is a 400 [TY-SPEC].
  This contradicts TY-EN's "query cancelled packages with ``status=Cancelled,UnSupplied``"
  kept in apis.md 1.3.
- updatePackageStatus requires only ``status``; ``lines`` and ``params`` (with
  ``invoiceNumber``) are optional [TY-SPEC].
- sendInvoiceLink / uploadInvoiceFile: ``invoiceDateTime`` and ``invoiceNumber`` are required
  for micro export only; the number's series may be lower case; a file part without a
  content type is judged by its name, then its first bytes [TY-SPEC invoice.json].
- Error bodies: ``{error, message}`` for getShipmentPackages(+stream) and updatePackageStatus
  [TY-SPEC marketplace.json ``Error``]; ``{error, message, timestamp, path, status}`` for the
  invoice services [TY-SPEC invoice.json ``Error``]; ``{errors:[{key,message,errorCode}]}``
  elsewhere (product services) [TY-EN "Service Responses"].
- filterApprovedProducts ``size`` maximum is 100 [TY-SPEC product.json]; issue 18's "the
  spec allows more" holds only for filterUnapprovedProducts (max 1000), not served here.
- The User-Agent names the seller: ``"{sellerId} - {integrator}"`` [TY-SPEC UserAgent
  parameter]. One naming another seller than the path's is refused with 403; *uncertain*:
  no source says what Trendyol answers (403 is what it answers for a User-Agent it refuses).
- Rate limits: 50 per 10 s to one endpoint everywhere, plus the documented per-minute limits
  per service group in :data:`LIMITS` (sources there); a 429 body is ``too.many.requests``.
- Carrier states: a shipped package is Delivered, or first AtCollectionPoint (the buyer
  collects it), or UnDelivered and later Returned [states: TY-SPEC getShipmentPackages status
  enum; "Delivered and Returned are final", TY-EN]. Which share ends which way and how long
  each step takes are ours (:data:`UNDELIVERED_SHARE`, :data:`COLLECTION_POINT_SHARE`,
  :data:`PICKED_UP_AFTER`, :data:`RETURNED_AFTER`), drawn per package from the seed;
  :meth:`TrendyolSandbox.force_outcome` forces one.
- Further rules and their sources: splits (asynchronous) in ``splits_api``; alternative
  delivery, box info and the extended agreed delivery date in ``delivery_api``;
  getShipmentPackagesStream in ``stream_api``; approved inventory-and-price in
  ``products_api``; claims only on shipped goods in ``claims_api``.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import random
import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from kervan.domain import Order
from kervan_sdk.sandbox import ListedPrice, Sandbox, SimClock

from ..mapping import package_id_of, to_epoch_ms
from . import (
    claims_api,
    delivery_api,
    finance_api,
    invoices_api,
    orders_api,
    products_api,
    splits_api,
    stream_api,
)
from .seed import order_to_package, random_order

SELLER_ID = 274901
API_KEY = "kervanSandboxKey01"
API_SECRET = "kervanSandboxSecret01"  # noqa: S105 - the sandbox's published demo credential
USER_AGENT = re.compile(r"^\s*(\d+)\s*-\s*([A-Za-z0-9]{1,30})\s*$")
#: the per-minute limits documented per service, on top of the generic 50 requests per 10 s
#: to the same endpoint [TY-EN "2. Authorization"]. endpoint → ((group, requests, seconds), …);
#: endpoints of one group share its count. Sources: order and claim services [TY-EN "1.
#: Service Limitations", apis.md 1.1, the lowest listing tier where the limit depends on it];
#: product services from 14 Sep 2026 per service group, lowest tier shown [TY-DOCS v3.0 "5.
#: Service Limitations", https://developers.trendyol.com/tr/v3.0/docs/6-service-limitations:
#: Product Integration Read 1000/min, Inventory & Price Write 350/min]. Uncertain: whether
#: the stream shares getShipmentPackages' limit (assumed) and whether alternative-delivery
#: counts as "update tracking/package" (assumed).
LIMITS: dict[str, tuple[tuple[str, int, float], ...]] = {
    "GET orders": (("orders", 2000, 60),),
    "GET orders/stream": (("orders", 2000, 60),),
    "PUT package": (("package-update", 300, 60),),
    "PUT alternative-delivery": (("package-update", 300, 60),),
    "PUT box-info": (("package-update", 300, 60),),
    "PUT extended-agreed-delivery-date": (("package-update", 300, 60),),
    "PUT unsupplied": (("cancel-split", 100, 60),),
    "POST split": (("cancel-split", 100, 60),),
    "POST label": (("common-label", 100, 60),),
    "GET label": (("common-label", 100, 60),),
    "GET claims": (("claims", 1000, 60),),
    "PUT claims/approve": (("claims/approve", 5, 60),),
    "POST claims/issue": (("claims/issue", 5, 60),),
    "GET audit": (("claims/audit", 1000, 60),),
    "GET products": (("product-read", 1000, 60),),
    "GET products/inventory-and-price": (("product-read", 1000, 60),),
    "GET batch-requests": (("product-read", 1000, 60),),
    "POST price-and-inventory": (("inventory-price-write", 350, 60),),
}
GENERIC = (50, 10.0)
#: how long things take on the sandbox clock
PAYMENT_CONFIRMED_AFTER = timedelta(minutes=15)  # Awaiting → Created
SHIP_AFTER = timedelta(hours=6)  # Invoiced (or labelled) → Shipped, the carrier picked it up
DELIVER_AFTER = timedelta(hours=36)  # Shipped → Delivered
CLAIM_ARRIVES_AFTER = timedelta(hours=24)  # claim Created → WaitingInAction
AUTO_ACCEPT_AFTER = timedelta(hours=48)  # WaitingInAction untouched → Accepted (autoAccepted)
DISPUTE_DECIDED_AFTER = timedelta(hours=72)  # Unresolved → Rejected (inferred, see README)
PICKED_UP_AFTER = timedelta(hours=24)  # AtCollectionPoint → Delivered (the buyer collects)
RETURNED_AFTER = timedelta(hours=48)  # UnDelivered → Returned (back at the seller)
#: shares of shipped packages that end otherwise than Delivered (deterministic per seed and
#: package), for ``TrendyolSandbox(undelivered_share=..., collection_point_share=...)``; tests
#: force one package's end with :meth:`TrendyolSandbox.force_outcome`. Off by default: worlds
#: built on the sandbox (the demo, tests/e2e's chaos world) expect every shipped parcel to
#: be delivered; ``REALISTIC_SHARES`` are plausible values to pass instead (ours, no source).
UNDELIVERED_SHARE = 0.0
COLLECTION_POINT_SHARE = 0.0
REALISTIC_SHARES = {"undelivered_share": 0.04, "collection_point_share": 0.08}
OUTCOMES = ("Delivered", "AtCollectionPoint", "UnDelivered", "Returned")


def shift_dates(value: Any, delta_ms: int) -> Any:
    """A copy of a package with every epoch-ms ``...Date`` field moved by ``delta_ms``."""
    if isinstance(value, list):
        return [shift_dates(item, delta_ms) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: (
            item + delta_ms
            if key.endswith("Date") and isinstance(item, int) and item > 10**11
            else shift_dates(item, delta_ms)
        )
        for key, item in value.items()
    }


class TrendyolError(Exception):
    """Raised inside a route: becomes Trendyol's ``{"errors":[{key,message,errorCode}]}``."""

    def __init__(self, status: int, key: str, message: str) -> None:
        super().__init__(message)
        self.status, self.key, self.message = status, key, message


def error_body(status: int, key: str, message: str) -> dict[str, Any]:
    return {"errors": [{"key": key, "message": message, "errorCode": str(status)}]}


#: endpoints whose documented error body is ``{error, message}`` (TY-SPEC marketplace.json
#: ``Error``): getShipmentPackages (+ v2, stream) and updatePackageStatus
ORDER_ERROR_PATHS = re.compile(
    r"^/integration/order/sellers/[^/]+/(?:(?:v2/)?orders(?:/stream)?|shipment-packages/[^/]+)$"
)
#: the invoice services answer ``{error, message, timestamp, path, status}`` (TY-SPEC
#: invoice.json ``Error``)
INVOICE_ERROR_PATHS = re.compile(r"^/integration/sellers/[^/]+/seller-invoice-")


def shaped_error(path: str, status: int, key: str, message: str, now_ms: int) -> dict[str, Any]:
    """The error body the documented endpoint at ``path`` answers with: ``{error, message}``
    for the order-package list and status update, that plus ``timestamp``/``path``/``status``
    for the invoice services, ``{errors:[{key,message,errorCode}]}`` everywhere else (product
    services, per the English docs' "Service Responses")."""
    if ORDER_ERROR_PATHS.match(path):
        return {"error": key, "message": message}
    if INVOICE_ERROR_PATHS.match(path):
        return {
            "error": key,
            "message": message,
            "timestamp": now_ms,
            "path": path,
            "status": status,
        }
    return error_body(status, key, message)


class TrendyolSandbox(Sandbox):
    """Trendyol's seller API, in-process or on loopback, seeded with Turkish orders."""

    name: ClassVar[str] = "trendyol"

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        seed: int = 0,
        undelivered_share: float = UNDELIVERED_SHARE,
        collection_point_share: float = COLLECTION_POINT_SHARE,
    ) -> None:
        self.seller_id = SELLER_ID
        self.api_key, self.api_secret = API_KEY, API_SECRET
        #: shipmentPackageId → package JSON as Trendyol serves it
        self.packages: dict[int, dict[str, Any]] = {}
        #: the finance API's settlement records (:func:`finance_api.pay_out` makes them)
        self.finance: list[dict[str, Any]] = []
        self.finance_seq = 0
        #: shipmentPackageId → sandbox-only bookkeeping (never served)
        self.meta: dict[int, dict[str, Any]] = {}
        self.claims: dict[str, dict[str, Any]] = {}
        self.audits: dict[str, list[dict[str, Any]]] = {}
        #: claimId → files received with its rejections ({name, contentType, data})
        self.claim_files: dict[str, list[dict[str, Any]]] = {}
        self.products: dict[str, dict[str, Any]] = {}  # barcode → variant with its content
        self.batches: dict[str, dict[str, Any]] = {}
        self.recent_stock_requests: dict[str, datetime] = {}
        self.labels: dict[str, list[dict[str, Any]]] = {}
        #: Trendyol's own tracking number → package (set once: such a number never changes)
        self.by_ty_tracking: dict[str, int] = {}
        self.invoice_links: dict[str, int] = {}  # link → package id
        #: scenario package id → Trendyol package id (when the scenario's ids are not numeric)
        self.scenario_ids: dict[str, int] = {}
        self._hits: dict[str, deque[float]] = {}
        # (when, packageId): the packages whose next timed move may be due then; tick() only
        # looks at due entries, so a request costs the same with 10 or 100,000 packages
        self._timers: list[tuple[datetime, int]] = []
        self._next_id = 3_100_000_000
        #: package id → a split answered but not yet carried out (splits_api)
        self.pending_splits: dict[int, dict[str, Any]] = {}
        #: shares of shipped packages the carrier does not simply deliver (see _outcome)
        self.undelivered_share = undelivered_share
        self.collection_point_share = collection_point_share
        self.poll_seq = 0
        self._request_ms = self._previous_request_ms = 0
        super().__init__(clock=clock, seed=seed)

    # -- connection ------------------------------------------------------------------------

    def demo_settings(self, base_url: str) -> dict[str, Any]:
        """Settings for a Trendyol connection that this sandbox accepts."""
        return {
            "seller_id": str(self.seller_id),
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "base_url": base_url,
            "integrator_name": "Kervan",
        }

    def new_id(self) -> int:
        self._next_id += self.random.randint(1, 97)
        return self._next_id

    def now_ms(self) -> int:
        return to_epoch_ms(self.clock.now())

    # -- gateway ---------------------------------------------------------------------------

    def guard(self, endpoint: str) -> Callable[[Request], Awaitable[None]]:
        """A dependency applying Trendyol's gateway rules, then letting time move (tick).

        ``async`` although it never awaits: FastAPI runs a plain ``def`` dependency in its
        thread pool, one thread hop per request for work that takes microseconds."""

        async def check(request: Request) -> None:
            agent = USER_AGENT.match(request.headers.get("user-agent", ""))
            if agent is None:
                raise TrendyolError(403, "forbidden", "User-Agent bilgisi zorunludur")
            seller = request.path_params.get("sellerId")
            if seller is not None and agent.group(1) != str(seller):
                # uncertain: no source says what Trendyol answers; 403 as for a bad User-Agent
                raise TrendyolError(
                    403,
                    "forbidden",
                    "User-Agent içindeki satıcı ID yoldaki satıcı ID ile aynı değil",
                )
            if seller is not None and str(seller) != str(self.seller_id):
                raise TrendyolError(401, "ClientApiAuthenticationException", "Unauthorized")
            if not self._authorized(request.headers.get("authorization", "")):
                raise TrendyolError(401, "ClientApiAuthenticationException", "Unauthorized")
            self._rate_limit(endpoint)
            self._previous_request_ms, self._request_ms = self._request_ms, self.now_ms()
            self.tick()

        return check

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (user, password) == (self.api_key, self.api_secret)

    def _rate_limit(self, endpoint: str) -> None:
        """The generic window on the endpoint, then each documented limit of its groups; a
        refused request counts against none of them."""
        now = self.clock.now().timestamp()
        windows = [(endpoint, *GENERIC)] + [
            (f"group:{group}", limit, per) for group, limit, per in LIMITS.get(endpoint, ())
        ]
        for key, limit, per in windows:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - per:
                hits.popleft()
            if len(hits) >= limit:
                raise TrendyolError(429, "too.many.requests", "too.many.requests")
        for key, _limit, _per in windows:
            self._hits[key].append(now)

    def routes(self, app: FastAPI) -> None:
        @app.exception_handler(TrendyolError)
        async def trendyol_error(request: Request, exc: TrendyolError) -> JSONResponse:
            if exc.status == 401:
                body = {
                    "timestamp": self.now_ms(),
                    "exception": "ClientApiAuthenticationException",
                    **error_body(401, exc.key, exc.message),
                }
                return JSONResponse(body, status_code=401)
            body = shaped_error(request.url.path, exc.status, exc.key, exc.message, self.now_ms())
            return JSONResponse(body, exc.status)

        orders_api.add_routes(self, app)
        stream_api.add_routes(self, app)
        splits_api.add_routes(self, app)
        delivery_api.add_routes(self, app)
        invoices_api.add_routes(self, app)
        claims_api.add_routes(self, app)
        products_api.add_routes(self, app)
        finance_api.add_routes(self, app)

    # -- time ------------------------------------------------------------------------------

    def tick(self) -> None:
        """Let the sandbox clock act: payments confirm, carriers ship and deliver, claims
        arrive, untouched claims auto-accept, disputes get decided."""
        now = self.clock.now()
        timers = self._timers
        while timers and timers[0][0] <= now:  # a move may queue the next (shipped → delivered)
            self._move(heapq.heappop(timers)[1], now)
        splits_api.apply_due(self, now)
        claims_api.tick(self, now)

    def _next_move_after(self, pid: int) -> timedelta | None:
        """How long after its last status change this package moves on by itself (None: it
        waits for the seller)."""
        status, meta = self.packages[pid]["status"], self.meta[pid]
        if status == "Awaiting":
            return PAYMENT_CONFIRMED_AFTER
        if status == "Invoiced" or (status == "Picking" and meta.get("labelled")):
            return SHIP_AFTER
        if status == "Shipped":
            if meta.get("alternative"):  # the seller reports delivery (delivery_api)
                return delivery_api.ADEL_DELIVERED_AFTER if meta.get("delivery_reported") else None
            return DELIVER_AFTER
        if status == "AtCollectionPoint":
            return PICKED_UP_AFTER
        if status == "UnDelivered":  # forced to stay UnDelivered: the parcel is lost
            return None if meta.get("outcome") == "UnDelivered" else RETURNED_AFTER
        return None

    def schedule(self, pid: int) -> None:
        """Note when the package's next timed move is due; call after changing its status or
        what makes it ready to ship (a label, a seller tracking number)."""
        after = self._next_move_after(pid)
        if after is not None:
            heapq.heappush(self._timers, (self.meta[pid]["status_at"] + after, pid))

    def _move(self, pid: int, now: datetime) -> None:
        after = self._next_move_after(pid)
        if after is None or now - self.meta[pid]["status_at"] < after:
            return  # a stale timer: the package moved (or was rescheduled) since
        # stamped when it happened, not when somebody next asked: a poll whose window ends
        # now sees it, and a jump of the clock passes through every status on the way
        due = self.meta[pid]["status_at"] + after
        status = self.packages[pid]["status"]
        if status == "Awaiting":
            self.set_status(pid, "Created", at=due)
        elif status == "Shipped":
            outcome = self._outcome(pid)
            self.set_status(pid, "UnDelivered" if outcome == "Returned" else outcome, at=due)
        elif status == "AtCollectionPoint":
            self.set_status(pid, "Delivered", at=due)
        elif status == "UnDelivered":
            self.set_status(pid, "Returned", at=due)
        else:
            self.set_status(pid, "Shipped", at=due)
            self.packages[pid]["originShipmentDate"] = to_epoch_ms(due)

    def _outcome(self, pid: int) -> str:
        """How the carrier ends a shipped package: Delivered, AtCollectionPoint (then
        Delivered), or UnDelivered then Returned. Forced by :meth:`force_outcome`, else drawn
        from the package id and the sandbox seed (the same on every run). A package shipped
        by alternative delivery is confirmed by the buyer: always Delivered."""
        meta = self.meta[pid]
        if meta.get("outcome"):
            return str(meta["outcome"])
        if meta.get("alternative"):
            return "Delivered"
        draw = random.Random(f"{self.seed}:{pid}").random()
        if draw < self.undelivered_share:
            return "Returned"
        if draw < self.undelivered_share + self.collection_point_share:
            return "AtCollectionPoint"
        return "Delivered"

    def force_outcome(self, pid: int, outcome: str) -> None:
        """Test hook: how the carrier will end this package once shipped (one of
        :data:`OUTCOMES`; ``UnDelivered`` stops there, ``Returned`` passes through it)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        self.meta[pid]["outcome"] = outcome
        self.schedule(pid)

    def make_extendible(self, pid: int, extendible: bool = True) -> None:
        """Test hook: Trendyol lets this package's agreed delivery date be extended (the
        ``agreedDeliveryDateExtendible`` flag the package response no longer carries)."""
        self.meta[pid]["extendible"] = extendible

    def set_status(
        self,
        pid: int,
        status: str,
        *,
        lines: bool = True,
        at_ms: int | None = None,
        at: datetime | None = None,
    ) -> None:
        pkg = self.packages[pid]
        at_ms = at_ms or to_epoch_ms(at or self.clock.now())
        pkg["status"] = pkg["shipmentPackageStatus"] = status
        pkg["lastModifiedDate"] = at_ms
        pkg.setdefault("packageHistories", []).append({"createdDate": at_ms, "status": status})
        if lines:
            for line in pkg["lines"]:
                line["orderLineItemStatusName"] = status
        self.meta[pid]["status_at"] = at or self.clock.now()
        self.schedule(pid)

    def begin_poll(self) -> None:
        """A new poll (page 0 of an unfiltered getShipmentPackages): pending scenario
        cancellations of packages served by an earlier poll happen now, stamped just after
        the request before this one (the customer cancelled between the two polls)."""
        self.poll_seq += 1
        between = min(self.now_ms(), self._previous_request_ms + 1)
        for pid, meta in self.meta.items():
            served = meta.get("served_in_poll")
            if meta.get("cancel_after_fetch") and served is not None and served < self.poll_seq:
                meta["cancel_after_fetch"] = False
                if self.packages[pid]["status"] in ("Awaiting", "Created", "Picking", "Invoiced"):
                    pkg = self.packages[pid]
                    pkg["cancelledBy"] = "customer"
                    pkg["cancelReason"] = "Müşteri vazgeçti"
                    pkg["cancelReasonCode"] = 1
                    self.set_status(pid, "Cancelled", at_ms=between)

    # -- seeding ---------------------------------------------------------------------------

    def add_package(self, pkg: dict[str, Any], *, cancel_after_fetch: bool = False) -> int:
        pid = int(package_id_of(pkg))
        pkg = dict(pkg)
        pkg["shipmentPackageId"] = pid
        pkg.pop("id", None)
        pkg.setdefault("status", "Created")
        pkg.setdefault("shipmentPackageStatus", pkg["status"])
        pkg.setdefault("lastModifiedDate", self.now_ms())
        pkg.setdefault("invoiceLink", None)
        self.packages[pid] = pkg
        tracking = str(pkg.get("cargoTrackingNumber") or "")
        ty_tracking = bool(tracking) and tracking != "0"
        self.meta[pid] = {
            "status_at": self.clock.now(),
            "ty_tracking": ty_tracking,
            "cancel_after_fetch": cancel_after_fetch,
        }
        if ty_tracking:
            self.by_ty_tracking[tracking] = pid
        for line in pkg.get("lines", []):
            self._ensure_product(line)
        self.schedule(pid)
        return pid

    def _ensure_product(self, line: dict[str, Any]) -> None:
        barcode = line.get("barcode")
        if barcode and barcode not in self.products:
            products_api.add_product(
                self,
                barcode=barcode,
                stock_code=line.get("stockCode") or line.get("merchantSku") or barcode,
                title=line.get("productName") or barcode,
                sale_price=line.get("lineGrossAmount") or line.get("amount") or 100.0,
                vat_rate=line.get("vatRate") or line.get("vatBaseAmount") or 20,
                quantity=25,
            )

    def seed_packages(self, packages: Iterable[dict[str, Any]]) -> list[int]:
        """Seed packages given in Trendyol's own JSON (old or new field names)."""
        return [self.add_package(pkg) for pkg in packages]

    def load_file(self, path: str | Path, *, rebase: bool = True) -> list[int]:
        """Seed from a JSON file: a getShipmentPackages page envelope or a list of packages.

        ``rebase`` (default) shifts every date in the file by one offset so the newest
        ``lastModifiedDate`` is the sandbox's now: a file captured months ago still lands
        inside the importer's window (Trendyol keeps three months). ``rebase=False`` keeps
        the file's dates as they are.
        """
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        packages = data["content"] if isinstance(data, dict) else data
        if rebase and packages:
            newest = max(int(p.get("lastModifiedDate") or 0) for p in packages)
            if newest:
                packages = [shift_dates(p, self.now_ms() - newest) for p in packages]
        return self.seed_packages(packages)

    def seed_orders(self, orders: Iterable[Order], cancelled: Iterable[str] = ()) -> list[int]:
        cancelled = set(cancelled)
        pids = []
        for order in orders:
            pid = int(order.package_id) if order.package_id.isdigit() else self.new_id()
            self.scenario_ids[order.package_id] = pid
            line_ids = [
                int(x.line_id) if x.line_id.isdigit() else self.new_id() for x in order.lines
            ]
            pkg = order_to_package(
                order,
                package_id=pid,
                line_ids=line_ids,
                seller_id=self.seller_id,
                rng=self.random,
                now=self.clock.now(),
            )
            pids.append(self.add_package(pkg, cancel_after_fetch=order.package_id in cancelled))
        return pids

    def pay_out(self, package_id: int, payment_order_id: int, **kw: Any) -> list[dict[str, Any]]:
        """Trendyol settles a package under a payment order (see ``finance_api.pay_out``)."""
        return finance_api.pay_out(self, package_id, payment_order_id, **kw)

    def seed_scenario(self, scenario: Any) -> None:  # a kervan.scenario.Scenario
        """Scenario orders become packages; ``cancelled_package_ids`` are cancelled by the
        customer on the first poll *after* the one that first served them (a poll is a
        page-0 getShipmentPackages request without status or package-id filters). Scenario products become listings."""
        self.seed_orders(scenario.orders, scenario.cancelled_package_ids)
        for card in scenario.products:
            for barcode in card.barcodes:
                products_api.add_product(
                    self,
                    barcode=barcode,
                    stock_code=card.sku,
                    title=card.name,
                    sale_price=float(card.sale_price or card.list_price or 100),
                    list_price=float(card.list_price or card.sale_price or 100),
                    vat_rate=float(card.vat_rate),
                    quantity=scenario.stock.get(card.id, 0),
                    attributes=card.attributes,
                )

    def listing_quantity(self, barcode: str) -> int | None:
        return products_api.shown_quantity(self, barcode)

    def listing_price(self, barcode: str) -> ListedPrice | None:
        return products_api.shown_price(self, barcode)

    def customer_return(
        self, package_id: int, *, reason_id: int = 401, arrived: bool = True, note: str = ""
    ) -> str:
        """The buyer returns every unit of a package; ``arrived``: the parcel is already at the
        seller (``WaitingInAction``), else it is on its way (``Created``). A package not yet
        shipped is first marked delivered. Returns the claimId."""
        pkg = self.packages[package_id]
        if pkg["status"] not in claims_api.CLAIMABLE:  # the buyer had it first
            self.deliver(package_id)
        wanted = [(line, line["quantity"], reason_id, note) for line in pkg["lines"]]
        status = "WaitingInAction" if arrived else "Created"
        return claims_api.new_claim(self, pkg, wanted, status=status)["claimId"]

    def open_customer_claim(
        self,
        package_id: int | str,
        lines: dict[int | str, int] | None = None,
        *,
        reason_id: int = 401,
        note: str = "",
    ) -> str:
        """The buyer asks on trendyol.com to return ``lines`` (lineId → units; default every
        unit) of a package the carrier shipped or delivered: a claim in ``Created``, its
        parcel on the way back. Raises ``ValueError`` for a package the buyer never received,
        units beyond the line's, or units already in a claim not cancelled. Returns the claimId; see :meth:`claim_arrives`."""
        pkg = self.packages[int(package_id)]
        if pkg["status"] not in claims_api.CLAIMABLE:
            raise ValueError(f"package {package_id} is {pkg['status']}: the buyer never had it")
        by_id = {str(line["lineId"]): line for line in pkg["lines"]}
        chosen = lines or {line_id: line["quantity"] for line_id, line in by_id.items()}
        wanted = []
        for line_id, units in chosen.items():
            line = by_id.get(str(line_id))
            if line is None or not 0 < units <= line["quantity"]:
                raise ValueError(f"package {package_id} has no {units} units of line {line_id}")
            # the units of a standing claim (the seller's createClaim too) are not claimed again
            claimed = claims_api.claimed(self, pkg["orderNumber"], line["barcode"])
            ordered = sum(x["quantity"] for x in pkg["lines"] if x["barcode"] == line["barcode"])
            if claimed + units > ordered:
                raise ValueError(f"{claimed} units of line {line_id} are already in a claim")
            wanted.append((line, units, reason_id, note))
        return claims_api.new_claim(self, pkg, wanted)["claimId"]

    def claim_arrives(self, claim_id: str) -> list[str]:
        """The claim's parcel reached the seller's warehouse: its ``Created`` items move to
        ``WaitingInAction`` (the seller may approve or reject; Trendyol accepts them 48 hours
        later otherwise). Returns the claim item ids moved."""
        return claims_api.arrive(self, claim_id)

    # -- the contract kit's claims hooks ---------------------------------------------------

    def deliver(self, package_id: str | int) -> None:
        pid = int(package_id)
        pkg = self.packages[pid]
        pkg["originShipmentDate"] = pkg.get("originShipmentDate") or self.now_ms()
        self.set_status(pid, "Delivered")

    def customer_claim(self, package_id: str, *, arrived: bool = True) -> str:
        return self.customer_return(int(package_id), arrived=arrived)

    def claim_attachments(self, claim_id: str) -> list[tuple[str, str, bytes]]:
        return [
            (f["name"], f["contentType"], f["data"]) for f in self.claim_files.get(claim_id, [])
        ]

    def seed_random(self, count: int = 12, *, awaiting: int = 0) -> list[int]:
        """``count`` generated orders: persons (some with TCKN), companies and a micro export;
        the last ``awaiting`` of them wait for payment (``Awaiting``, then ``Created``)."""
        orders = []
        for i in range(count):
            kind = "company" if i % 5 == 3 else "foreign" if i % 11 == 7 else "person"
            orders.append(random_order(self.random, i, self.clock.now(), kind=kind))
        pids = self.seed_orders(orders)
        for pid in pids[count - awaiting :] if awaiting else ():
            pkg = self.packages[pid]
            pkg["status"] = pkg["shipmentPackageStatus"] = "Awaiting"
            pkg["packageHistories"] = [{"createdDate": self.now_ms(), "status": "Awaiting"}]
            for line in pkg["lines"]:
                line["orderLineItemStatusName"] = "Awaiting"
            self.schedule(pid)
        return pids
