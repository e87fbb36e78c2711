"""The lifecycle against in-memory connectors: each path, each invariant."""

from __future__ import annotations

from kervan.domain import DocumentKind, DocumentStatus, OrderState
from kervan.engine.records import INVOICE, ORDER, OrderRecord
from kervan.store import Query

from .fakes import company, order


async def run_all(engine, tenant="t1"):
    result = await engine.ingest(tenant, "ty")
    for oid in engine.due_orders(tenant):
        await engine.advance(tenant, oid)
    return result


def record(store, oid) -> OrderRecord:
    return OrderRecord.from_body(store.tenant("t1").get(ORDER, oid).body)


async def test_e_arsiv_is_submitted_at_once_and_sent_to_marketplace(engine, world, store):
    world.packages["p1"] = order("p1")
    await run_all(engine)
    rec = record(store, "ty:p1")
    assert rec.order.state is OrderState.BOOKED
    assert rec.invoice_kind is DocumentKind.EARSIV
    assert rec.flags.invoice_submitted and rec.flags.invoice_sent
    assert world.calls["submit"] == 1
    assert world.calls["invoice_file", "p1"] == 1


async def test_e_fatura_is_held_until_carrier_pickup(engine, world, store):
    world.registered["3297552117"] = "urn:mail:defaultpk@ornek.com.tr"
    world.packages["p2"] = order("p2", company())
    await run_all(engine)
    rec = record(store, "ty:p2")
    assert rec.invoice_kind is DocumentKind.EFATURA
    assert rec.order.state is OrderState.BOOKED
    assert world.calls["submit"] == 0
    world.picked_up.update(world.shipments)
    moved = await engine.track("t1", "cargo")
    assert moved == ["ty:p2"]
    await engine.advance("t1", "ty:p2")
    rec = record(store, "ty:p2")
    assert rec.order.state is OrderState.SHIPPED
    assert world.calls["submit"] == 1 and rec.flags.invoice_submitted


async def test_lookup_outage_holds_and_never_guesses_e_arsiv(engine, world, store, clock):
    from datetime import timedelta

    world.lookup_down = True
    world.packages["p3"] = order("p3", company())
    await run_all(engine)
    rec = record(store, "ty:p3")
    assert rec.order.state is OrderState.ON_HOLD and rec.invoice_id is None
    world.lookup_down = False
    clock.now += timedelta(minutes=5)
    for oid in engine.due_orders("t1"):
        await engine.advance("t1", oid)
    rec = record(store, "ty:p3")
    assert rec.invoice_kind is DocumentKind.EARSIV and rec.order.state is OrderState.BOOKED


async def test_out_of_stock_holds_until_restocked(engine, world, store):
    engine.set_stock("t1", "prod-1", 1, ["8690000000011"])
    world.packages["p4"] = order("p4")  # needs 2
    await run_all(engine)
    rec = record(store, "ty:p4")
    assert rec.order.state is OrderState.ON_HOLD and "out of stock" in rec.order.hold_reason
    woken = engine.set_stock("t1", "prod-1", 5)
    assert woken == ["ty:p4"]
    for oid in engine.due_orders("t1"):
        await engine.advance("t1", oid)
    rec = record(store, "ty:p4")
    assert rec.order.state is OrderState.BOOKED and rec.reserved == {"prod-1": 2}


async def test_cancel_after_invoicing_voids_held_e_fatura_and_releases_everything(
    engine, world, store
):
    world.registered["3297552117"] = "urn:mail:defaultpk@ornek.com.tr"
    engine.set_stock("t1", "prod-1", 5, ["8690000000011"])
    world.packages["p5"] = order("p5", company())
    await run_all(engine)
    world.packages["p5"].source_cancelled = True
    await run_all(engine)
    rec = record(store, "ty:p5")
    assert rec.order.state is OrderState.CANCELLED
    inv = store.tenant("t1").get(INVOICE, rec.invoice_id).body
    assert inv["status"] == DocumentStatus.VOIDED
    assert world.cancelled_shipments
    assert store.tenant("t1").get("stock", "prod-1").body["reserved"] == 0


async def test_triple_delivery_makes_one_invoice_per_order(engine, world, store):
    world.deliveries = 3
    for i in range(10):
        world.packages[f"q{i}"] = order(f"q{i}")
    await run_all(engine)
    await run_all(engine)
    invoices = store.tenant("t1").query(Query(INVOICE))
    assert len(invoices) == 10
    assert sorted(d.body["number"] for d in invoices) == [f"KRA2026{n:09d}" for n in range(1, 11)]


async def test_without_auto_approve_an_order_waits_for_a_person(store, world, clock):
    from kervan.engine import Engine

    from .fakes import Provider, Tenants

    engine = Engine(
        store=store,
        connectors=Provider(world, clock),
        tenants=Tenants(auto_approve=False),
        clock=clock,
    )
    world.packages["a1"] = order("a1")
    await run_all(engine)
    rec = record(store, "ty:a1")
    assert rec.order.state is OrderState.INVOICED and world.calls["accept", "a1"] == 0
    assert engine.due_orders("t1") == []  # nothing due: it waits for a person
    assert await engine.approve("t1", "ty:a1", "user:ayse") is OrderState.BOOKED
    rec = record(store, "ty:a1")
    assert world.calls["accept", "a1"] == 1
    assert [e.actor for e in rec.order.timeline if e.step == "approve"] == ["user:ayse"]


