"""One owner per rule: the core alone keeps registry answers and owns the polling window.

The engine runs against the real connectors and their sandboxes, on one simulated clock:
Nilvera answers the registry question (every answer comes from the sandbox's registry, none
is kept by the connector), Trendyol serves the packages (every query it receives is
recorded, so the window asked for is the one the core computed, and nothing more).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from kervan import CarrierLegal, ConnectorContext, ConnectorSettings, OrderSource
from kervan.connections import CONNECTION, ConnectionService
from kervan.domain import (
    Address,
    DocumentKind,
    Order,
    OrderLine,
    Party,
    PartyKind,
    Tenant,
    TenantSettings,
)
from kervan.engine import Engine
from kervan.engine.ingest import FIRST_LOOKBACK, OVERLAP
from kervan.engine.records import ORDER, OrderRecord
from kervan.engine.registrations import REGISTRATION
from kervan.security.cipher import SecretCipher, new_key
from kervan.store import open_store
from kervan_nilvera import Nilvera, NilveraSettings
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock
from kervan_trendyol import Trendyol, TrendyolSettings
from kervan_trendyol.mapping import to_epoch_ms
from kervan_trendyol.sandbox import TrendyolSandbox

TENANT = "t1"
BUYER_VKN = "3297552117"
BUYER_PK = "urn:mail:defaultpk@alici.com.tr"
CHECK = "/general/GlobalCompany/Check/TaxNumber/*"
ADDRESS = Address(
    lines=["Barbaros Blv. 5"], district="Beşiktaş", city="İstanbul", postal_code="34353"
)
# the Nilvera sandbox's own account (its GB/PK aliases): the seller every document leaves from
SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Kervan Demo Ticaret A.Ş.",
    tax_office="Kadıköy",
    address=Address(lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul", postal_code="34710"),
)
BUYER = Party(
    kind=PartyKind.COMPANY,
    tax_id=BUYER_VKN,
    company_name="Alıcı Ltd. Şti.",
    tax_office="Beşiktaş",
    address=ADDRESS,
)


class Shelf(OrderSource):
    """A marketplace that hands over the packages put on it (the rule under test is not its)."""

    key = "shelf"
    display_name = "Shelf"
    #: the shelf's parcels go with the marketplace's own carrier (named on e-Arşiv invoices)
    marketplace_carriers = (
        CarrierLegal(
            name="Raf Kargo A.Ş.", tax_id="1234567890", city="İstanbul", source="test fixture"
        ),
    )

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(ConnectorSettings(), context)
        self.packages: dict[str, Order] = {}

    async def fetch_orders(
        self, since: datetime, until: datetime | None = None
    ) -> AsyncIterator[Order]:
        for order in list(self.packages.values()):
            yield order.model_copy(deep=True)


class Connections:
    def __init__(self, **conns: Any) -> None:
        self.conns = conns

    def get(self, tenant_id: str, connection_id: str) -> Any:
        return self.conns[connection_id]


class Tenants:
    def __init__(self, **settings: Any) -> None:
        self.tenant = Tenant(
            id=TENANT,
            name="Test seller",
            seller=SELLER,
            settings=TenantSettings(
                auto_approve=False,  # classify and invoice are what this is about
                default_issuer_connection="nilvera",
                default_classifier_connection="nilvera",
                **settings,
            ),
        )

    def get(self, tenant_id: str) -> Tenant:
        return self.tenant


class Fiscal:
    """Kervan's engine with the real Nilvera connector on its sandbox, and a shelf of orders."""

    def __init__(self, tmp_path: Any, **tenant_settings: Any) -> None:
        self.clock = SimClock()
        self.nilvera = NilveraSandbox(clock=self.clock)
        context = ConnectorContext(
            tenant_id=TENANT,
            connection_id="nilvera",
            transport=self.nilvera.transport(),
            clock=self.clock.now,
            sleep=self.clock.sleep,
        )
        settings = NilveraSettings.parse(self.nilvera.demo_settings("https://apitest.nilvera.com"))
        self.shelf = Shelf(ConnectorContext(tenant_id=TENANT, connection_id="shelf"))
        self.store = open_store(f"sqlite:///{tmp_path}/kervan.db")
        self.engine = Engine(
            store=self.store,
            connectors=Connections(nilvera=Nilvera(settings, context), shelf=self.shelf),
            tenants=Tenants(**tenant_settings),
            clock=self.clock.now,
        )
        self.count = 0

    async def order(self, buyer: Party = BUYER) -> OrderRecord:
        """One new package of ``buyer``, taken through classify and invoice."""
        self.count += 1
        package = f"P{self.count}"
        self.shelf.packages = {package: _order(package, buyer, self.clock.now())}
        await self.engine.ingest(TENANT, "shelf")
        await self.engine.advance(TENANT, f"shelf:{package}")
        body = self.store.tenant(TENANT).get(ORDER, f"shelf:{package}").body
        return OrderRecord.from_body(body)

    def lookups(self) -> int:
        """How many times the integrator was asked whether the buyer is registered."""
        return self.nilvera.count("GET", CHECK)

    def kept(self) -> bool:
        return self.store.tenant(TENANT).get(REGISTRATION, BUYER_VKN) is not None


