"""``Sandbox``: the base of every stand-in remote a plugin ships."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from kervan.scenario import Scenario

from ..http.ratelimit import RateLimit, TokenBucket
from .clock import SimClock
from .faults import FaultInjector
from .middleware import FaultMiddleware, RequestRecord, TimedRequest
from .server import BackgroundServer
from .transport import SandboxTransport


class ListedPrice(NamedTuple):
    """The prices a channel shows for one listing (``None``: it shows none)."""

    sale_price: Decimal | None
    list_price: Decimal | None


class ErpProduct(NamedTuple):
    """A product as an ERP sandbox holds it (the ERP suite seeds these, see
    :meth:`Sandbox.erp_seed_products`): its stock code exactly, name, every barcode, sale price,
    on-hand quantity per warehouse code, and whether the ERP has it active."""

    stock_code: str
    name: str
    barcodes: tuple[str, ...]
    price: Decimal | None = None
    on_hand: dict[str, int] | None = None
    active: bool = True


class Sandbox:
    """A local stand-in for a remote API: a FastAPI app with seeded state and injected faults.

    Subclass it, set ``name``, keep the remote's state on ``self`` and add its endpoints in
    :meth:`routes`; implement :meth:`seed_scenario` so ``kervan demo`` and the contract kit can
    fill it. Use ``self.clock.now()`` for every timestamp and ``self.random`` for every random
    choice, so a run is reproducible from ``seed``.

    In-process (tests, demo): ``httpx.AsyncClient(transport=sandbox.transport())``. On
    loopback: ``url = sandbox.serve()`` … ``sandbox.stop()``.
    """

    name: ClassVar[str] = "sandbox"

    def __init__(self, *, clock: SimClock | None = None, seed: int = 0) -> None:
        self.clock = clock or SimClock()
        self.seed = seed
        self.random = random.Random(seed)
        self.faults = FaultInjector()
        #: every request answered: (method, path, status)
        self.requests: list[RequestRecord] = []
        #: the same requests with the sandbox-clock time each arrived
        self.timeline: list[TimedRequest] = []
        #: per list path, how far pages are shifted by overlap/duplicate faults (see paginate)
        self.page_shifts: dict[str, int] = {}
        self._throttles: dict[str, TokenBucket] = {}
        self.app = FastAPI(title=f"{self.name} sandbox", openapi_url=None, docs_url=None)
        self.routes(self.app)
        self.asgi = FaultMiddleware(self.app, self)
        self._server: BackgroundServer | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} seed={self.seed}>"

    def routes(self, app: FastAPI) -> None:
        """Add the remote's endpoints to ``app`` (override)."""

    def seed_scenario(self, scenario: Scenario) -> None:
        """Fill the remote's state from a demo/test scenario (override; default: nothing)."""

    def demo_settings(self, base_url: str) -> dict[str, Any]:
        """Connector settings that work against this sandbox served at ``base_url``.

        ``kervan demo`` creates its connections with these, and ``connector_suite`` uses them
        when not given ``settings``. Override it (default: not known).
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not say which settings work against it: "
            "override demo_settings(base_url)"
        )

    def listing_quantity(self, barcode: str) -> int | None:
        """The quantity the remote shows on sale for ``barcode`` now; ``None``: no such listing.

        The contract kit reads stock pushes back through it (a sandbox of a channel that takes
        ``push_stock`` overrides it; default: not known).
        """
        raise NotImplementedError(
            f"{type(self).__name__} cannot say what it shows for a listing: override "
            "listing_quantity(barcode) (and listing_price(barcode)) so pushes can be read back"
        )

    def listing_price(self, barcode: str) -> ListedPrice | None:
        """The sale and list price the remote shows for ``barcode`` now; ``None``: no such
        listing. The contract kit reads price pushes back through it (override it as
        :meth:`listing_quantity`)."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot say what price it shows for a listing: override "
            "listing_price(barcode) so price pushes can be read back"
        )

    def erp_seed_products(self, products: list[ErpProduct]) -> None:
        """Make ``products`` the ERP's whole product list (replacing what it held). The ERP
        suite seeds through it before it posts documents and pulls products (a sandbox of an
        ERP overrides it; default: not known)."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot be given products: override erp_seed_products(products)"
        )

    def erp_postings(self, reference: str) -> dict[str, int]:
        """How many live documents of each kind the ERP holds for our ``reference`` (an
        invoice's uuid, a return's or payment's reference, a voucher's number, a party's tax
        id). Kinds: ``customer``, ``invoice`` (an invoice or the order it was posted as),
        ``payment``, ``return``, ``expense_voucher``. A reversed or deleted document is not
        live. The ERP suite checks exactly-once posting through it (override it as
        :meth:`erp_seed_products`)."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot count its postings: override erp_postings(reference)"
        )

    def hand_in_return(self, code: str) -> None:
        """The buyer hands the parcel of return ``code`` (a ``ReturnBooking.code``) in at a
        branch now: from then on it travels on the sandbox clock and ends delivered to the
        seller. The returns suite follows inbound parcels through it (a carrier sandbox that
        takes ``book_return`` overrides it; default: not known)."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot simulate a buyer handing a return in: override "
            "hand_in_return(code)"
        )

    # -- claims (the contract kit's claims suite drives returns through these) ------------------

    def deliver(self, package_id: str) -> None:
        """The carrier delivered package ``package_id`` (an order's ``package_id``): the buyer
        has the goods a return sends back. Override in a sandbox of a channel with claims."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot deliver a package: override deliver(package_id) so "
            "the claims suite can return goods the buyer received"
        )

    def customer_claim(self, package_id: str, *, arrived: bool = True) -> str:
        """The buyer asks to return every unit of delivered package ``package_id``; with
        ``arrived`` the parcel has already reached the seller (the claim awaits the seller's
        answer). Returns the channel's claim id (``Claim.external_id``)."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot open a buyer's claim: override "
            "customer_claim(package_id, arrived=...) for the claims suite"
        )

    def claim_attachments(self, claim_id: str) -> list[tuple[str, str, bytes]]:
        """The files the channel received with rejections of claim ``claim_id``, as
        ``(file name, content type, bytes)`` in the order they came."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot show the files sent with a claim rejection: "
            "override claim_attachments(claim_id) for the claims suite"
        )

    def throttle(self, key: str, limit: RateLimit) -> JSONResponse | None:
        """Enforce the remote's documented rate limit for ``key`` on the sandbox clock.

        Returns ``None`` when the call is allowed, else the 429 (with ``Retry-After``) to
        answer: ``if (busy := self.throttle("GET /orders", RateLimit(50, 10))): return busy``.
        """
        bucket = self._throttles.get(key)
        if bucket is None or bucket.limit != limit:
            bucket = self._throttles[key] = TokenBucket(
                limit, self.clock.now, self.clock.sleep, strict=False
            )
        wait = bucket.try_acquire()
        if wait <= 0:
            return None
        return JSONResponse(
            {"message": f"rate limit exceeded: {limit.requests} per {limit.per_seconds:g}s"},
            status_code=429,
            headers={"Retry-After": str(max(1, math.ceil(round(wait, 3))))},
        )

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport into this sandbox, in-process, with faults on simulated time."""
        return SandboxTransport(self)

    def client(self, base_url: str = "http://sandbox.test") -> httpx.AsyncClient:
        """A plain ``httpx.AsyncClient`` on :meth:`transport` (handy in sandbox tests)."""
        return httpx.AsyncClient(base_url=base_url, transport=self.transport())

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: any free port) in a background thread; return the URL."""
        if self._server is not None:
            raise RuntimeError(f"{self.name} sandbox is already serving")
        self._server = BackgroundServer(self.asgi, host, port)
        try:
            return self._server.start()
        except Exception:
            self._server = None
            raise

    def stop(self) -> None:
        """Stop a server started by :meth:`serve` (no-op if none)."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched ``method`` and an fnmatch ``path`` pattern."""
        from fnmatch import fnmatchcase

        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or fnmatchcase(r.path, path))
        )
