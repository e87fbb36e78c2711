"""Issue 16's rules on the engine: where a number is taken, which counter it comes from, what
a cancellation after sending does, TICARIFATURA answers, and the PK alias choice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kervan import Alias, IncomingReturn, numbering
from kervan.domain import DocumentKind, DocumentStatus, OrderState, TenantSettings
from kervan.domain.catalog import ProductCard
from kervan.engine import Engine, aliases, fiscal_items
from kervan.engine.records import BARCODE, INVOICE, ORDER, OUTBOX, PRODUCT, OrderRecord
from kervan.errors import InvalidInputError, StateConflictError
from kervan.store.port import Query

from .fakes import Provider, Tenants, World, company, order

VKN = "3297552117"
ALIAS = "urn:mail:satis@ornek.com.tr"


def _engine(store, world, clock, **settings) -> Engine:
    return Engine(
        store=store, connectors=Provider(world, clock), tenants=Tenants(**settings), clock=clock
    )


def _rec(store, oid: str) -> OrderRecord:
    return OrderRecord.from_body(store.tenant("t1").get(ORDER, oid).body)


def _invoice(store, oid: str) -> dict:
    [doc] = store.tenant("t1").query(Query(INVOICE, {"order_id": oid}))
    return doc.body


def _counter(store, series: str, channel: numbering.Channel) -> int:
    return store.tenant("t1").counter(numbering.counter_name(series, 2026, channel), delta=0)


async def _run(engine: Engine, world: World, *packages: str) -> None:
    await engine.ingest("t1", "ty")
    for pid in packages:
        await engine.advance("t1", f"ty:{pid}")


async def _pick_up(engine: Engine, world: World, oid: str) -> None:
    world.picked_up.update(world.shipments)
    await engine.track("t1", "cargo")
    await engine.advance("t1", oid)


def _card(store, **fields) -> None:
    """The product card of the fakes' barcode (what the ETGB check weighs)."""
    card = ProductCard(
        id="p1", tenant_id="t1", sku="TSHIRT-M", name="Tişört", barcodes=["8690000000011"], **fields
    )
    ts = store.tenant("t1")
    ts.upsert(PRODUCT, "p1", card.model_dump(mode="json"))
    ts.upsert(BARCODE, "8690000000011", {"product_id": "p1"})


def _outbox(store) -> list[dict]:
    """Reversal events (the invoice step also queues ``order.invoiced`` for the ERP flow)."""
    docs = store.tenant("t1").query(Query(OUTBOX, {"topic": "order.reverse"}))
    return [d.body for d in docs]


# -- where the number is taken -------------------------------------------------------------------


async def test_an_e_fatura_cancelled_before_pickup_uses_no_number(engine, world, store):
    world.registered[VKN] = ALIAS
    world.packages["f1"] = order("f1", company())
    await _run(engine, world, "f1")
    assert _rec(store, "ty:f1").order.state is OrderState.BOOKED
    assert _invoice(store, "ty:f1")["number"] is None
    assert await engine.cancel("t1", "ty:f1", "user:ayse") is OrderState.CANCELLED
    inv = _invoice(store, "ty:f1")
    assert inv["status"] == DocumentStatus.VOIDED and inv["number"] is None
    assert _counter(store, "KRV", numbering.Channel.EFATURA) == 0
    assert world.submitted == {} and _outbox(store) == []  # nothing left, nothing to reverse
    # the next e-Fatura takes number 1: GİB's series starts at 1
    world.packages = {"f2": order("f2", company())}
    await _run(engine, world, "f2")
    await _pick_up(engine, world, "ty:f2")
    assert list(world.submitted.values()) == ["KRV2026000000001"]


async def test_e_arsiv_micro_export_and_ihracat_count_on_their_own_series(store, world, clock):
    engine = _engine(store, world, clock, exchange_rates={"EUR": "36.50"})
    engine.set_stock("t1", "p1", 10, ["8690000000011"])
    _card(store, weight_kg="0.4")
    micro = order("m1", country="DE").model_copy(update={"micro_export": True})
    line = micro.lines[0].model_copy(update={"hs_code": "610910000000"})
    world.packages = {
        "a1": order("a1"),
        "m1": micro.model_copy(update={"lines": [line]}),
        "x1": order("x1", country="DE", lines=[line]),
    }
    await _run(engine, world, "a1", "m1", "x1")
    for p in ("a1", "m1", "x1"):
        assert _rec(store, f"ty:{p}").order.hold_reason is None, _rec(store, f"ty:{p}").order
    numbers = {_invoice(store, f"ty:{p}")["number"] for p in ("a1", "m1", "x1")}
    assert numbers == {"KRA2026000000001", "KRM2026000000001", "KRE2026000000001"}
    assert _counter(store, "KRA", numbering.Channel.EARSIV) == 1
    assert _counter(store, "KRM", numbering.Channel.EARSIV) == 1
    assert _counter(store, "KRE", numbering.Channel.EFATURA) == 1