def _order(package: str, buyer: Party, at: datetime) -> Order:
    return Order(
        id=f"shelf:{package}",
        tenant_id=TENANT,
        connection_id="shelf",
        source="shelf",
        order_number=f"10{package}",
        package_id=package,
        lines=[
            OrderLine(
                line_id=f"{package}-1",
                barcode="8690000000011",
                sku="TSHIRT-M",
                name="Pamuklu Tişört",
                quantity=2,
                unit_price="299.90",
                vat_rate=10,
                discount="20.00",
            )
        ],
        buyer=buyer,
        shipping_address=ADDRESS,
        invoice_address=ADDRESS,
        ordered_at=at,
        cargo_provider="Raf Kargo",
        cargo_tracking_number=f"RAF{package}",
        remote_status="Created",
    )


@pytest.fixture
def fiscal(tmp_path):
    world = Fiscal(tmp_path)
    yield world
    world.store.close()


def _registry_note(rec: OrderRecord) -> str | None:
    entry = next(e for e in rec.order.timeline if e.step == "classify" and e.outcome == "ok")
    return entry.data.get("registry")


# -- registry answers: the core's rule, and only the core's ------------------------------------


async def test_with_no_kept_answers_every_order_asks_the_integrator(tmp_path):
    fiscal = Fiscal(tmp_path, registration_cache_hours=0)
    fiscal.nilvera.add_taxpayer(BUYER_VKN, "Alıcı Ltd. Şti.", pk=[BUYER_PK])
    try:
        kinds = []
        for _ in range(3):
            rec = await fiscal.order()
            kinds.append(rec.invoice_kind)
            fiscal.clock.advance(60)
        assert kinds == [DocumentKind.EFATURA] * 3
        assert fiscal.lookups() == 3  # nothing kept: not by the core, not by the connector
        assert not fiscal.kept()
    finally:
        fiscal.store.close()


async def test_a_buyer_who_registers_after_a_no_gets_an_e_fatura_on_the_next_order(fiscal):
    first = await fiscal.order()
    assert first.invoice_kind is DocumentKind.EARSIV
    assert not fiscal.kept()  # "not registered" is never kept

    fiscal.clock.advance(60)
    fiscal.nilvera.add_taxpayer(BUYER_VKN, "Alıcı Ltd. Şti.", pk=[BUYER_PK])
    fiscal.clock.advance(60)
    second = await fiscal.order()

    assert second.invoice_kind is DocumentKind.EFATURA, "a registered buyer got an e-Arşiv"
    assert second.decision is not None and second.decision["receiver_alias"] == BUYER_PK
    assert fiscal.lookups() == 2
    assert _registry_note(second) is None  # a fresh answer, not a kept one


async def test_a_yes_is_reused_within_the_window_then_asked_again(fiscal):
    fiscal.nilvera.add_taxpayer(BUYER_VKN, "Alıcı Ltd. Şti.", pk=[BUYER_PK])
    first = await fiscal.order()
    assert fiscal.kept() and fiscal.lookups() == 1

    fiscal.clock.advance(23 * 3600)
    second = await fiscal.order()
    assert fiscal.lookups() == 1  # the core's kept answer; Nilvera was not asked
    assert (first.invoice_kind, second.invoice_kind) == (DocumentKind.EFATURA,) * 2
    note = _registry_note(second)
    assert note is not None and note.startswith("kept answer of")

    fiscal.clock.advance(2 * 3600)  # 25 h after the answer: past registration_cache_hours
    third = await fiscal.order()
    assert fiscal.lookups() == 2
    assert third.invoice_kind is DocumentKind.EFATURA and _registry_note(third) is None


# -- the polling window: the core's cursor, overlap and first lookback, nothing more ----------


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and keeps the date range of every package query."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.windows: list[tuple[int, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/orders"):
            params = request.url.params
            self.windows.append((int(params["startDate"]), int(params["endDate"])))
        return await self.inner.handle_async_request(request)


