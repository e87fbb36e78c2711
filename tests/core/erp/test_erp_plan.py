"""The ERP plan: what one outbox event asks of an ERP connection, given what it already has.

Examples for each rule, then a property over any interleaving of an order's events (in
order, as the outbox gives them, an event that waits retried after the next): each posting is
made at most once, the customer card before the invoice, the invoice before anything that
refers to it, and no payment or return after the sale was reversed."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from kervan.erp import plan
from kervan.erp.events import INVOICED, RETURNED, REVERSE, SETTLED


def ev(topic: str, **kw: Any) -> dict[str, Any]:
    return {"topic": topic, "order_id": "o1", "invoice_id": "sale:o1", **kw}


def keys(p: Any) -> list[str]:
    return [x.key for x in p.postings]


def test_an_invoiced_order_gets_its_customer_card_then_its_invoice() -> None:
    assert keys(plan(ev(INVOICED), set())) == ["customer", "invoice"]
    assert keys(plan(ev(INVOICED), {"customer"})) == ["invoice"]
    assert keys(plan(ev(INVOICED), {"customer", "invoice"})) == []


def test_a_payment_waits_for_the_invoice_and_is_one_per_payout() -> None:
    settled = ev(SETTLED, reference="PO-9")
    assert plan(settled, {"customer"}).wait == "the sales invoice is not posted yet"
    assert keys(plan(settled, {"customer", "invoice"})) == ["payment:PO-9"]
    assert keys(plan(settled, {"invoice", "payment:PO-9"})) == []
    assert keys(plan(ev(SETTLED, reference="PO-10"), {"invoice", "payment:PO-9"})) == [
        "payment:PO-10"
    ]


def test_a_reversed_sale_takes_no_payment_and_an_unposted_one_needs_no_reversal() -> None:
    assert plan(ev(SETTLED, reference="P"), {"invoice", "reversal"}).skip
    assert plan(ev(REVERSE), {"customer"}).skip == "nothing was posted, so nothing is reversed"
    assert keys(plan(ev(REVERSE), {"invoice"})) == ["reversal"]
    assert keys(plan(ev(REVERSE), {"invoice", "reversal"})) == []


def test_a_return_posts_its_voucher_or_return_and_a_cancelled_earsiv_reverses() -> None:
    posted = {"customer", "invoice"}
    voucher = ev(RETURNED, route="expense_voucher", claim_id="c1", lines={"l1": 1})
    assert keys(plan(voucher, posted)) == ["expense_voucher:c1"]
    iade = ev(RETURNED, route="buyer_return_invoice", claim_id="c2", lines={"l1": 1})
    assert keys(plan(iade, posted)) == ["return:c2"]
    assert keys(plan(ev(RETURNED, route="earsiv_cancelled", claim_id="c3"), posted)) == ["reversal"]
    assert plan(ev(RETURNED, route="none", claim_id="c4"), posted).skip
    assert plan(voucher, set()).wait


def test_an_event_of_another_topic_posts_nothing() -> None:
    assert plan({"topic": "order.shipped"}, set()).skip == "not an ERP event (order.shipped)"


EVENTS = st.one_of(
    st.just(ev(INVOICED)),
    st.builds(lambda r: ev(SETTLED, reference=r), st.sampled_from(["PO-1", "PO-2"])),
    st.just(ev(REVERSE)),
    st.builds(
        lambda route, claim: ev(RETURNED, route=route, claim_id=claim, lines={"l1": 1}),
        st.sampled_from(["expense_voucher", "buyer_return_invoice", "earsiv_cancelled", "none"]),
        st.sampled_from(["c1", "c2"]),
    ),
)


def deliver(events: list[dict[str, Any]]) -> list[str]:
    """Postings made, in order, for ``events`` read as the flow reads them: an event that
    waits holds the ones after it until a later pass (each pass is one ``erp_post`` run)."""
    posted: list[str] = []
    pending = list(events)
    for _ in range(len(events) + 1):
        still: list[dict[str, Any]] = []
        for event in pending:
            if still:  # held behind an earlier event of the order
                still.append(event)
                continue
            p = plan(event, set(posted))
            if p.wait:
                still.append(event)
                continue
            posted.extend(keys(p))
        pending = still
    return posted


@settings(max_examples=60, deadline=None)
@given(st.lists(EVENTS, max_size=8), st.lists(EVENTS, max_size=3))
def test_postings_are_made_once_and_in_an_order_the_books_accept(
    events: list[dict[str, Any]], again: list[dict[str, Any]]
) -> None:
    # redelivered events (``again``) come on top of the first delivery
    posted = deliver(events + again + events)
    assert len(posted) == len(set(posted)), posted
    if "invoice" in posted:
        assert posted.index("customer") < posted.index("invoice")
    for i, key in enumerate(posted):
        if key not in ("customer", "invoice"):
            assert "invoice" in posted[:i], posted
    if "reversal" in posted:
        after = posted[posted.index("reversal") + 1 :]
        assert not [k for k in after if k.startswith(("payment", "return", "expense"))], posted
