"""The six role contracts a connector can play.

A connector class subclasses one or more of these. Work methods are ``async``; the engine calls
them directly on connector instances (never through pluggy), one connection at a time, so one
failing connector cannot abort another. Operations a remote does not offer keep the default,
which raises :class:`~kervan.errors.UnsupportedOperationError`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .domain import (
    Address,
    Claim,
    ClaimReason,
    DespatchAdvice,
    Dimensions,
    DocumentKind,
    DocumentStatus,
    ExpenseVoucher,
    Invoice,
    Label,
    Listing,
    Order,
    Package,
    Party,
    ProductCard,
    Quote,
    StockUpdate,
    StockUpdateResult,
    TrackingEvent,
)
from .errors import UnsupportedOperationError
from .problems import RecordProblem
from .settings import ConnectorSettings


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ConnectorContext:
    """What the core hands a connector besides its settings.

    ``transport`` is set by tests and the demo to route HTTP to an in-process sandbox; ``clock``
    and ``sleep`` let tests run retries and rate limits on simulated time.
    """

    tenant_id: str
    connection_id: str
    transport: Any = None  # httpx.AsyncBaseTransport | None
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("kervan.connector"))
    user_agent: str = "Kervan"
    extra: dict[str, Any] = field(default_factory=dict)


class RemoteRef(BaseModel):
    """What a remote answered for a write: its id for the thing, and its request id if any."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    remote_id: str | None = None
    request_id: str | None = None
    already_done: bool = Field(
        default=False, description="the remote had it already (idempotent replay)"
    )


class Settlement(BaseModel):
    """One order's settlement by a marketplace: what it pays the seller for the order, when,
    under which payout, and what it kept (commission and other deductions, by name). The
    engine closes the order's payment in the seller's ERP from it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_number: str
    #: what the marketplace pays the seller for the order (after its deductions)
    amount: Decimal
    paid_on: date
    #: the payout (payment order) id: it names the payment in the ERP and makes it idempotent
    reference: str
    deductions: dict[str, Decimal] = Field(default_factory=dict)
    #: the package or shipment the settlement is for, when the marketplace says
    package_id: str | None = None


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    message: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class Connector:
    """The base of every connector class. Subclass it together with one or more role classes."""

    key: ClassVar[str]
    display_name: ClassVar[str]
    #: the role name, set by each role class ("order_source", "carrier", ...)
    role: ClassVar[str] = ""
    requires_core: ClassVar[str] = ">=0.1"
    Settings: ClassVar[type[ConnectorSettings]] = ConnectorSettings
    settings_version: ClassVar[int] = 1
    #: "module:Class" of the connector's sandbox (a kervan_sdk.sandbox.Sandbox subclass)
    sandbox: ClassVar[str | None] = None

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        self.settings = settings
        self.context = context

    def __repr__(self) -> str:
        # Never the settings: they may hold secrets even when typed as SecretStr by mistake.
        return f"<{type(self).__name__} {self.key} connection={self.context.connection_id}>"

    @classmethod
    def roles(cls) -> list[str]:
        return [role.role for role in ROLE_CLASSES if issubclass(cls, role)]

    @classmethod
    def migrate_settings(cls, old: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Bring settings saved by an older version of the connector up to ``settings_version``."""
        return old

    async def check(self) -> CheckResult:
        """A live connection test (credentials, reachability). Separate from settings validation."""
        raise UnsupportedOperationError(f"{self.key} has no connection check")

    async def aclose(self) -> None:
        """Release clients and sockets."""


def _unsupported(self: Connector, op: str) -> UnsupportedOperationError:
    return UnsupportedOperationError(f"{self.key} does not support {op}")


# ---------------------------------------------------------------------------------------------
# order source (marketplace)