async def test_a_poll_asks_trendyol_for_exactly_the_cores_window(tmp_path):
    sandbox = TrendyolSandbox(seed=1)
    sandbox.seed_random(6)
    recorder = Recorder(sandbox.transport())
    clock = sandbox.clock
    context = ConnectorContext(
        tenant_id=TENANT,
        connection_id="trendyol",
        transport=recorder,
        clock=clock.now,
        sleep=clock.sleep,
    )
    trendyol = Trendyol(TrendyolSettings(**sandbox.demo_settings("http://trendyol.test")), context)
    store = open_store(f"sqlite:///{tmp_path}/kervan.db")
    engine = Engine(
        store=store,
        connectors=Connections(trendyol=trendyol),
        tenants=Tenants(),
        clock=clock.now,
    )
    try:
        first_poll = clock.now()
        result = await engine.ingest(TENANT, "trendyol")
        assert len(result.new) == 6
        # the first poll looks back the core's FIRST_LOOKBACK (one 14-day range fits Trendyol's
        # limit), asked once per pass: unfiltered, then Cancelled, then UnSupplied (one status
        # per call)
        first = (to_epoch_ms(first_poll - FIRST_LOOKBACK), to_epoch_ms(first_poll))
        assert recorder.windows == [first, first, first]

        recorder.windows.clear()
        clock.advance(3600)
        second_poll = clock.now()
        await engine.ingest(TENANT, "trendyol")
        # the next poll starts at the cursor (the first poll's time) minus the core's OVERLAP:
        # the connector adds no overlap of its own
        second = (to_epoch_ms(first_poll - OVERLAP), to_epoch_ms(second_poll))
        assert recorder.windows == [second, second, second]
    finally:
        await trendyol.aclose()
        store.close()


async def test_the_window_is_read_on_the_clock_the_source_was_given(tmp_path):
    """The demo runs Trendyol's time hours ahead of Kervan's (parcels move in seconds): the
    window's ends and the cursor are on the source's clock, so what moved there is reached."""
    sandbox = TrendyolSandbox(seed=1)
    recorder = Recorder(sandbox.transport())
    context = ConnectorContext(
        tenant_id=TENANT, connection_id="trendyol", transport=recorder, clock=sandbox.clock.now
    )
    trendyol = Trendyol(TrendyolSettings(**sandbox.demo_settings("http://trendyol.test")), context)
    engine_clock = SimClock(sandbox.clock.now())
    store = open_store(f"sqlite:///{tmp_path}/kervan.db")
    engine = Engine(
        store=store,
        connectors=Connections(trendyol=trendyol),
        tenants=Tenants(),
        clock=engine_clock.now,
    )
    try:
        await engine.ingest(TENANT, "trendyol")
        first_poll = sandbox.clock.now()
        sandbox.clock.advance(7 * 3600)  # the remote's time jumps; Kervan's does not
        [pid] = sandbox.seed_random(1)
        recorder.windows.clear()
        result = await engine.ingest(TENANT, "trendyol")
        assert result.new == [f"trendyol:{pid}"]
        second = (to_epoch_ms(first_poll - OVERLAP), to_epoch_ms(sandbox.clock.now()))
        assert recorder.windows == [second, second, second]
    finally:
        await trendyol.aclose()
        store.close()


# -- the dropped settings: connections stored before still load ------------------------------


@pytest.mark.parametrize(
    ("connector", "sandbox", "dropped"),
    [
        (Nilvera, NilveraSandbox, {"lookup_cache_ttl_s": 21600}),
        (Trendyol, TrendyolSandbox, {"lookback_days": 14, "overlap_minutes": 10}),
    ],
    ids=["nilvera", "trendyol"],
)
def test_a_connection_stored_by_settings_version_1_still_loads(
    tmp_path, connector, sandbox, dropped
):
    store = open_store(f"sqlite:///{tmp_path}/kervan.db")
    connections = ConnectionService(
        store, {connector.key: connector}.__getitem__, SecretCipher([new_key()])
    )
    try:
        connections.create(TENANT, connector.key, "c1", sandbox().demo_settings("http://x.test"))
        # what version 1 stored: its policy fields beside the others
        t = store.tenant(TENANT)
        doc = t.get(CONNECTION, "c1")
        assert doc is not None
        old = {**doc.body, "settings_version": 1, "settings": {**doc.body["settings"], **dropped}}
        t.replace(CONNECTION, "c1", old, cas=doc.cas)

        stored = connections.require(TENANT, "c1")
        assert connector.settings_version == 2 and stored.settings_version == 1
        settings = connections.load_settings(stored)  # extra="forbid" would refuse them
        assert not set(dropped) & set(settings.public_dict())
        kept = {k: v for k, v in stored.settings.items() if k not in dropped}
        saved = connections.update(TENANT, "c1", kept)
        assert saved.settings_version == 2 and not set(dropped) & set(saved.settings)
    finally:
        store.close()
