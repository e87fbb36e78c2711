"""Kept registry answers: a repeat e-Fatura buyer costs one lookup, and no kept answer can
ever turn an e-Fatura taxpayer's order into an e-Arşiv invoice."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan.domain import DocumentKind, OrderState
from kervan.engine import Engine
from kervan.engine.records import ORDER, OrderRecord
from kervan.engine.registrations import REGISTRATION
from kervan.store import open_store

from .fakes import Clock, Provider, Tenants, World, company, order

VKN_A, VKN_B = "3297552117", "4540536920"
ALIAS = "urn:mail:defaultpk@ornek.com.tr"


def _engine(store, world, clock, **settings) -> Engine:
    return Engine(
        store=store, connectors=Provider(world, clock), tenants=Tenants(**settings), clock=clock
    )


async def _run(engine: Engine, world: World, package_id: str, tax_id: str) -> OrderRecord:
    world.packages = {package_id: order(package_id, company(tax_id))}
    await engine.ingest("t1", "ty")
    await engine.advance("t1", f"ty:{package_id}")
    return OrderRecord.from_body(engine.store.tenant("t1").get(ORDER, f"ty:{package_id}").body)


def _classify_note(rec: OrderRecord):
    return next(e for e in rec.order.timeline if e.step == "classify" and e.outcome == "ok")


async def test_a_repeat_e_fatura_buyer_is_looked_up_once(engine, world, clock, store):
    world.registered[VKN_A] = ALIAS
    first = await _run(engine, world, "p1", VKN_A)
    clock.now += timedelta(hours=23)
    second = await _run(engine, world, "p2", VKN_A)
    assert world.calls["lookup"] == 1
    assert first.invoice_kind is second.invoice_kind is DocumentKind.EFATURA
    assert "registry" not in _classify_note(first).data
    assert _classify_note(second).data["registry"].startswith("kept answer of 2026-11-20T09:00")
    assert _classify_note(second).data["receiver_alias"] == ALIAS


async def test_a_kept_answer_expires(engine, world, clock):
    world.registered[VKN_A] = ALIAS
    await _run(engine, world, "p1", VKN_A)
    clock.now += timedelta(hours=24, seconds=1)
    await _run(engine, world, "p2", VKN_A)
    assert world.calls["lookup"] == 2


async def test_not_registered_is_never_kept(engine, world, clock, store):
    first = await _run(engine, world, "p1", VKN_A)
    assert first.invoice_kind is DocumentKind.EARSIV
    assert store.tenant("t1").get(REGISTRATION, VKN_A) is None
    world.registered[VKN_A] = ALIAS  # the buyer registers a minute later
    clock.now += timedelta(minutes=1)
    second = await _run(engine, world, "p2", VKN_A)
    assert second.invoice_kind is DocumentKind.EFATURA
    assert world.calls["lookup"] == 2


async def test_zero_hours_asks_every_time(store, world, clock):
    engine = _engine(store, world, clock, registration_cache_hours=0)
    world.registered[VKN_A] = ALIAS
    await _run(engine, world, "p1", VKN_A)
    await _run(engine, world, "p2", VKN_A)
    assert world.calls["lookup"] == 2
    assert store.tenant("t1").get(REGISTRATION, VKN_A) is None


async def test_an_ambiguous_answer_is_not_kept(engine, world, store):
    from kervan import Alias, Registration

    async def two_aliases(tax_id: str) -> Registration:
        world.calls["lookup"] += 1
        aliases = [Alias(name="urn:mail:a@ornek.com.tr"), Alias(name="urn:mail:b@ornek.com.tr")]
        return Registration(
            tax_id=tax_id, registered=True, aliases=aliases, checked_at=engine.clock(), source="x"
        )

    engine.connectors.conns["einv"].lookup = two_aliases
    rec = await _run(engine, world, "p1", VKN_A)
    assert rec.order.state is OrderState.ON_HOLD and "several PK aliases" in rec.order.hold_reason
    assert store.tenant("t1").get(REGISTRATION, VKN_A) is None


async def test_a_rejected_e_fatura_drops_the_kept_answer(engine, world, clock, store):
    world.registered[VKN_A] = ALIAS
    rec = await _run(engine, world, "p1", VKN_A)
    assert store.tenant("t1").get(REGISTRATION, VKN_A) is not None
    world.reject_submit = "alıcı etiketi bulunamadı"
    world.picked_up.update(world.shipments)
    await engine.track("t1", "cargo")
    await engine.advance("t1", rec.order.id)
    rec = OrderRecord.from_body(store.tenant("t1").get(ORDER, rec.order.id).body)
    assert rec.order.state is OrderState.FAILED
    assert store.tenant("t1").get(REGISTRATION, VKN_A) is None
    await _run(engine, world, "p2", VKN_A)
    assert world.calls["lookup"] == 2


async def test_a_rejection_found_by_polling_drops_the_kept_answer(engine, world, store):
    from kervan import Submission
    from kervan.domain import DocumentStatus

    world.registered[VKN_A] = ALIAS
    rec = await _run(engine, world, "p1", VKN_A)
    world.picked_up.update(world.shipments)
    await engine.track("t1", "cargo")
    await engine.advance("t1", rec.order.id)  # submitted: QUEUED at the integrator
    assert store.tenant("t1").get(REGISTRATION, VKN_A) is not None

    async def rejected(kind, uuid):
        return Submission(uuid=uuid, status=DocumentStatus.REJECTED, detail="no such alias")

    engine.connectors.conns["einv"].status = rejected
    assert await engine.poll_documents("t1") == [rec.order.id]
    assert store.tenant("t1").get(REGISTRATION, VKN_A) is None


# (buyer, registers now?) per order, hours between orders; buyers never leave the registry
events = st.lists(
    st.tuples(st.sampled_from([VKN_A, VKN_B]), st.booleans(), st.integers(0, 30)),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=events)
async def test_no_kept_answer_gives_a_registered_buyer_an_e_arsiv(tmp_path_factory, events):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('reg')}/k.db")
    world, clock = World(), Clock()
    engine = _engine(store, world, clock)
    try:
        for i, (vkn, registers, hours) in enumerate(events):
            clock.now += timedelta(hours=hours)
            if registers:
                world.registered[vkn] = ALIAS
            rec = await _run(engine, world, f"p{i}", vkn)
            want = DocumentKind.EFATURA if vkn in world.registered else DocumentKind.EARSIV
            assert rec.invoice_kind is want
        assert world.calls["lookup"] <= len(events)
    finally:
        store.close()