def test_a_prefix_on_two_channels_is_refused():
    with pytest.raises(ValueError, match="more than one channel"):
        TenantSettings(invoice_series={"efatura": "KRA", "earsiv": "KRA"})
    with pytest.raises(ValueError, match="more than one channel"):
        TenantSettings(invoice_series={"export": "KRX", "micro_export": "KRX"})
    with pytest.raises(ValueError, match="unknown series"):
        TenantSettings(invoice_series={"efatur": "KRA"})
    # one channel may share a prefix between profiles (one series GİB sees)
    ok = TenantSettings(invoice_series={"TEMELFATURA": "KRV", "TICARIFATURA": "KRV"})
    assert ok.invoice_series["micro_export"] == "KRM"


def test_a_store_from_before_channel_counters_continues_its_series(store):
    ts = store.tenant("t1")
    ts.counter(numbering.counter_name("KRA", 2026), delta=41)  # 41 numbers given before
    with ts.transaction() as tx:
        first = numbering.reserve_number(tx, "KRA", 2026, numbering.Channel.EARSIV)
    with ts.transaction() as tx:
        second = numbering.reserve_number(tx, "KRA", 2026, numbering.Channel.EARSIV)
    assert (first, second) == ("KRA2026000000042", "KRA2026000000043")


async def test_a_rejection_by_polling_stops_the_order_and_a_retry_resends_the_same_number(
    engine, world, store
):
    world.registered[VKN] = ALIAS
    world.packages["r1"] = order("r1", company())
    await _run(engine, world, "r1")
    await _pick_up(engine, world, "ty:r1")
    [uuid] = world.submitted
    world.verdicts[uuid] = DocumentStatus.REJECTED
    assert await engine.poll_documents("t1") == ["ty:r1"]
    rec = _rec(store, "ty:r1")
    assert rec.order.state is OrderState.FAILED and "same number" in rec.last_error
    world.registered[VKN] = ALIAS  # the cause fixed (the registry answer was dropped)
    await engine.retry("t1", "ty:r1", "user:ayse")
    inv = _invoice(store, "ty:r1")
    assert inv["uuid"] != uuid and inv["status"] == DocumentStatus.QUEUED
    assert set(world.submitted.values()) == {"KRV2026000000001"} and len(world.submitted) == 2


# -- cancellation after sending ------------------------------------------------------------------


async def test_an_e_fatura_cancelled_after_it_left_waits_for_its_return_document(
    engine, world, store
):
    # an IHRACAT leaves through the e-Fatura system at once, before the parcel is picked up
    export = order("c1", country="DE")
    line = export.lines[0].model_copy(update={"hs_code": "610910000000"})
    world.packages["c1"] = export.model_copy(update={"lines": [line]})
    await _run(engine, world, "c1")
    assert _invoice(store, "ty:c1")["status"] == DocumentStatus.QUEUED
    assert await engine.cancel("t1", "ty:c1", "user:ayse") is OrderState.CANCELLED
    inv = _invoice(store, "ty:c1")
    assert inv["status"] == DocumentStatus.QUEUED  # still valid: an e-Fatura is not deleted
    assert _outbox(store) == []  # and the books do not reverse a valid sale
    [item] = store.tenant("t1").query(Query(fiscal_items.FISCAL_ITEM, {"status": "open"}))
    assert item.body["topic"] == "return_document"
    assert item.body["invoice_number"] == inv["number"]
    with pytest.raises(InvalidInputError, match="resolved by one of"):
        fiscal_items.resolve(
            store.tenant("t1"),
            item.key,
            how="reissued",
            reference="x",
            note="n",
            actor="user:ayse",
            now=engine.clock(),
        )
    fiscal_items.resolve(
        store.tenant("t1"),
        item.key,
        how="buyer_return_invoice",
        reference="ABC2026000000007",
        note="alıcının iade faturası geldi",
        actor="user:ayse",
        now=engine.clock(),
    )
    [event] = _outbox(store)
    assert event["topic"] == "order.reverse" and event["reference"] == "ABC2026000000007"
    timeline = _rec(store, "ty:c1").order.timeline
    assert timeline[-1].actor == "user:ayse" and "return_document resolved" in timeline[-1].message
    with pytest.raises(StateConflictError, match="already resolved"):
        fiscal_items.resolve(
            store.tenant("t1"),
            item.key,
            how="gib_cancellation",
            reference="x",
            note="n",
            actor="user:ayse",
            now=engine.clock(),
        )


