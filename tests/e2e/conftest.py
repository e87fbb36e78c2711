"""End-to-end harness: the real plugins, their sandboxes on loopback, the embedded runner."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from kervan.domain import Address, Order, Party, PartyKind
from kervan.engine.records import INVOICE, ORDER, OrderRecord
from kervan.scenario import Scenario
from kervan.store import Query
from kervan_demo import scenario_data as sd
from kervan_demo.run import Demo, DemoOptions

ISTANBUL = ZoneInfo("Europe/Istanbul")


class SkippableClock:
    """Real time plus an offset the test can move (hold backoffs are minutes long)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def skip(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def skip_within_the_day(self, seconds: float) -> None:
        """:meth:`skip`, for a test that issues an invoice after it: GİB's checker refuses an
        ``IssueDate`` later than its own today, read off the real clock in Istanbul time, so
        a skip must not carry this clock into an Istanbul day the real one has not reached,
        for as long as the test goes on after it (a minute is ample). In the few minutes before
        Istanbul's midnight it waits for midnight first."""
        ahead = timedelta(seconds=seconds + 60)
        while _istanbul_day(self() + ahead) > _istanbul_day(datetime.now(UTC)):
            time.sleep(0.5)
        self.skip(seconds)


def _istanbul_day(moment: datetime) -> date:
    return moment.astimezone(ISTANBUL).date()


def address(country: str = "TR") -> Address:
    return Address(
        lines=["Atatürk Blv. No: 1"],
        district="Çankaya",
        city="Ankara",
        postal_code="06420",
        country=country,
    )


PERSON = Party(
    kind=PartyKind.PERSON,
    tax_id="12345678950",
    first_name="Ayşe",
    last_name="Yılmaz",
    address=address(),
)
COMPANY = Party(
    kind=PartyKind.COMPANY,
    tax_id="1234567890",
    company_name="Ege Gıda A.Ş.",
    tax_office="Karşıyaka",
    address=address(),
)
FOREIGN = Party(
    kind=PartyKind.PERSON,
    tax_id="2222222222",
    first_name="Hans",
    last_name="Müller",
    address=address("DE"),
)


#: Trendyol's contracted carrier (TEX): Trendyol books it, the package arrives with its number
TEX = ("Trendyol Express Marketplace", "7330000000001")


def make_order(
    package: str,
    buyer: Party,
    product: str = "p-tisort",
    qty: int = 1,
    *,
    carrier: tuple[str, str | None] = ("Yurtiçi Kargo Marketplace", None),
) -> Order:
    """A Trendyol package; by default the seller ships with its own carrier contract."""
    card = next(p for p in sd.PRODUCTS if p.id == product)
    foreign = buyer.address is not None and buyer.address.country != "TR"
    line = sd.line_of(card, f"{package}01", qty, export=foreign)
    assert buyer.address is not None
    return Order(
        id=f"trendyol:{package}",
        tenant_id="demo",
        connection_id="trendyol",
        source="trendyol",
        order_number=f"9{package}",
        package_id=package,
        lines=[line],
        buyer=buyer,
        shipping_address=buyer.address,
        invoice_address=buyer.address,
        ordered_at=datetime.now(UTC) - timedelta(minutes=30),
        micro_export=foreign,
        remote_status="Created",
        cargo_provider=carrier[0],
        cargo_tracking_number=carrier[1],
    )


class Flow:
    """A running Kervan against the sandboxes, with helpers to look at the result."""

    def __init__(self, demo: Demo, clock: SkippableClock) -> None:
        self.demo, self.clock = demo, clock
        self.rt = demo.runtime
        assert self.rt is not None
        self.jobs = self.rt.start_jobs(broker_url="", scheduler=False)
        self.nilvera = demo.sandboxes["nilvera"]
        self.trendyol = demo.sandboxes["trendyol"]
        self.yurtici = demo.sandboxes["yurtici"]

    def seed(
        self,
        orders: list[Order],
        registered: dict[str, str] | None = None,
        cancelled: set[str] | None = None,
        stock: dict[str, int] | None = None,
    ) -> None:
        self.demo.seed(
            Scenario(
                seller=sd.SELLER,
                orders=orders,
                registered=registered or {},
                seller_aliases=(
                    "urn:mail:defaultgb@anadolutekstil.example",
                    "urn:mail:defaultpk@anadolutekstil.example",
                ),
                cancelled_package_ids=cancelled or set(),
                products=[*sd.PRODUCTS, *sd.SAMPLE_FILE_PRODUCTS],
                stock=stock if stock is not None else dict(sd.STOCK),
            )
        )

    def poll(self) -> None:
        self.jobs.send("poll_source", "demo", "trendyol")
        self.demo.drain()

    def split_carried_out(self) -> None:
        """Trendyol carries a split out a minute after it answered the request (its new
        packages appear then); Kervan polls after that."""
        self.demo.advance(("trendyol",), 90)
        self.poll()

    def print_label(self, package: str) -> bool:
        """The packing station prints the label (a marketplace-booked one is fetched now)."""
        return self.jobs.loop.run(self.rt.engine.marketplace_label("demo", f"trendyol:{package}:1"))

    def marketplace_moves(self, hours: float) -> None:
        """Time passes at Trendyol (its carriers pick up and deliver); then Kervan polls."""
        self.demo.advance(("trendyol",), hours * 3600)
        self.poll()

    def pickup(self) -> None:
        self.demo.advance(("yurtici", "mng"), 4 * 3600)
        self.jobs.send("track_carrier", "demo", "yurtici")
        self.demo.drain()

    def record(self, package: str) -> OrderRecord:
        return OrderRecord.from_body(
            self.rt.store.tenant("demo").get(ORDER, f"trendyol:{package}").body
        )

    def invoices(self) -> list[dict]:
        return [d.body for d in self.rt.store.tenant("demo").query(Query(INVOICE))]


@pytest.fixture
def flow(tmp_path, monkeypatch):
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    clock = SkippableClock()
    demo = Demo(DemoOptions(home=tmp_path / "demo"), lambda _msg: None)
    demo.start(clock=clock)
    try:
        yield Flow(demo, clock)
    finally:
        demo.stop()