class OrderSource(Connector):
    role: ClassVar[str] = "order_source"
    #: the marketplace operator's registered legal name (ticaret unvanı), with its source cited
    #: in the plugin's README. The e-Arşiv internet-sale block prints it as the payment agent
    #: (``InternetSale.payment_agent``); ``None`` when the source collects no payment itself.
    legal_name: ClassVar[str | None] = None
    #: the carriers the marketplace books under its own contracts (matched by the order's
    #: ``cargo_provider``), for the e-Arşiv internet-sale block of those orders
    marketplace_carriers: ClassVar[tuple[CarrierLegal, ...]] = ()

    def fetch_orders(
        self, since: datetime, until: datetime | None = None
    ) -> AsyncIterator[Order | RecordProblem]:
        """Yield every package changed in ``[since, until]`` as a domain :class:`Order`.

        ``until`` left out means now, on the connector's clock. The window is the engine's
        (it already re-reads an overlap before its cursor and picks the first poll's lookback):
        read exactly this range, cut only to the remote's own limits (widest range, history,
        paging). ``Order.id`` must be stable: ``f"{connection_id}:{package_id}"``. Yielding the
        same package twice is allowed (overlapping pages); the engine dedupes.

        A package that cannot be mapped is yielded as a :class:`~kervan.RecordProblem` (kind
        ``order``, the raw package, the reason, its package id if readable) and the rest of the
        page goes on: one bad record must never cost a good one. A page that cannot be read
        at all (not JSON, wrong envelope) still raises.
        """
        raise _unsupported(self, "fetch_orders")

    def map_order(self, raw: dict[str, Any]) -> Order:
        """One raw package as ``fetch_orders`` maps it; raises when it cannot be mapped.

        The engine calls it to replay a quarantined :class:`~kervan.RecordProblem` after a
        fix, so it must be the same mapping ``fetch_orders`` uses."""
        raise _unsupported(self, "map_order")

    async def accept(self, order: Order) -> RemoteRef:
        """Tell the marketplace the seller took the order (e.g. Trendyol status ``Picking``)."""
        raise _unsupported(self, "accept")

    async def mark_invoiced(self, order: Order, invoice_number: str) -> RemoteRef:
        raise _unsupported(self, "mark_invoiced")

    async def send_invoice_link(self, order: Order, invoice: Invoice, url: str) -> RemoteRef:
        raise _unsupported(self, "send_invoice_link")

    async def send_invoice_file(self, order: Order, invoice: Invoice, pdf: bytes) -> RemoteRef:
        raise _unsupported(self, "send_invoice_file")

    async def split_package(self, order: Order, groups: list[list[str]]) -> RemoteRef:
        """Split a package into groups of line ids; new packages arrive through fetch_orders."""
        raise _unsupported(self, "split_package")

    async def split_package_by_quantity(
        self, order: Order, parcels: list[dict[str, int]]
    ) -> RemoteRef:
        """Split a package into parcels of ``{line id: quantity}``, where one line's units may
        travel in several parcels; each line's quantities add up to its own. New packages
        arrive through fetch_orders."""
        raise _unsupported(self, "split_package_by_quantity")

    async def send_tracking_number(
        self, order: Order, tracking_number: str, carrier: str
    ) -> RemoteRef:
        raise _unsupported(self, "send_tracking_number")

    async def cancel_lines(self, order: Order, lines: dict[str, int], reason: str) -> RemoteRef:
        """Cancel (unsupply) quantities of lines that cannot be supplied."""
        raise _unsupported(self, "cancel_lines")

    async def fetch_label(self, order: Order) -> Label | None:
        """The marketplace-arranged cargo label, when the marketplace books the carrier.

        For orders that arrived with ``cargo_tracking_number`` set (the marketplace booked its
        contracted carrier) the engine books no carrier of its own, follows
        ``Order.carrier_status`` from later polls, and calls this when the label is first
        printed. ``None``: no label to fetch.

        Return the label as the marketplace gives it (its ZPL): do not draw a PDF here. The
        core asks :meth:`label_pdf` for one the first time the label is printed as PDF."""
        raise _unsupported(self, "fetch_label")

    def label_pdf(self, label: Label) -> bytes:
        """Draw a PDF of ``label``, kept as :meth:`fetch_label` returned it (its ZPL, and
        ``render_data`` when this connector set them).

        The core calls it once per label, the first time the label is printed as PDF, from a
        worker thread (keep it free of shared mutable state), and keeps what it returns.
        Raise :class:`~kervan.errors.InvalidInputError` when the label cannot be drawn; left
        unsupported, the label prints as ZPL only."""
        raise _unsupported(self, "label_pdf")

    def fetch_claims(self, since: datetime) -> AsyncIterator[Claim | RecordProblem]:
        """Claims (returns) since ``since``; one that cannot be mapped comes as a
        :class:`~kervan.RecordProblem` of kind ``claim``, as in ``fetch_orders``."""
        raise _unsupported(self, "fetch_claims")

    def map_claim(self, raw: dict[str, Any]) -> Claim:
        """One raw claim as ``fetch_claims`` maps it (to replay a quarantined one)."""
        raise _unsupported(self, "map_claim")

    async def approve_claim(self, claim: Claim, line_ids: list[str]) -> RemoteRef:
        raise _unsupported(self, "approve_claim")

    async def reject_claim(
        self,
        claim: Claim,
        line_ids: list[str],
        reason_code: str,
        description: str,
        files: list[ClaimFile] | None = None,
    ) -> RemoteRef:
        """Reject (open an issue on) claim lines with the marketplace's reason code, a
        description and evidence files: the clerk's photos and the packing evidence Kervan
        holds for the order. A reason that needs a file and has none is refused before any
        call (:class:`~kervan.errors.InvalidInputError`)."""
        raise _unsupported(self, "reject_claim")

    async def create_claim(
        self, order: Order, lines: dict[str, int], reason_code: str, note: str | None = None
    ) -> RemoteRef:
        """Open a claim for a return that arrived with none (``lines``: order line id →
        units). Idempotent: a claim already open for those lines is found, not duplicated;
        ``RemoteRef.remote_id`` is the marketplace's claim id, the one ``fetch_claims`` later
        reports (so the engine matches it rather than opening a second return)."""
        raise _unsupported(self, "create_claim")

    async def claim_reasons(self) -> list[ClaimReason]:
        """The marketplace's reasons for rejecting a claim (``code`` is what
        :meth:`reject_claim` takes)."""
        raise _unsupported(self, "claim_reasons")

    async def fetch_settlements(self, since: datetime, until: datetime) -> list[Settlement]:
        """The orders the marketplace settled (paid out) between ``since`` and ``until``, one
        record per order and payout, commission and other deductions by name. Only orders
        whose payout is fixed (a payment order exists) are settled; a connector pages and
        splits the window within the marketplace's limits."""
        raise _unsupported(self, "fetch_settlements")

    def fetch_listings(self) -> AsyncIterator[Listing | RecordProblem]:
        """Every product listing; a remote product that cannot be mapped comes as a
        :class:`~kervan.RecordProblem` of kind ``listing``, as in ``fetch_orders``."""
        raise _unsupported(self, "fetch_listings")

    def map_listings(self, raw: dict[str, Any]) -> list[Listing]:
        """The listings one raw remote product maps to, as ``fetch_listings`` maps it (one
        product may carry several variants); to replay a quarantined one."""
        raise _unsupported(self, "map_listings")

    def verify_webhook(self, headers: Mapping[str, str]) -> bool:
        """Whether a webhook call carries the credentials this connection expects."""
        raise _unsupported(self, "webhooks")

    def parse_webhook(self, body: bytes) -> list[Order | RecordProblem]:
        """The orders a (verified) webhook payload reports, as ``fetch_orders`` would yield them.

        A package in it that cannot be mapped comes back as a :class:`~kervan.RecordProblem`
        in its place; a body that is not a payload at all (not JSON, no package) raises."""
        raise _unsupported(self, "webhooks")

    async def push_stock(self, updates: list[StockUpdate]) -> list[StockUpdateResult]:
        """Push stock and prices; batch within the remote's limits; report per item."""
        raise _unsupported(self, "push_stock")


