"""Split rules: the plan keeps every line once, stays within the size, and is planned first."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kervan import RemoteRef
from kervan.domain import OrderState, SplitRules
from kervan.engine import due_steps
from kervan.engine.lifecycle import Step, parcel_problem, split_problem
from kervan.engine.records import OrderRecord
from kervan.engine.splitting import LineSize, divides_a_line, plan_parcels, plan_split
from kervan.errors import RemoteRejectedError, RemoteUnavailableError
from pydantic import ValidationError

from .fakes import order

NOW = datetime(2026, 6, 1, tzinfo=UTC)

sizes = st.decimals(min_value=Decimal("0.1"), max_value=Decimal(60), places=1)
lines_st = st.lists(st.tuples(sizes, st.booleans()), min_size=1, max_size=12).map(
    lambda xs: [LineSize(f"L{i}", size, alone) for i, (size, alone) in enumerate(xs)]
)


@given(lines=lines_st, limit=st.none() | sizes)
def test_a_plan_names_every_line_once_and_keeps_the_rules(lines, limit):
    groups = plan_split(lines, limit)
    by_id = {ln.line_id: ln for ln in lines}
    if groups is None:
        # whole: nothing must travel apart
        assert sum(ln.alone for ln in lines) == 0 or len(lines) == 1
        if limit is not None and len(lines) > 1:
            assert sum(ln.size for ln in lines) <= limit
        return
    assert len(groups) >= 2 and all(groups)
    flat = [line_id for g in groups for line_id in g]
    assert sorted(flat) == sorted(by_id)
    for g in groups:
        members = [by_id[i] for i in g]
        if any(m.alone for m in members):
            assert len(members) == 1  # a ship-alone product shares its parcel with nothing
        elif limit is not None and len(members) > 1:
            assert sum(m.size for m in members) <= limit  # only a lone line may exceed it
    # deterministic, and in package order: lines within a group, groups by their first line
    assert plan_split(list(lines), limit) == groups
    order_of = {ln.line_id: i for i, ln in enumerate(lines)}
    for g in groups:
        assert [order_of[i] for i in g] == sorted(order_of[i] for i in g)
    assert [order_of[g[0]] for g in groups] == sorted(order_of[g[0]] for g in groups)


@given(lines=lines_st, limit=sizes)
def test_the_plan_is_accepted_by_the_split_check(lines, limit):
    groups = plan_split(lines, limit)
    if groups is None:
        return
    rec = OrderRecord(order=order("1"))
    rec.order.lines = [
        rec.order.lines[0].model_copy(update={"line_id": ln.line_id}) for ln in lines
    ]
    assert split_problem(rec, groups) is None


def test_first_fit_packs_into_as_few_parcels_as_it_finds():
    lines = [LineSize("a", Decimal(2)), LineSize("b", Decimal(3)), LineSize("c", Decimal(1))]
    assert plan_split(lines, Decimal(3)) == [["a", "c"], ["b"]]
    assert plan_split(lines, Decimal(6)) is None
    assert plan_split([LineSize("big", Decimal(50))], Decimal(3)) is None


def test_a_ship_alone_line_leaves_the_rest_together():
    lines = [LineSize("a", Decimal(1)), LineSize("b", Decimal(1), alone=True), LineSize("c", 1)]
    assert plan_split(lines, None) == [["a", "c"], ["b"]]


units_st = st.lists(st.tuples(sizes, st.integers(1, 9), st.booleans()), min_size=1, max_size=8).map(
    lambda xs: [
        LineSize(f"L{i}", unit * n, alone=alone, quantity=n)
        for i, (unit, n, alone) in enumerate(xs)
    ]
)


@given(lines=units_st, limit=st.none() | sizes)
def test_a_quantity_plan_ships_every_unit_once_and_keeps_the_rules(lines, limit):
    parcels = plan_parcels(lines, limit)
    assert parcels == plan_parcels(list(lines), limit)  # deterministic
    if parcels is None:
        return
    assert len(parcels) >= 2 and all(parcels)
    by_id = {ln.line_id: ln for ln in lines}
    for ln in lines:  # every unit of every line, once
        assert sum(p.get(ln.line_id, 0) for p in parcels) == ln.quantity
    for parcel in parcels:
        assert all(q >= 1 for q in parcel.values())
        if any(by_id[i].alone for i in parcel):
            assert len(parcel) == 1  # a ship-alone product shares its parcel with nothing
        size = sum(by_id[i].size / by_id[i].quantity * q for i, q in parcel.items())
        if limit is not None and size > limit:
            assert list(parcel.values()) == [1]  # only a single unit may exceed the limit
    for ln in lines:  # a line is divided only when it breaks the limit on its own
        if sum(1 for p in parcels if ln.line_id in p) > 1:
            assert limit is not None and ln.size > limit
    rec = OrderRecord(order=order("1"))
    base = rec.order.lines[0]
    rec.order.lines = [
        base.model_copy(update={"line_id": ln.line_id, "quantity": Decimal(ln.quantity)})
        for ln in lines
    ]
    assert parcel_problem(rec, parcels) is None


def test_a_line_over_the_limit_is_divided_into_runs_that_fit():
    lines = [LineSize("big", Decimal(40), quantity=4), LineSize("small", Decimal(3))]
    # 10-desi units, limit 25: runs of two; the small line joins a run with room for it
    assert plan_parcels(lines, Decimal(25)) == [{"big": 2, "small": 1}, {"big": 2}]
    assert divides_a_line(plan_parcels(lines, Decimal(25)) or [])
    assert plan_split(lines, Decimal(25)) == [["big"], ["small"]]  # by line: over the limit
    assert plan_parcels([LineSize("one", Decimal(40))], Decimal(25)) is None  # one unit
    assert plan_parcels(lines, Decimal(50)) is None


@pytest.mark.parametrize(
    ("parcels", "problem"),
    [
        ([{"1-1": 1}], "at least two"),
        ([{"1-1": 1}, {}], "at least two"),
        ([{"1-1": 1}, {"zz": 1}], "not in the order"),
        ([{"1-1": 1}, {"1-1": 0}], "at least 1"),
        ([{"1-1": 1}, {"1-1": 5}], "add up"),
        ([{"1-1": 1}, {"1-1": True}], "whole number"),
    ],
)
def test_a_quantity_split_that_loses_or_invents_units_is_refused(parcels, problem):
    rec = OrderRecord(order=order("1"))
    rec.order.lines = [rec.order.lines[0].model_copy(update={"line_id": "1-1"})]
    assert problem in (parcel_problem(rec, parcels) or "")


def record(state: OrderState, *, checked: bool = False) -> OrderRecord:
    rec = OrderRecord(order=order("1"))
    rec.order.state = state
    rec.flags.split_checked = checked
    return rec


def test_a_new_package_is_checked_against_the_rules_before_stock_is_reserved():
    rec = record(OrderState.RECEIVED)
    assert due_steps(rec, now=NOW, auto_approve=True, split_rules=True) == [Step.SPLIT]
    assert due_steps(rec, now=NOW, auto_approve=True) == [Step.RESERVE]
    checked = record(OrderState.RECEIVED, checked=True)
    assert due_steps(checked, now=NOW, auto_approve=True, split_rules=True) == [Step.RESERVE]


@given(state=st.sampled_from(list(OrderState)), checked=st.booleans(), rules=st.booleans())
def test_split_is_only_ever_planned_for_a_new_unchecked_package(state, checked, rules):
    due = due_steps(record(state, checked=checked), now=NOW, auto_approve=True, split_rules=rules)
    assert (Step.SPLIT in due) == (state is OrderState.RECEIVED and rules and not checked)


def test_split_rules_are_validated():
    assert not SplitRules().active
    assert SplitRules(max_parcel_desi=Decimal(30)).active
    assert SplitRules(ship_alone_skus=["TRM-500"]).active
    for bad in ({"max_parcel_desi": 0}, {"max_parcel_desi": -5}, {"max_desi": 3}):
        with pytest.raises(ValidationError):
            SplitRules.model_validate(bad)


def _two_lines(package: str) -> list:
    base = order(package).lines[0]
    return [base.model_copy(update={"line_id": f"{package}-{n}"}) for n in (1, 2)]


@pytest.fixture
def split_engine(store, world, clock):
    from kervan.engine import Engine

    from .fakes import Provider, Tenants

    # no product cards: each unit counts as the default parcel (1 desi, 0.5 kg), so two
    # lines of two units (4) break a 3-desi limit
    tenants = Tenants(split_rules=SplitRules(max_parcel_desi=Decimal(3)))
    return Engine(store=store, connectors=Provider(world, clock), tenants=tenants, clock=clock)


@pytest.mark.parametrize(
    "refusal",
    [
        None,  # the fake marketplace has no split at all (UnsupportedOperationError)
        RemoteRejectedError("Fake refused: package not splittable", remote="fake"),
    ],
)
async def test_a_split_the_source_will_not_make_ships_whole_and_says_why(
    refusal, split_engine, world, store, monkeypatch
):
    from .fakes import FakeSource

    if refusal is not None:

        async def refuse(self, order, groups):
            raise refusal

        monkeypatch.setattr(FakeSource, "split_package", refuse, raising=False)
    world.packages["s1"] = order("s1", lines=_two_lines("s1"))
    await split_engine.ingest("t1", "ty")
    assert await split_engine.advance("t1", "ty:s1") is OrderState.BOOKED
    rec = OrderRecord.from_body(store.tenant("t1").get("order", "ty:s1").body)
    note = next(e for e in rec.order.timeline if e.step == "split")
    assert note.outcome == "skipped" and "did not split it" in (note.message or "")
    assert note.data["groups"] == [["s1-1"], ["s1-2"]]
    assert rec.flags.split_checked and not rec.flags.split_requested


async def test_a_source_that_is_down_is_asked_again_later(split_engine, world, store, monkeypatch):
    from .fakes import FakeSource

    calls = []

    async def down(self, order, groups):
        calls.append(groups)
        raise RemoteUnavailableError("Fake is down", remote="fake")

    monkeypatch.setattr(FakeSource, "split_package", down, raising=False)
    world.packages["s2"] = order("s2", lines=_two_lines("s2"))
    await split_engine.ingest("t1", "ty")
    with pytest.raises(RemoteUnavailableError):
        await split_engine.advance("t1", "ty:s2")
    rec = OrderRecord.from_body(store.tenant("t1").get("order", "ty:s2").body)
    assert not rec.flags.split_checked and rec.order.state is OrderState.RECEIVED
    assert rec.attempts == 1 and rec.due_at is not None  # retried after a backoff
    assert calls == [[["s2-1"], ["s2-2"]]]


def _lines(package: str, *quantities: int) -> list:
    base = order(package).lines[0]
    return [
        base.model_copy(update={"line_id": f"{package}-{n}", "quantity": Decimal(q)})
        for n, q in enumerate(quantities, 1)
    ]


@pytest.mark.parametrize("by_quantity", [True, False])
async def test_a_line_over_the_limit_is_divided_where_the_source_can_and_by_line_elsewhere(
    by_quantity, split_engine, world, store, monkeypatch
):
    from .fakes import FakeSource

    asked: list = []

    async def by_line(self, order, groups):
        asked.append(("groups", groups))
        return RemoteRef(request_id="req-line")

    async def by_units(self, order, parcels):
        asked.append(("parcels", parcels))
        return RemoteRef(request_id="req-qty")

    monkeypatch.setattr(FakeSource, "split_package", by_line, raising=False)
    if by_quantity:
        monkeypatch.setattr(FakeSource, "split_package_by_quantity", by_units, raising=False)
    # 1-desi units, limit 3: four of the first line and two of the second
    world.packages["q1"] = order("q1", lines=_lines("q1", 4, 2))
    await split_engine.ingest("t1", "ty")
    await split_engine.advance("t1", "ty:q1")
    rec = OrderRecord.from_body(store.tenant("t1").get("order", "ty:q1").body)
    note = next(e for e in rec.order.timeline if e.step == "split")
    assert note.outcome == "ok" and rec.flags.split_requested
    if by_quantity:
        want = [{"q1-1": 3}, {"q1-1": 1, "q1-2": 2}]
        assert asked == [("parcels", want)] and note.data["parcels"] == want
        assert note.request_id == "req-qty"
    else:  # the fake source cannot divide a line: the line plan instead
        assert asked == [("groups", [["q1-1"], ["q1-2"]])]
        assert note.data["groups"] == [["q1-1"], ["q1-2"]]


async def test_one_line_that_cannot_be_divided_ships_whole(split_engine, world, store):
    world.packages["q2"] = order("q2", lines=_lines("q2", 5))
    await split_engine.ingest("t1", "ty")
    assert await split_engine.advance("t1", "ty:q2") is OrderState.BOOKED
    rec = OrderRecord.from_body(store.tenant("t1").get("order", "ty:q2").body)
    note = next(e for e in rec.order.timeline if e.step == "split")
    assert note.outcome == "skipped" and note.data["parcels"] == [{"q2-1": 3}, {"q2-1": 2}]
