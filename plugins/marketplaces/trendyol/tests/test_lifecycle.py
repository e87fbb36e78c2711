"""One package's life at Trendyol, as the engine drives it, on the sandbox clock."""

from __future__ import annotations

from datetime import timedelta

from kervan.domain import ClaimLineStatus

from .conftest import fetch, order_of
from .test_orders import invoice_for


async def test_package_from_order_to_approved_return(sandbox, trendyol):
    since = sandbox.clock.now() - timedelta(days=1)
    order = next(
        o for o in await fetch(trendyol, since) if o.cargo_tracking_number and not o.micro_export
    )
    await trendyol.accept(order)
    invoice = invoice_for(order, at=sandbox.clock.now())
    await trendyol.send_invoice_link(order, invoice, "https://earsiv.example/e1.pdf")
    await trendyol.mark_invoiced(order, invoice.number)
    label = await trendyol.fetch_label(order)
    assert label is not None and order.cargo_tracking_number in label.zpl

    sandbox.clock.advance(6 * 3600)  # the carrier picks it up
    assert order_of(await fetch(trendyol, since), order.package_id).remote_status == "Shipped"
    sandbox.clock.advance(36 * 3600)  # and delivers it
    assert (
        order_of(await fetch(trendyol, since + timedelta(days=1)), order.package_id).remote_status
        == "Delivered"
    )

    sandbox.customer_return(int(order.package_id), reason_id=551, arrived=False)
    (claim,) = [c async for c in trendyol.fetch_claims(sandbox.clock.now() - timedelta(hours=1))]
    assert claim.order_number == order.order_number and claim.package_id == order.package_id
    sandbox.clock.advance(24 * 3600)  # the parcel reaches the seller
    (claim,) = [c async for c in trendyol.fetch_claims(sandbox.clock.now() - timedelta(days=2))]
    assert {line.status for line in claim.lines} == {ClaimLineStatus.WAITING}
    await trendyol.approve_claim(claim, [line.id for line in claim.lines])
    (claim,) = [c async for c in trendyol.fetch_claims(sandbox.clock.now() - timedelta(days=2))]
    assert {line.status for line in claim.lines} == {ClaimLineStatus.ACCEPTED}
    history = [h["status"] for h in sandbox.packages[int(order.package_id)]["packageHistories"]]
    assert history == ["Created", "Picking", "Invoiced", "Shipped", "Delivered"]