# ---------------------------------------------------------------------------------------------
# tax classifier


class Alias(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: str = Field(default="PK", description="PK (post box) or GB (sender unit)")
    created_at: datetime | None = None
    #: the registry (or the integrator) marks this alias as the taxpayer's default one
    default: bool = False


class Registration(BaseModel):
    """The answer to 'is this tax id a registered e-Fatura user?', with the evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tax_id: str
    registered: bool
    aliases: list[Alias] = Field(default_factory=list)
    title: str | None = None
    checked_at: datetime
    source: str

    @property
    def receiver_alias(self) -> str | None:
        pk = [a for a in self.aliases if a.type == "PK"]
        return pk[0].name if pk else None


class TaxClassifier(Connector):
    role: ClassVar[str] = "tax_classifier"

    async def lookup(self, tax_id: str) -> Registration:
        """Ask the registry, every time. An outage must raise (RemoteUnavailableError), never
        answer 'no'. Keep no answer: which answers may be reused (a positive one for a while, a
        negative one never) is the engine's rule (``engine/registrations.py``)."""
        raise _unsupported(self, "lookup")


# ---------------------------------------------------------------------------------------------
# document issuer


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    uuid: str
    status: DocumentStatus
    remote_id: str | None = None
    request_id: str | None = None
    detail: str | None = None
    already_existed: bool = False
    #: the receiver's application response to a TICARIFATURA, once it has answered
    answer: Literal["KABUL", "RED"] | None = None


class DocumentIssuer(Connector):
    role: ClassVar[str] = "document_issuer"

    def build_xml(self, document: Invoice | DespatchAdvice) -> bytes:
        """The UBL-TR XML for a document, validated; raise InvalidInputError naming the rule.

        The engine calls it from a worker thread (validation takes milliseconds): keep it
        free of shared mutable state, or guard that state with a lock."""
        raise _unsupported(self, "build_xml")

    def render_pdf(self, document: Invoice | DespatchAdvice | ExpenseVoucher) -> bytes:
        """A local PDF rendering (used before the integrator has one, and for vouchers)."""
        raise _unsupported(self, "render_pdf")

    async def submit(self, document: Invoice | DespatchAdvice, xml: bytes) -> Submission:
        """Submit; idempotent by UUID (look up before sending again after a timeout)."""
        raise _unsupported(self, "submit")

    async def status(self, kind: DocumentKind, uuid: str) -> Submission:
        raise _unsupported(self, "status")

    async def cancel(self, kind: DocumentKind, uuid: str, reason: str) -> Submission:
        raise _unsupported(self, "cancel")

    async def fetch_pdf(self, kind: DocumentKind, uuid: str) -> bytes:
        raise _unsupported(self, "fetch_pdf")

    async def fetch_html(self, kind: DocumentKind, uuid: str) -> str:
        raise _unsupported(self, "fetch_html")

    async def document_url(self, kind: DocumentKind, uuid: str) -> str | None:
        """A public link to the document, if the integrator offers one."""
        return None

    async def company_info(self) -> dict[str, Any]:
        """The tenant's own aliases and document series as the integrator knows them."""
        raise _unsupported(self, "company_info")

    async def incoming_returns(self, since: date) -> list[IncomingReturn]:
        """Return (IADE) invoices the tenant received from its buyers, issued on or after
        ``since``, each with the numbers of the sales invoices it refers to (its
        ``BillingReference``): how a cancelled e-Fatura's return document is found."""
        raise _unsupported(self, "incoming_returns")


class ClaimFile(BaseModel):
    """A file sent with a claim rejection: a clerk's photo or Kervan's packing evidence."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, ser_json_bytes="base64", val_json_bytes="base64"
    )

    name: str = Field(min_length=1, max_length=200)
    data: bytes = Field(repr=False)
    content_type: str = "image/jpeg"


class IncomingReturn(BaseModel):
    """A buyer's IADE invoice, as received by the tenant's e-Fatura post box."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uuid: str
    number: str
    issued_on: date
    #: the VKN/TCKN of the party that issued it (our buyer)
    sender_tax_id: str
    #: the numbers of our invoices it returns (``cac:BillingReference``)
    refers_to: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# carrier


class Booking(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cargo_key: str
    tracking_number: str
    label: Label
    cost: Decimal | None = None
    tracking_url: str | None = None
    remote_id: str | None = None
    request_id: str | None = None
    already_existed: bool = False


class ReturnRequest(BaseModel):
    """What a carrier needs to issue a return code: who sends the goods back, to where."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Kervan's id for this return (the claim id): the idempotency key
    reference: str = Field(min_length=1, max_length=64)
    order_number: str
    #: the buyer who sends the parcel back
    sender: Party
    sender_address: Address
    #: the seller's return warehouse
    receiver: Party
    receiver_address: Address
    parcels: int = Field(default=1, ge=1)
    desi: Decimal = Field(default=Decimal(1), gt=0)
    note: str | None = Field(default=None, max_length=200)


class ReturnBooking(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: what the buyer tells the carrier's branch (Yurtiçi's return code, MNG's order no)
    code: str
    reference: str
    #: the carrier's own key or tracking number for the inbound parcel, once known
    tracking_number: str | None = None
    #: a link to the return label or code the buyer shows at the branch, when the carrier gives
    #: one (MNG's ``returnOrderLabelURL``; Yurtiçi has none: the buyer only says the code)
    label_url: str | None = None
    valid_until: date | None = None
    remote_id: str | None = None
    request_id: str | None = None
    already_existed: bool = False


def desi_of(dimensions: Dimensions, step: Decimal = Decimal(1)) -> Decimal:
    """L×W×H/3000 rounded up to ``step`` (carriers round differently: pass theirs)."""
    raw = dimensions.length_cm * dimensions.width_cm * dimensions.height_cm / Decimal(3000)
    return (raw / step).to_integral_value(rounding=ROUND_CEILING) * step


class CarrierLegal(BaseModel):
    """The carrier company as an e-Arşiv internet-sale invoice names it (``CarrierParty``).

    GİB wants the carrier's VKN and title on every internet sale shipped by a carrier; each
    figure is declared with the public ``source`` it was taken from (cite it in the plugin's
    README too). ``aliases`` are other names a marketplace gives the same company (Trendyol's
    ``cargoProviderName``, e.g. "DHL eCommerce Marketplace" for MNG): matched ignoring case,
    Turkish dotted/dotless i and the words "kargo"/"marketplace" (see
    :func:`kervan.invoicing.carrier_for`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, description="registered title (ticaret unvanı)")
    tax_id: str = Field(pattern=r"^[0-9]{10}$", description="VKN")
    city: str = Field(min_length=1, max_length=100, description="il of the registered office")
    district: str | None = Field(default=None, max_length=100, description="ilçe, if known")
    source: str = Field(min_length=1, description="where the title and VKN were taken from")
    aliases: tuple[str, ...] = ()


class Carrier(Connector):
    role: ClassVar[str] = "carrier"
    #: how this carrier rounds desi up (1 = whole desi, 0.5 = half desi)
    desi_step: ClassVar[Decimal] = Decimal(1)
    #: the company's legal identity for e-Arşiv internet sales (``None``: not declared, and
    #: an e-Arşiv order shipped with it is held until one is known)
    legal_party: ClassVar[CarrierLegal | None] = None

    def billable_desi(self, parcels: list[Dimensions]) -> Decimal:
        """Sum of parcel desi, where each parcel's weight takes over when heavier."""
        total = Decimal(0)
        for parcel in parcels:
            total += max(desi_of(parcel, self.desi_step), parcel.weight_kg)
        return total

    async def quote(self, package: Package) -> Quote:
        raise _unsupported(self, "quote")

    async def create_shipment(self, package: Package) -> Booking:
        """Book; idempotent by ``package.cargo_key`` (the same key gives the same shipment).

        ``Booking.label`` is the label as the carrier gives it (its ZPL, or its own PDF). A
        connector that renders the label itself returns the ZPL and the data it draws from
        (``Label.render_data``), not a PDF: the core asks :meth:`label_pdf` for the PDF the
        first time the label is printed as one, and keeps it."""
        raise _unsupported(self, "create_shipment")

    def label_pdf(self, label: Label) -> bytes:
        """Draw a PDF of ``label``, kept as :meth:`create_shipment` returned it (its ZPL, and
        ``render_data`` when this connector set them).

        The core calls it once per label, the first time the label is printed as PDF, from a
        worker thread (keep it free of shared mutable state), and keeps what it returns.
        Raise :class:`~kervan.errors.InvalidInputError` when the label cannot be drawn; left
        unsupported, the label prints as ZPL only."""
        raise _unsupported(self, "label_pdf")

    async def track(self, cargo_keys: list[str]) -> dict[str, list[TrackingEvent]]:
        raise _unsupported(self, "track")

    async def cancel_shipment(self, cargo_key: str) -> RemoteRef:
        raise _unsupported(self, "cancel_shipment")

    async def book_return(self, request: ReturnRequest) -> ReturnBooking:
        """A return code (or return order) the buyer gives the carrier to send goods back
        without paying. Idempotent by ``request.reference``: the same reference gives the same
        code."""
        raise _unsupported(self, "book_return")

    async def cancel_return(self, booking: ReturnBooking) -> RemoteRef:
        """Withdraw a return code not yet used (the claim was settled another way)."""
        raise _unsupported(self, "cancel_return")

    async def track_returns(self, bookings: list[ReturnBooking]) -> dict[str, list[TrackingEvent]]:
        """Movements of inbound return parcels, by ``ReturnBooking.code``: what the returns
        desk sees coming. A code the buyer has not used yet has no events."""
        raise _unsupported(self, "track_returns")


# ---------------------------------------------------------------------------------------------
# ERP sink


class ErpSink(Connector):
    """An ERP the engine posts sales to, and pulls product cards from.

    Every write is idempotent per document: posting the same invoice, payment closing, return,
    reversal or voucher twice (a duplicate event, a lost answer, a crash between the post and
    the commit) leaves one document in the ERP and answers with the same ``remote_id`` or
    ``already_done=True``. How a connector finds its earlier posting is its own (a reference
    field of the ERP holding our number or uuid, looked up before posting); its README says
    which field. An ERP may post an invoice as an order (a retail sales order that the ERP
    invoices itself) when its settings say so.
    """

    role: ClassVar[str] = "erp_sink"

    async def upsert_customer(self, party: Party) -> RemoteRef:
        """Find or create the customer card for ``party`` (keyed by its tax id); the card's
        code is ``remote_id``. A connector whose tenant does not let it create cards answers
        with the code sales are posted to (a marketplace-level customer) and creates nothing."""
        raise _unsupported(self, "upsert_customer")

    async def post_invoice(self, invoice: Invoice) -> RemoteRef:
        """Post the sales invoice (same number, lines and amounts as the e-document).
        Idempotent per invoice uuid."""
        raise _unsupported(self, "post_invoice")

    async def close_payment(
        self,
        invoice: Invoice,
        amount: Decimal,
        paid_on: date,
        reference: str,
        deductions: Mapping[str, Decimal] | None = None,
    ) -> RemoteRef:
        """Record that ``amount`` was paid for ``invoice`` on ``paid_on`` (the marketplace's
        settlement). ``reference`` names the payment (the settlement or payout id) and makes
        it idempotent. ``deductions`` (commission, cargo share, ... by name) are recorded where
        the ERP supports them and ignored where it does not (the README says which)."""
        raise _unsupported(self, "close_payment")

    async def reverse(self, invoice: Invoice, reason: str) -> RemoteRef:
        """Remove or reverse the posted ``invoice`` and any payment closed against it (a
        cancelled order, once its fiscal document is really cancelled). Idempotent: reversing
        twice leaves one reversal; reversing what was never posted answers ``already_done``."""
        raise _unsupported(self, "reverse")

    async def post_return(
        self,
        invoice: Invoice,
        quantities: Mapping[int, Decimal],
        reference: str,
        reason: str = "",
    ) -> RemoteRef:
        """Post a return against the posted sales ``invoice``: ``quantities`` by invoice line
        id (``InvoiceLine.id``). ``reference`` names the return (the claim id) and makes it
        idempotent; a different reference is a second, separate return."""
        raise _unsupported(self, "post_return")

    async def post_expense_voucher(self, voucher: ExpenseVoucher) -> RemoteRef:
        """Post a gider pusulası (goods bought back from an individual). Idempotent per
        voucher number."""
        raise _unsupported(self, "post_expense_voucher")

    def pull_products(self) -> AsyncIterator[ProductCard]:
        """Every product card the ERP holds, with its price (``erp_price``) and stock
        (``erp_on_hand``) when the ERP gives them. ``sku`` is the ERP's stock code exactly (a
        changed code is a new card); a product with several barcodes is one card listing them
        all. An ERP's active/passive status is never a card's: a passive product is yielded
        like any other. ``id`` may be empty (the core derives it from ``sku``)."""
        raise _unsupported(self, "pull_products")


# ---------------------------------------------------------------------------------------------
# storefront


class Storefront(OrderSource):
    role: ClassVar[str] = "storefront"

    async def publish_products(self, cards: list[ProductCard]) -> list[RemoteRef]:
        raise _unsupported(self, "publish_products")


ROLE_CLASSES: tuple[type[Connector], ...] = (
    OrderSource,
    TaxClassifier,
    DocumentIssuer,
    Carrier,
    ErpSink,
    Storefront,
)
ROLE_NAMES = tuple(r.role for r in ROLE_CLASSES)
