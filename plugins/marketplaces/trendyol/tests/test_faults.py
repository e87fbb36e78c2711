"""Faults on the wire: 429 bursts, 5xx, overlapping pages, malformed bodies, lost answers.

In every case the fetched set of packages is exactly the sandbox's: none lost, none twice.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta

import httpx
import pytest
from kervan.errors import InvalidResponseError, RateLimitedError
from kervan_sdk.http import NO_RETRY
from kervan_sdk.sandbox import Fault
from kervan_trendyol.sandbox import TrendyolSandbox

from .conftest import fetch, make_connector
from .test_orders import invoice_for

ORDERS = "*/orders"


@pytest.fixture
def big() -> TrendyolSandbox:
    sandbox = TrendyolSandbox(seed=9)
    sandbox.seed_random(47)
    return sandbox


async def fetch_small_pages(sandbox: TrendyolSandbox):
    connector = make_connector(sandbox, page_size=10)
    try:
        return await fetch(connector)
    finally:
        await connector.aclose()


def assert_exactly_once(orders, sandbox) -> None:
    ids = [o.package_id for o in orders]
    assert len(ids) == len(set(ids)), "a package was yielded twice"
    assert set(ids) == {str(pid) for pid in sandbox.packages}, "a package was lost"


async def test_429_burst_is_waited_out(big):
    big.faults.add(Fault("rate_limit", path=ORDERS, times=3, retry_after=2))
    orders = await fetch_small_pages(big)
    assert_exactly_once(orders, big)
    assert [r.status for r in big.requests].count(429) == 3
    assert big.clock.sleeps.count(2.0) >= 3  # Retry-After honoured, on simulated time


async def test_5xx_on_a_middle_page_is_retried(big):
    big.faults.add(Fault("status", path=ORDERS, status=502, times=2))
    big.faults.add(Fault("status", path=ORDERS, status=503, times=1))
    orders = await fetch_small_pages(big)
    assert_exactly_once(orders, big)
    assert sum(1 for r in big.requests if r.status >= 500) == 3


async def test_overlapping_and_duplicate_pages_are_deduplicated(big):
    big.faults.add(Fault("overlap_page", path=ORDERS, times=2))
    big.faults.add(Fault("duplicate_page", path=ORDERS, times=1))
    orders = await fetch_small_pages(big)
    assert_exactly_once(orders, big)
    assert len(big.faults.fired) == 3


async def test_malformed_body_is_read_again(big):
    big.faults.add(Fault("malformed", path=ORDERS, times=2))
    orders = await fetch_small_pages(big)
    assert_exactly_once(orders, big)


async def test_persistently_malformed_body_raises_instead_of_losing_orders(big):
    big.faults.add(Fault("malformed", path=ORDERS, times=10))
    connector = make_connector(big)
    with pytest.raises(InvalidResponseError):
        await fetch(connector)
    await connector.aclose()


async def test_timeouts_on_reads_are_retried(big):
    # times=1: with more uses queued, the SDK's in-process middleware takes the next use on
    # the same request and really sleeps 60 s (reported to the SDK owner)
    big.faults.add(Fault("timeout", path=ORDERS, times=1))
    orders = await fetch_small_pages(big)
    assert_exactly_once(orders, big)


async def test_all_faults_together(big):
    for fault in (
        Fault("rate_limit", path=ORDERS, times=2, retry_after=1),
        Fault("status", path=ORDERS, status=500, times=2),
        Fault("overlap_page", path=ORDERS, times=2),
        Fault("malformed", path=ORDERS, times=1),
        Fault("timeout", path=ORDERS, times=1),
    ):
        big.faults.add(fault)
    orders = await fetch_small_pages(big)
    assert_exactly_once(orders, big)


async def test_packages_leaving_the_window_while_paging_do_not_hide_others(big):
    """Two packages already read leave the window mid-pass (one modified after ``endDate``,
    one moved out): later packages shift to earlier pages. ``totalElements`` changes, so the
    window is read again and nothing is skipped; the modified one comes with the next fetch."""
    for n, pid in enumerate(sorted(big.packages)):  # distinct timestamps: a stable order
        big.packages[pid]["lastModifiedDate"] -= n * 1000
    connector = make_connector(big, page_size=10)
    inner = connector.client._http._transport
    first_page = [
        p for p, _ in sorted(big.packages.items(), key=lambda kv: -kv[1]["lastModifiedDate"])
    ][:10]
    touched, moved = first_page[0], first_page[1]
    calls = []

    class Meddler(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await inner.handle_async_request(request)
            calls.append(request.url.params.get("page"))
            if len(calls) == 2:
                big.clock.advance(1)
                big.set_status(touched, "Picking")  # now newer than this fetch's endDate
                big.packages[moved]["lastModifiedDate"] -= 10 * 24 * 3600 * 1000
            return response

    connector.client._http._transport = Meddler()
    until = big.clock.now()
    orders = [o async for o in connector.fetch_orders(until - timedelta(days=1), until)]
    seen = [o.package_id for o in orders]
    expected = {str(p) for p in big.packages} - {str(touched), str(moved)}
    assert expected <= set(seen)
    assert len(seen) == len(set(seen))
    assert calls.count("0") >= 2  # the window was read again
    later = [o async for o in connector.fetch_orders(until)]
    assert [(o.package_id, o.remote_status) for o in later] == [(str(touched), "Picking")]
    await connector.aclose()


async def test_lost_answer_on_invoice_link_is_found_by_lookup_not_resent(sandbox, trendyol):
    order = next(o for o in await fetch(trendyol) if not o.micro_export)
    sandbox.faults.add(Fault("timeout", path="*/seller-invoice-links"))
    url = "https://earsiv.example/lost.pdf"
    ref = await trendyol.send_invoice_link(order, invoice_for(order, at=sandbox.clock.now()), url)
    assert ref.already_done is False
    assert sandbox.packages[int(order.package_id)]["invoiceLink"] == url
    links = [r for r in sandbox.requests if r.path.endswith("/seller-invoice-links")]
    assert [r.status for r in links] == [201]  # sent once; the lookup found it


async def test_5xx_on_invoice_link_post_is_not_blindly_resent(sandbox, trendyol):
    order = next(o for o in await fetch(trendyol) if not o.micro_export)
    sandbox.faults.add(Fault("status", path="*/seller-invoice-links", status=500))
    url = "https://earsiv.example/after-500.pdf"
    await trendyol.send_invoice_link(order, invoice_for(order, at=sandbox.clock.now()), url)
    assert sandbox.packages[int(order.package_id)]["invoiceLink"] == url
    statuses = [r.status for r in sandbox.requests if r.path.endswith("/seller-invoice-links")]
    assert statuses == [500, 201]  # the lookup saw no link, so sending again was safe


async def test_lost_answer_on_create_claim_does_not_create_two(sandbox, trendyol):
    order = (await fetch(trendyol))[0]
    sandbox.set_status(int(order.package_id), "Delivered")  # claims are of delivered goods
    sandbox.faults.add(Fault("timeout", path="*/claims/create"))
    ref = await trendyol.create_claim(order, {order.lines[0].line_id: 1}, "401")
    assert list(sandbox.claims) == [ref.remote_id]


async def test_real_429_from_a_busy_seller_is_backed_off(sandbox, trendyol):
    """Another integration used up this seller's window: Trendyol's own 429 (no Retry-After)."""
    now = sandbox.clock.now().timestamp()
    sandbox._hits["GET orders"] = deque([now] * 50)
    orders = await fetch(trendyol)
    assert len(orders) == 12
    assert [r.status for r in sandbox.requests].count(429) >= 1
    assert sandbox.clock.slept >= 10


async def test_429_error_carries_the_window_as_retry_after(sandbox, client):
    now = sandbox.clock.now().timestamp()
    sandbox._hits["GET orders"] = deque([now] * 50)
    client.retry = NO_RETRY
    with pytest.raises(RateLimitedError) as err:
        await client.get_packages({"size": 1})
    assert err.value.retry_after == 10.0
