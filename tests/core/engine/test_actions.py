"""A person's actions apply only where the order's state allows them: the rule (pure) and the
engine refusing before it changes anything."""

from __future__ import annotations

import pytest
from kervan.domain import DocumentStatus, OrderState
from kervan.engine.actions import Action, action_problem, check_action
from kervan.engine.records import ORDER, OrderRecord
from kervan.errors import StateConflictError

from .fakes import order

S = OrderState
BEFORE_INVOICE = [S.RECEIVED, S.ON_HOLD, S.STOCK_RESERVED, S.CLASSIFIED]
AFTER_INVOICE = [S.INVOICED, S.ACCEPTED, S.PACKAGED, S.BOOKED, S.PACKED]


def rec(state: OrderState, **changes) -> OrderRecord:
    r = OrderRecord(order=order("a1"))
    r.order.state = state
    for name, value in changes.items():
        if name in ("superseded", "source_cancelled"):
            setattr(r.order, name, value)
        elif hasattr(r.flags, name):
            setattr(r.flags, name, value)
        else:
            setattr(r, name, value)
    return r


# -- cancel ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", BEFORE_INVOICE + AFTER_INVOICE)
def test_an_order_can_be_cancelled_until_the_carrier_has_it(state):
    assert action_problem(rec(state), Action.CANCEL) is None


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (S.DELIVERED, "return instead"),
        (S.SHIPPED, "carrier has the parcel"),
        (S.CANCELLED, "already cancelled"),
    ],
)
def test_a_delivered_shipped_or_cancelled_order_cannot_be_cancelled(state, why):
    assert why in action_problem(rec(state), Action.CANCEL)


def test_a_picked_up_parcel_cannot_be_cancelled_even_before_the_state_says_shipped():
    assert "carrier" in action_problem(rec(S.BOOKED, picked_up=True), Action.CANCEL)


def test_an_order_replaced_by_a_split_cannot_be_cancelled():
    assert "split" in action_problem(rec(S.RECEIVED, superseded=True), Action.CANCEL)


def test_a_failed_order_is_judged_by_where_it_stopped():
    assert action_problem(rec(S.FAILED, failed_from=S.INVOICED), Action.CANCEL) is None
    delivered = rec(S.FAILED, failed_from=S.DELIVERED)
    assert "return" in action_problem(delivered, Action.CANCEL)


def test_a_cancellation_under_way_may_be_asked_again():
    assert action_problem(rec(S.INVOICED, source_cancelled=True), Action.CANCEL) is None


# -- approve ---------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [*BEFORE_INVOICE, S.INVOICED])
def test_an_order_not_yet_accepted_can_be_approved(state):
    assert action_problem(rec(state), Action.APPROVE) is None


@pytest.mark.parametrize("state", [S.ACCEPTED, S.PACKAGED, S.BOOKED, S.SHIPPED, S.DELIVERED])
def test_an_order_past_acceptance_cannot_be_approved(state):
    assert "past approval" in action_problem(rec(state), Action.APPROVE)


@pytest.mark.parametrize(
    ("r", "why"),
    [
        (rec(S.INVOICED, approved=True), "already approved"),
        (rec(S.CANCELLED), "cancelled"),
        (rec(S.INVOICED, source_cancelled=True), "being cancelled"),
        (rec(S.RECEIVED, superseded=True), "split"),
        (rec(S.RECEIVED, split_requested=True), "split"),
        (rec(S.FAILED, failed_from=S.INVOICED), "retry"),
    ],
)
def test_approval_that_would_do_nothing_is_refused(r, why):
    assert why in action_problem(r, Action.APPROVE)


def test_nothing_to_approve_where_the_tenant_auto_approves():
    assert "automatically" in action_problem(rec(S.INVOICED), Action.APPROVE, auto_approve=True)


# -- retry -----------------------------------------------------------------------------------


def test_only_a_failed_order_can_be_retried():
    assert action_problem(rec(S.FAILED, failed_from=S.CLASSIFIED), Action.RETRY) is None
    for state in [*BEFORE_INVOICE, *AFTER_INVOICE, S.DELIVERED, S.CANCELLED]:
        assert "has not failed" in action_problem(rec(state), Action.RETRY)