async def test_the_buyers_iade_among_incoming_documents_resolves_the_item(engine, world, store):
    world.registered[VKN] = ALIAS
    world.packages["c3"] = order("c3", company())
    await _run(engine, world, "c3")
    await _pick_up(engine, world, "ty:c3")
    world.packages["c3"] = world.packages["c3"].model_copy(update={"source_cancelled": True})
    await _run(engine, world, "c3")
    number = _invoice(store, "ty:c3")["number"]
    await engine.poll_documents("t1")
    assert _outbox(store) == []  # nothing has arrived yet: the item stays open
    day = engine.clock().date()
    world.incoming = [
        # another buyer's IADE of the same number, and one of another invoice: not ours
        IncomingReturn(
            uuid="u-1",
            number="XYZ2026000000001",
            issued_on=day,
            sender_tax_id="1234567890",
            refers_to=(number,),
        ),
        IncomingReturn(
            uuid="u-2",
            number="ABC2026000000002",
            issued_on=day,
            sender_tax_id=VKN,
            refers_to=("KRV2026000000999",),
        ),
    ]
    await engine.poll_documents("t1")
    assert store.tenant("t1").query(Query(fiscal_items.FISCAL_ITEM, {"status": "open"}))
    world.incoming.append(
        IncomingReturn(
            uuid="u-3",
            number="ABC2026000000003",
            issued_on=day,
            sender_tax_id=VKN,
            refers_to=(number,),
        )
    )
    assert "ty:c3" in await engine.poll_documents("t1")
    [item] = store.tenant("t1").query(Query(fiscal_items.FISCAL_ITEM))
    assert item.body["status"] == "resolved"
    assert item.body["resolution"]["reference"] == "ABC2026000000003"
    assert item.body["resolution"]["by"] == "fake-einvoice"
    [event] = _outbox(store)
    assert event["how"] == "buyer_return_invoice"


async def test_a_marketplace_cancelling_a_picked_up_e_fatura_opens_a_return_document(
    engine, world, store
):
    world.registered[VKN] = ALIAS
    world.packages["c2"] = order("c2", company())
    await _run(engine, world, "c2")
    await _pick_up(engine, world, "ty:c2")
    world.packages["c2"] = world.packages["c2"].model_copy(
        update={"source_cancelled": True, "remote_status": "Cancelled"}
    )
    await _run(engine, world, "c2")
    assert _rec(store, "ty:c2").order.state is OrderState.CANCELLED
    [item] = store.tenant("t1").query(Query(fiscal_items.FISCAL_ITEM))
    assert item.body["topic"] == "return_document" and _outbox(store) == []


async def test_an_e_arsiv_cancelled_after_it_left_is_cancelled_and_reversed_at_once(
    engine, world, store
):
    world.packages["e1"] = order("e1")
    await _run(engine, world, "e1")
    assert await engine.cancel("t1", "ty:e1", "user:ayse") is OrderState.CANCELLED
    assert _invoice(store, "ty:e1")["status"] == DocumentStatus.CANCELLED
    assert [e["because"] for e in _outbox(store)] == ["earsiv_cancelled"]
    assert store.tenant("t1").query(Query(fiscal_items.FISCAL_ITEM)) == []


# -- TICARIFATURA --------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["KABUL", "RED"])
async def test_a_ticarifatura_answer_is_tracked_and_a_red_goes_to_the_queue(
    store, world, clock, answer
):
    engine = _engine(store, world, clock, efatura_profile="TICARIFATURA")
    world.registered[VKN] = ALIAS
    world.packages["t1"] = order("t1", company())
    await _run(engine, world, "t1")
    await _pick_up(engine, world, "ty:t1")
    assert _invoice(store, "ty:t1")["profile"] == "TICARIFATURA"
    await engine.poll_documents("t1")  # accepted; no answer yet
    assert _invoice(store, "ty:t1")["answer"] is None
    world.answers[VKN] = answer
    clock.now += timedelta(days=2)
    assert await engine.poll_documents("t1") == ["ty:t1"]
    inv = _invoice(store, "ty:t1")
    assert inv["answer"] == answer and inv["status"] == DocumentStatus.ACCEPTED
    items = store.tenant("t1").query(Query(fiscal_items.FISCAL_ITEM))
    assert [i.body["topic"] for i in items] == (["refused_invoice"] if answer == "RED" else [])
    assert await engine.poll_documents("t1") == []  # answered once, asked no more