def test_an_order_source_that_goes_quiet_raises_an_alert(tmp_path, monkeypatch):
    from datetime import timedelta

    from kervan.runtime import Health

    from .fakes import Clock

    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    from kervan.connections import ConnectionService
    from kervan.security import load_cipher
    from kervan.store import open_store

    store = open_store(f"sqlite:///{tmp_path}/k.db")
    clock = Clock()

    from .fakes import FakeSource as Nothing

    svc = ConnectionService(store, lambda key: Nothing, load_cipher(), clock=clock)
    svc.create("t1", "quiet", "ty", {})
    health = Health(svc, quiet_after=timedelta(hours=6), clock=clock)
    health.success("t1", "ty", new_orders=3)
    clock.now += timedelta(hours=2)
    health.success("t1", "ty", new_orders=0)
    assert svc.get("t1", "ty").health.alert is None
    clock.now += timedelta(hours=5)
    health.success("t1", "ty", new_orders=0)
    assert svc.get("t1", "ty").health.alert == "no new orders for 7 h (last 2026-11-20 09:00 UTC)"
    health.success("t1", "ty", new_orders=1)
    assert svc.get("t1", "ty").health.alert is None
    store.close()


async def test_an_order_in_a_foreign_currency_waits_for_an_exchange_rate(
    engine, world, store, clock
):
    from datetime import timedelta
    from decimal import Decimal

    o = order("fx1")
    o.currency = "EUR"
    world.packages["fx1"] = o
    await run_all(engine)
    rec = record(store, "ty:fx1")
    assert rec.order.state is OrderState.ON_HOLD and "exchange_rates.EUR" in rec.order.hold_reason
    assert store.tenant("t1").query(Query(INVOICE)) == []  # no number spent while waiting
    engine.tenants.tenant.settings.exchange_rates["EUR"] = Decimal("37.1234")
    clock.now += timedelta(minutes=5)
    for oid in engine.due_orders("t1"):
        await engine.advance("t1", oid)
    rec = record(store, "ty:fx1")
    assert rec.order.state is OrderState.BOOKED
    [inv] = store.tenant("t1").query(Query(INVOICE))
    assert inv.body["currency"] == "EUR" and Decimal(inv.body["exchange_rate"]) == Decimal(
        "37.1234"
    )


async def test_a_draft_that_fails_validation_waits_without_a_number_and_goes_on_once_fixed(
    engine, world, store, clock
):
    from datetime import timedelta

    from kervan import numbering

    world.bad_xml = True
    world.packages["r1"] = order("r1")
    await run_all(engine)
    rec = record(store, "ty:r1")
    assert rec.order.state is OrderState.ON_HOLD and "sch-InvoiceIDCheck-1" in rec.order.hold_reason
    assert world.calls["submit"] == 0  # nothing left
    assert store.tenant("t1").query(Query(INVOICE)) == []  # and no number was taken
    name = numbering.counter_name("KRA", 2026, numbering.Channel.EARSIV)
    assert store.tenant("t1").counter(name, delta=0) == 0
    world.bad_xml = False  # a person fixed the data; the hold comes back on its own
    clock.now += timedelta(minutes=1)
    await run_all(engine)
    [inv] = store.tenant("t1").query(Query(INVOICE))
    assert inv.body["number"] == "KRA2026000000001" and world.calls["submit"] == 1
    assert record(store, "ty:r1").order.state is OrderState.BOOKED


async def test_a_status_poll_never_overwrites_a_cancellation_that_landed_meanwhile(
    engine, world, store
):
    from kervan.domain import DocumentStatus

    world.packages["s1"] = order("s1")
    await run_all(engine)
    ts = store.tenant("t1")
    [inv] = ts.query(Query(INVOICE))
    assert inv.body["status"] == DocumentStatus.QUEUED
    real_status = type(engine.connectors.conns["einv"]).status

    async def slow_status(self, kind, uuid):
        # the order is cancelled while the integrator is being asked
        ts.update(INVOICE, inv.key, lambda b: {**b, "status": DocumentStatus.CANCELLED.value})
        return await real_status(self, kind, uuid)

    type(engine.connectors.conns["einv"]).status = slow_status
    try:
        assert await engine.poll_documents("t1") == []
    finally:
        type(engine.connectors.conns["einv"]).status = real_status
    assert ts.get(INVOICE, inv.key).body["status"] == DocumentStatus.CANCELLED


async def test_tracking_never_revives_a_shipment_cancelled_meanwhile(engine, world, store):
    world.packages["t9"] = order("t9")
    await run_all(engine)
    ts = store.tenant("t1")
    world.picked_up.update(world.shipments)
    carrier_cls = type(engine.connectors.conns["cargo"])
    real_track = carrier_cls.track

    async def racing_track(self, keys):
        ts.update("shipment", "ty:t9:1", lambda b: {**b, "status": "cancelled"})
        return await real_track(self, keys)

    carrier_cls.track = racing_track
    try:
        assert await engine.track("t1", "cargo") == []
    finally:
        carrier_cls.track = real_track
    assert ts.get("shipment", "ty:t9:1").body["status"] == "cancelled"
    assert record(store, "ty:t9").order.state is OrderState.BOOKED  # not moved to shipped
