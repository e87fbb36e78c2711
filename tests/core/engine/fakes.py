"""In-memory connectors for engine tests that must not depend on any plugin.

They behave like well-mannered remotes: idempotent by key, with call counters so tests can
assert how many times each remote side effect really happened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from kervan import (
    Alias,
    Booking,
    Carrier,
    CarrierLegal,
    ConnectorContext,
    ConnectorSettings,
    DocumentIssuer,
    IncomingReturn,
    OrderSource,
    Registration,
    RemoteRef,
    Submission,
    TaxClassifier,
)
from kervan.domain import (
    Address,
    DocumentKind,
    DocumentStatus,
    Label,
    Order,
    OrderLine,
    Party,
    PartyKind,
    Quote,
    Tenant,
    TenantSettings,
    TrackingEvent,
    TrackingStatus,
)
from kervan.errors import InvalidInputError, RemoteUnavailableError

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Kervan Test Ltd. Şti.",
    tax_office="Kadıköy",
    address=Address(lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul", postal_code="34710"),
)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    """The remote side: what each fake remote holds and how often it was called."""

    packages: dict[str, Order] = field(default_factory=dict)
    registered: dict[str, str] = field(default_factory=dict)
    lookup_down: bool = False
    submitted: dict[str, str] = field(default_factory=dict)  # uuid → number
    cancelled_docs: set[str] = field(default_factory=set)
    shipments: dict[str, str] = field(default_factory=dict)  # cargo key → tracking number
    picked_up: set[str] = field(default_factory=set)
    cancelled_shipments: set[str] = field(default_factory=set)
    calls: Counter = field(default_factory=Counter)
    deliveries: int = 1
    bad_xml: bool = False
    #: the integrator rejects every submitted document with this detail
    reject_submit: str | None = None
    #: buyers with several aliases: tax id → aliases (instead of ``registered``)
    aliases: dict[str, list[Alias]] = field(default_factory=dict)
    #: what GİB later says of a document (uuid → status; default ACCEPTED)
    verdicts: dict[str, DocumentStatus] = field(default_factory=dict)
    #: the receiver's answer to a TICARIFATURA, by buyer tax id
    answers: dict[str, str] = field(default_factory=dict)
    #: uuid → buyer tax id of every document submitted
    buyers: dict[str, str] = field(default_factory=dict)
    #: return invoices the tenant's post box received from buyers
    incoming: list[IncomingReturn] = field(default_factory=list)


class FakeSource(OrderSource):
    key = "fake-source"
    display_name = "Fake marketplace"

    def __init__(
        self, settings: ConnectorSettings, context: ConnectorContext, world: World
    ) -> None:
        super().__init__(settings, context)
        self.world = world

    async def fetch_orders(
        self, since: datetime, until: datetime | None = None
    ) -> AsyncIterator[Order]:
        for _ in range(self.world.deliveries):
            for order in list(self.world.packages.values()):
                yield order.model_copy(deep=True)

    async def accept(self, order: Order) -> RemoteRef:
        self.world.calls["accept", order.package_id] += 1
        return RemoteRef(request_id="req-accept")

    async def send_invoice_file(self, order, invoice, pdf) -> RemoteRef:
        self.world.calls["invoice_file", order.package_id] += 1
        return RemoteRef()

    async def send_tracking_number(self, order, tracking_number, carrier) -> RemoteRef:
        self.world.calls["tracking", order.package_id] += 1
        return RemoteRef()


class FakeEInvoice(TaxClassifier, DocumentIssuer):
    key = "fake-einvoice"
    display_name = "Fake integrator"

    def __init__(
        self, settings: ConnectorSettings, context: ConnectorContext, world: World
    ) -> None:
        super().__init__(settings, context)
        self.world = world

    async def lookup(self, tax_id: str) -> Registration:
        self.world.calls["lookup"] += 1
        if self.world.lookup_down:
            raise RemoteUnavailableError("registry down", remote="fake")
        alias = self.world.registered.get(tax_id)
        several = self.world.aliases.get(tax_id)
        return Registration(
            tax_id=tax_id,
            registered=alias is not None or bool(several),
            aliases=several or ([Alias(name=alias)] if alias else []),
            checked_at=self.context.clock(),
            source="fake",
        )

    def build_xml(self, document) -> bytes:
        if self.world.bad_xml:
            raise InvalidInputError("sch-InvoiceIDCheck-1 at /Invoice/cbc:ID: bad seller data")
        return f"<Invoice><ID>{document.number}</ID></Invoice>".encode()

    async def submit(self, document, xml: bytes) -> Submission:
        self.world.calls["submit"] += 1
        existed = document.uuid in self.world.submitted
        self.world.submitted[document.uuid] = document.number
        self.world.buyers[document.uuid] = document.buyer.tax_id
        if self.world.reject_submit:
            return Submission(
                uuid=document.uuid,
                status=DocumentStatus.REJECTED,
                detail=self.world.reject_submit,
                already_existed=existed,
            )
        return Submission(uuid=document.uuid, status=DocumentStatus.QUEUED, already_existed=existed)

    async def status(self, kind: DocumentKind, uuid: str) -> Submission:
        status = self.world.verdicts.get(uuid, DocumentStatus.ACCEPTED)
        answer = self.world.answers.get(self.world.buyers.get(uuid, ""))
        return Submission(
            uuid=uuid,
            status=status,
            detail="GİB: alıcı VKN hatalı" if status is DocumentStatus.REJECTED else None,
            answer=answer if status is DocumentStatus.ACCEPTED else None,
        )

    async def cancel(self, kind: DocumentKind, uuid: str, reason: str) -> Submission:
        self.world.cancelled_docs.add(uuid)
        return Submission(uuid=uuid, status=DocumentStatus.CANCELLED)

    async def fetch_pdf(self, kind: DocumentKind, uuid: str) -> bytes:
        return b"%PDF-1.4 fake"

    async def incoming_returns(self, since) -> list[IncomingReturn]:
        self.world.calls["incoming_returns"] += 1
        return [r for r in self.world.incoming if r.issued_on >= since]


class FakeCarrier(Carrier):
    key = "fake-carrier"
    display_name = "Fake carrier"
    legal_party = CarrierLegal(
        name="Sahte Kargo A.Ş.", tax_id="1234567890", city="İstanbul", source="test fixture"
    )

    def __init__(
        self, settings: ConnectorSettings, context: ConnectorContext, world: World
    ) -> None:
        super().__init__(settings, context)
        self.world = world

    async def quote(self, package) -> Quote:
        return Quote(carrier=self.key, price=Decimal("49.90"), billable_desi=package.desi)

    async def create_shipment(self, package) -> Booking:
        self.world.calls["book"] += 1
        existed = package.cargo_key in self.world.shipments
        tracking = self.world.shipments.setdefault(
            package.cargo_key, f"725{len(self.world.shipments):07d}"
        )
        return Booking(
            cargo_key=package.cargo_key,
            tracking_number=tracking,
            label=Label(zpl="^XA^XZ", pdf=b"%PDF"),
            already_existed=existed,
        )

    async def track(self, cargo_keys: list[str]) -> dict[str, list[TrackingEvent]]:
        return {
            k: [TrackingEvent(at=T0, status=TrackingStatus.PICKED_UP)]
            for k in cargo_keys
            if k in self.world.picked_up
        }

    async def cancel_shipment(self, cargo_key: str) -> RemoteRef:
        self.world.cancelled_shipments.add(cargo_key)
        return RemoteRef()


class Provider:
    def __init__(self, world: World, clock: Clock) -> None:
        ctx = lambda cid: ConnectorContext(tenant_id="t1", connection_id=cid, clock=clock)  # noqa: E731
        self.conns = {
            "ty": FakeSource(ConnectorSettings(), ctx("ty"), world),
            "einv": FakeEInvoice(ConnectorSettings(), ctx("einv"), world),
            "cargo": FakeCarrier(ConnectorSettings(), ctx("cargo"), world),
        }

    def get(self, tenant_id: str, connection_id: str):
        return self.conns[connection_id]


class Tenants:
    def __init__(self, **settings) -> None:
        self.tenant = Tenant(
            id="t1",
            name="Test seller",
            seller=SELLER,
            settings=TenantSettings(
                default_issuer_connection="einv",
                default_classifier_connection="einv",
                default_carrier_connection="cargo",
                **settings,
            ),
        )

    def get(self, tenant_id: str) -> Tenant:
        return self.tenant


def address(country: str = "TR") -> Address:
    return Address(
        lines=["Bağdat Cd. 5 D:3"],
        district="Kadıköy",
        city="İstanbul",
        postal_code="34710",
        country=country,
    )


def person(tax_id: str = "17291716060") -> Party:
    return Party(
        kind=PartyKind.PERSON,
        tax_id=tax_id,
        first_name="Ayşe",
        last_name="Yılmaz",
        address=address(),
    )


def company(tax_id: str = "3297552117") -> Party:
    return Party(
        kind=PartyKind.COMPANY,
        tax_id=tax_id,
        company_name="Örnek Gıda A.Ş.",
        tax_office="Beşiktaş",
        address=address(),
    )


def order(
    package_id: str,
    buyer: Party | None = None,
    *,
    country: str = "TR",
    lines: list[OrderLine] | None = None,
) -> Order:
    return Order(
        id=f"ty:{package_id}",
        tenant_id="t1",
        connection_id="ty",
        source="fake-source",
        order_number=f"10{package_id}",
        package_id=package_id,
        lines=lines
        or [
            OrderLine(
                line_id=f"{package_id}-1",
                barcode="8690000000011",
                sku="TSHIRT-M",
                name="Pamuklu Tişört",
                quantity=2,
                unit_price="299.90",
                vat_rate=10,
                discount="20.00",
            )
        ],
        buyer=buyer or person(),
        shipping_address=address(country),
        invoice_address=address(country),
        ordered_at=T0,
        remote_status="Created",
    )