async def test_no_answer_is_asked_for_after_eight_days(store, world, clock):
    engine = _engine(store, world, clock, efatura_profile="TICARIFATURA")
    world.registered[VKN] = ALIAS
    world.packages["t2"] = order("t2", company())
    await _run(engine, world, "t2")
    await _pick_up(engine, world, "ty:t2")
    await engine.poll_documents("t1")
    world.answers[VKN] = "RED"
    clock.now += timedelta(days=9)
    assert await engine.poll_documents("t1") == []


# -- the PK alias --------------------------------------------------------------------------------


async def test_several_aliases_without_a_default_wait_for_an_operator(engine, world, store):
    world.aliases[VKN] = [Alias(name="urn:mail:a@ornek.com.tr"), Alias(name=ALIAS)]
    world.packages["k1"] = order("k1", company())
    await _run(engine, world, "k1")
    rec = _rec(store, "ty:k1")
    assert rec.order.state is OrderState.ON_HOLD and rec.invoice_id is None
    [waiting] = aliases.queue(store.tenant("t1"))
    assert waiting["order_id"] == "ty:k1" and waiting["choices"] == sorted(
        ["urn:mail:a@ornek.com.tr", ALIAS]
    )
    with pytest.raises(InvalidInputError, match="not one of"):
        await aliases.choose_alias(engine, "t1", "ty:k1", "urn:mail:x@y", "n", "user:ayse")
    await aliases.choose_alias(engine, "t1", "ty:k1", ALIAS, "müşteri teyit etti", "user:ayse")
    rec = _rec(store, "ty:k1")
    assert rec.invoice_kind is DocumentKind.EFATURA and rec.decision["receiver_alias"] == ALIAS
    assert rec.resolutions["alias"]["by"] == "user:ayse"
    assert aliases.queue(store.tenant("t1")) == []
    with pytest.raises(StateConflictError):
        await aliases.choose_alias(engine, "t1", "ty:k1", ALIAS, "again", "user:ayse")


@pytest.mark.parametrize(
    "listed",
    [
        [Alias(name="urn:mail:a@ornek.com.tr"), Alias(name=ALIAS, default=True)],
        [Alias(name="urn:mail:a@ornek.com.tr"), Alias(name="urn:mail:defaultpk@ornek.com.tr")],
    ],
)
async def test_the_default_alias_wins_without_asking_anyone(engine, world, store, listed):
    world.aliases[VKN] = listed
    world.packages["k2"] = order("k2", company())
    await _run(engine, world, "k2")
    rec = _rec(store, "ty:k2")
    assert rec.invoice_kind is DocumentKind.EFATURA
    assert rec.decision["receiver_alias"] == next(
        a.name for a in listed if a.default or "defaultpk" in a.name
    )


async def test_a_draft_numbered_by_an_earlier_version_keeps_its_number_and_leaves_at_pickup(
    engine, world, store
):
    world.registered[VKN] = ALIAS
    world.packages["l1"] = order("l1", company())
    await _run(engine, world, "l1")
    ts = store.tenant("t1")
    # what an earlier version left: a numbered draft, and the order back before its XML
    inv = _invoice(store, "ty:l1")
    ts.upsert(INVOICE, inv["id"], {**inv, "number": "KRV2026000000007"})
    rec = _rec(store, "ty:l1")
    rec.order.state, rec.invoice_status = OrderState.CLASSIFIED, DocumentStatus.DRAFT
    ts.upsert(ORDER, "ty:l1", rec.to_body())
    await engine.advance("t1", "ty:l1")
    assert _invoice(store, "ty:l1")["status"] == DocumentStatus.ISSUED
    assert world.submitted == {}  # an e-Fatura still waits for pickup
    await _pick_up(engine, world, "ty:l1")
    assert list(world.submitted.values()) == ["KRV2026000000007"]
    assert _counter(store, "KRV", numbering.Channel.EFATURA) == 0  # no second number