def test_an_order_whose_invoice_was_rejected_can_be_retried_or_cancelled():
    r = rec(S.FAILED, failed_from=S.INVOICED, invoice_status=DocumentStatus.REJECTED)
    assert action_problem(r, Action.RETRY) is None
    assert action_problem(r, Action.CANCEL) is None


# -- split -----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", BEFORE_INVOICE)
def test_a_package_can_be_split_before_invoicing(state):
    assert action_problem(rec(state), Action.SPLIT) is None


@pytest.mark.parametrize("state", [*AFTER_INVOICE, S.SHIPPED, S.DELIVERED, S.FAILED])
def test_a_package_cannot_be_split_once_invoiced(state):
    assert "only before invoicing" in action_problem(rec(state), Action.SPLIT)


def test_a_package_is_split_once():
    assert "already asked" in action_problem(rec(S.RECEIVED, split_requested=True), Action.SPLIT)


def test_the_error_carries_the_state_action_and_order():
    with pytest.raises(StateConflictError) as info:
        check_action(rec(S.DELIVERED), Action.CANCEL)
    err = info.value
    assert err.code == "state_conflict"
    assert err.detail == {"order_id": "ty:a1", "action": "cancel", "state": "delivered"}
    assert err.message.startswith("cannot cancel order ty:a1: it was delivered")


# -- the engine refuses before it changes anything -------------------------------------------


def _stored(store, oid: str) -> OrderRecord:
    return OrderRecord.from_body(store.tenant("t1").get(ORDER, oid).body)


def _put(store, r: OrderRecord) -> None:
    store.tenant("t1").upsert(ORDER, r.order.id, r.to_body())


async def test_the_engine_refuses_a_delivered_orders_cancellation_and_leaves_it_alone(
    engine, store
):
    _put(store, rec(S.DELIVERED))
    before = store.tenant("t1").get(ORDER, "ty:a1")
    with pytest.raises(StateConflictError, match="return"):
        await engine.cancel("t1", "ty:a1", "user:ayse")
    after = store.tenant("t1").get(ORDER, "ty:a1")
    assert after.cas == before.cas and not _stored(store, "ty:a1").order.source_cancelled


@pytest.mark.parametrize(
    ("state", "call"),
    [
        (S.CANCELLED, lambda e: e.cancel("t1", "ty:a1", "user:ayse")),
        (S.BOOKED, lambda e: e.approve("t1", "ty:a1", "user:ayse")),
        (S.BOOKED, lambda e: e.retry("t1", "ty:a1", "user:ayse")),
        (S.BOOKED, lambda e: e.split("t1", "ty:a1", [["a1-1"], ["a1-1"]], "user:ayse")),
    ],
)
async def test_each_action_the_state_does_not_allow_is_refused(engine, store, state, call):
    _put(store, rec(state))
    before = store.tenant("t1").get(ORDER, "ty:a1").cas
    with pytest.raises(StateConflictError):
        await call(engine)
    assert store.tenant("t1").get(ORDER, "ty:a1").cas == before


async def test_a_rejected_invoice_leaves_with_its_number_before_its_order_is_cancelled(
    engine, world, store
):
    from .test_lifecycle_fakes import run_all

    world.reject_submit = "Alıcı VKN hatalı"
    world.packages["rj"] = order("rj")
    await run_all(engine)
    failed = _stored(store, "ty:rj")
    assert failed.order.state is S.FAILED and failed.invoice_status is DocumentStatus.REJECTED
    number = next(iter(world.submitted.values()))
    # still rejected: the cancellation cannot withdraw a number GİB never saw, so it waits
    assert await engine.cancel("t1", "ty:rj", "user:ayse") is S.FAILED
    assert "same number" in (_stored(store, "ty:rj").last_error or "")
    world.reject_submit = None  # a person fixed the cause
    assert await engine.cancel("t1", "ty:rj", "user:ayse") is S.CANCELLED
    done = _stored(store, "ty:rj")
    assert done.failed_from is None and done.flags.cancel_done[0] == "invoice"
    # three documents went to the integrator (two rejected), all under the one number
    assert len(world.submitted) == 3 and set(world.submitted.values()) == {number}
    assert world.cancelled_docs == {max(world.submitted, key=list(world.submitted).index)}
    with pytest.raises(StateConflictError, match="already cancelled"):
        await engine.cancel("t1", "ty:rj", "user:ayse")
