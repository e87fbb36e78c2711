"""The outbox reader against a toy ERP: a refused posting is kept on the event with a backoff
and noted on the order's timeline, it holds the order's later events back, the run raises so
the job's retries and dead letters apply, and an operator's forced retry goes through."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from kervan import ConnectorContext, ConnectorSettings, ErpSink, RemoteRef, Settlement
from kervan.domain import Invoice, Party, Tenant, TenantSettings
from kervan.engine import Engine
from kervan.engine.records import CURSOR, INVOICE, ORDER, OUTBOX, OrderRecord
from kervan.erp import ErpFlow
from kervan.erp.events import invoiced_event
from kervan.erp.flow import VOUCHER, backoff, posting_counts
from kervan.errors import RemoteRejectedError
from kervan.store import open_store
from kervan.vouchers import expense_voucher
from kervan_sdk.testing import make_invoice
from kervan_sdk.testing.factories import make_orders


class Books(ErpSink):
    """An ERP that refuses invoices while ``refuse`` is set and remembers what it took."""

    key = "books"
    display_name = "Books"

    def __init__(self) -> None:
        super().__init__(ConnectorSettings(), ConnectorContext(tenant_id="t1", connection_id="erp"))
        self.refuse = True
        self.calls: list[str] = []

    async def upsert_customer(self, party: Party) -> RemoteRef:
        self.calls.append("customer")
        return RemoteRef(remote_id="C-1")

    async def post_invoice(self, invoice: Invoice) -> RemoteRef:
        self.calls.append("invoice")
        if self.refuse:
            raise RemoteRejectedError("books refused it", remote_message="unknown barcode")
        return RemoteRef(remote_id="F-1")

    async def close_payment(
        self,
        invoice: Invoice,
        amount: Decimal,
        paid_on: date,
        reference: str,
        deductions: Any = None,
    ) -> RemoteRef:
        self.calls.append(f"payment:{amount}:{dict(deductions or {})}")
        return RemoteRef(remote_id="P-1")


class Returns(Books):
    """An ERP with no gider pusulası: it takes the return against the sale instead."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = False
        self.returns: list[tuple[dict[int, Decimal], str]] = []

    async def post_return(
        self, invoice: Invoice, quantities: Any, reference: str, reason: str = ""
    ) -> RemoteRef:
        self.returns.append((dict(quantities), reference))
        return RemoteRef(remote_id=f"R-{reference}")


class World:
    def __init__(self, store: Any) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
        self.books = Books()
        self.tenant = Tenant(id="t1", name="Seller", settings=TenantSettings())
        self.engine = Engine(store=store, connectors=self, tenants=self, clock=lambda: self.now)
        self.flow = ErpFlow(self.engine)
        self.store = store.tenant("t1")
        order = make_orders(1, tenant_id="t1", connection_id="shop", seed=5)[0]
        self.order_id = order.id
        invoice = make_invoice(order, seed=5, number="KRV2026000000007")
        invoice.id = f"sale:{order.id}"
        rec = OrderRecord(order=order, invoice_id=invoice.id)
        self.store.upsert(ORDER, order.id, rec.to_body())
        self.store.upsert(INVOICE, invoice.id, invoice.model_dump(mode="json"))
        key, body = invoiced_event(order.id, invoice.id, self.now)
        self.store.upsert(OUTBOX, key, body)
        self.number = order.order_number
        self.order, self.invoice = order, invoice

    def get(self, tenant_id: str, connection_id: str | None = None) -> Any:
        return self.tenant if connection_id is None else self.books

    def run(self, **kw: Any) -> dict[str, int]:
        import asyncio

        return dict(asyncio.run(self.flow.run("t1", "erp", **kw)))

    def record(self) -> OrderRecord:
        doc = self.store.get(ORDER, self.order_id)
        assert doc is not None
        return OrderRecord.from_body(doc.body)


@pytest.fixture
def world(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/k.db")
    yield World(store)
    store.close()


def test_a_refused_posting_backs_off_holds_the_order_and_raises(world: World) -> None:
    settled = Settlement(
        order_number=world.number,
        amount=Decimal("80.00"),
        paid_on=date(2026, 12, 9),
        reference="PO-5",
        deductions={"commission": Decimal("20.00")},
    )
    assert world.flow.record_settlements("t1", "shop", [settled])["new"] == 1
    assert world.flow.record_settlements("t1", "shop", [settled])["known"] == 1
    with pytest.raises(RemoteRejectedError):
        world.run()
    assert world.books.calls == ["customer", "invoice"]  # the payment waited behind it
    rec = world.record()
    assert rec.erp["erp"] == {"customer": "C-1"}
    assert rec.order.timeline[-1].outcome == "failed"
    assert "books refused it" in (rec.order.timeline[-1].message or "")
    event = world.store.get(OUTBOX, f"invoiced:{world.order_id}")
    assert event is not None and event.body["sinks"]["erp"]["attempts"] == 1
    # inside the backoff nothing is asked again, however often the job runs
    world.books.refuse = False
    assert world.run() == {}
    assert world.books.calls == ["customer", "invoice"]
    world.now += backoff(1) + timedelta(seconds=1)
    assert world.run() == {"done": 2}
    assert world.books.calls[2:] == ["invoice", "payment:80.00:{'commission': Decimal('20.00')}"]
    assert world.flow.pending("t1") == 0
    counts = posting_counts(world.store)
    assert (counts["customer"], counts["invoice"], counts["payment"]) == (1, 1, 1)


def test_a_forced_retry_ignores_the_backoff(world: World) -> None:
    with pytest.raises(RemoteRejectedError):
        world.run()
    world.books.refuse = False
    assert world.run(force=True) == {"done": 1}
    assert world.record().erp["erp"] == {"customer": "C-1", "invoice": "F-1"}


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=1)


def test_a_gider_pusulasi_goes_in_as_a_return_where_the_erp_has_none(world: World) -> None:
    world.books = Returns()
    assert world.run() == {"done": 1}
    line = world.order.lines[0]
    voucher = expense_voucher(
        world.order,
        {line.line_id: Decimal(1)},
        number="KRG2026000000001",
        issued_at=world.now,
        seller=world.invoice.seller,
        claim_id="claim-1",
    )
    world.store.upsert(VOUCHER, "voucher:claim-1", voucher.model_dump(mode="json"))
    world.store.upsert(
        OUTBOX,
        "return:claim-1",
        {
            "topic": "claim.returned",
            "claim_id": "claim-1",
            "order_id": world.order_id,
            "invoice_id": world.invoice.id,
            "lines": {line.line_id: 1},
            "route": "expense_voucher",
            "voucher_id": "voucher:claim-1",
            "done": False,
            "at": (world.now + timedelta(minutes=1)).isoformat(),
        },
    )
    assert world.run() == {"done": 1}
    invoice_line = next(ln.id for ln in world.invoice.lines if ln.order_line_id == line.line_id)
    assert world.books.returns == [({invoice_line: Decimal(1)}, "claim-1")]
    assert world.record().erp["erp"]["expense_voucher:claim-1"] == "R-claim-1"
    assert world.run() == {}  # posted once


class SlowBooks(Books):
    """An ERP that takes the invoice only once the test lets it (a slow ERP)."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = False
        self.asked = asyncio.Event()
        self.answer = asyncio.Event()

    async def post_invoice(self, invoice: Invoice) -> RemoteRef:
        self.asked.set()
        await self.answer.wait()
        return await super().post_invoice(invoice)


def test_a_run_waiting_on_a_slow_erp_keeps_its_lease(world: World, monkeypatch) -> None:
    """While the ERP keeps the run waiting past LEASE, the run renews its lease: a second run
    cannot take it and post beside it. Afterwards the lease is given back."""
    from kervan.erp import lease

    monkeypatch.setattr(lease, "RENEW_EVERY_S", 0.02)
    world.books = SlowBooks()

    async def scenario() -> tuple[dict[str, int], bool, bool]:
        run = asyncio.create_task(world.flow.run("t1", "erp"))
        await asyncio.wait_for(world.books.asked.wait(), 5)
        world.now += lease.LEASE + timedelta(minutes=1)  # the run still waits on the ERP
        await asyncio.sleep(0.2)  # a few renewal turns
        second = lease.take(world.store, "erp", "second-run", world.now)
        busy = dict(await world.flow.run("t1", "erp")) == {"busy": 1}
        world.books.answer.set()
        return dict(await asyncio.wait_for(run, 5)), second, busy

    done, second, busy = asyncio.run(scenario())
    assert (second, busy) == (False, True)
    assert done == {"done": 1} and world.books.calls.count("invoice") == 1
    assert world.store.get(CURSOR, lease.lease_key("erp")) is None  # given back


def test_one_run_per_connection_at_a_time(world: World) -> None:
    from kervan.erp import lease

    assert lease.take(world.store, "erp", "other-run", world.now)
    world.books.refuse = False
    assert world.run() == {"busy": 1}  # another run holds it: nothing is asked
    assert world.books.calls == []
    world.now += lease.LEASE + timedelta(seconds=1)  # a killed worker's lease runs out
    assert world.run() == {"done": 1}
    assert world.run() == {}  # the lease was given back
    lease.release(world.store, "erp", "other-run")  # not its lease any more: a no-op
    assert lease.take(world.store, "erp", "third", world.now)
