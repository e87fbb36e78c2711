"""Standard tests for order sources (marketplaces and storefronts)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

import pytest
from kervan.domain import Order
from kervan.errors import RateLimitedError

from ..sandbox import Fault
from .factories import make_orders, make_scenario
from .harness import CONNECTION_ID, TENANT_ID, Harness, SuiteConfig

RETRY_AFTER = 20.0


def seed(kit: Harness) -> list[Order]:
    """Seed ``order_count`` orders into the sandbox; return them as the remote holds them."""
    orders = make_orders(
        kit.config.order_count,
        tenant_id=TENANT_ID,
        connection_id=CONNECTION_ID,
        source=kit.key,
        now=kit.clock.now(),
    )
    kit.sandbox.seed_scenario(make_scenario(orders))
    return orders


async def fetch_all(kit: Harness) -> list[Order]:
    """One import run: everything changed in the last week."""
    async with kit.connected() as connector:
        since = kit.clock.now() - timedelta(days=7)
        return [order async for order in connector.fetch_orders(since)]


def package_ids(orders: list[Order]) -> set[str]:
    return {order.package_id for order in orders}


class OrderSourceContract:
    """What the engine relies on when it imports orders."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_order_source_returns_valid_domain_orders(self, kit: Harness) -> None:
        seeded = seed(kit)
        fetched = await fetch_all(kit)
        assert fetched, "fetch_orders yielded nothing from a seeded sandbox"
        for order in fetched:
            assert isinstance(order, Order)
            Order.model_validate(order.model_dump())  # every invariant holds
            assert order.tenant_id == TENANT_ID and order.connection_id == CONNECTION_ID
            assert order.source == kit.key
        assert package_ids(fetched) == package_ids(seeded)

    @pytest.mark.asyncio
    async def test_order_source_external_ids_are_stable(self, kit: Harness) -> None:
        seed(kit)
        first, second = await fetch_all(kit), await fetch_all(kit)
        for order in first + second:
            assert order.id == f"{CONNECTION_ID}:{order.package_id}", "Order.id breaks the contract"
        assert {o.id: o.order_number for o in first} == {o.id: o.order_number for o in second}

    @pytest.mark.asyncio
    async def test_order_source_pages_completely_under_overlapping_pages(
        self, kit: Harness
    ) -> None:
        seeded = seed(kit)
        kit.sandbox.faults.add(Fault("overlap_page"))
        kit.sandbox.faults.add(Fault("duplicate_page"))
        fetched = await fetch_all(kit)
        assert package_ids(fetched) == package_ids(seeded), "records were lost while paging"
        assert not kit.sandbox.faults.pending(), (
            "the sandbox never served a third page, so paging went untested: pass a larger "
            "order_count to connector_suite, or page with paginate() in the sandbox"
        )

    @pytest.mark.asyncio
    async def test_order_source_creates_no_duplicates_on_second_run(self, kit: Harness) -> None:
        seeded = seed(kit)
        store: dict[str, Order] = {}  # the engine keeps one order per id
        for _ in range(2):
            for order in await fetch_all(kit):
                store[order.id] = order
        assert len(store) == len(seeded), (
            f"two runs over {len(seeded)} packages left {len(store)} distinct orders"
        )

    @pytest.mark.asyncio
    async def test_order_source_survives_injected_rate_limits_and_server_errors(
        self, kit: Harness
    ) -> None:
        seeded = seed(kit)
        kit.sandbox.faults.add(Fault("rate_limit", method="GET", retry_after=2, times=2))
        kit.sandbox.faults.add(Fault("status", method="GET", status=503))
        kit.sandbox.faults.add(Fault("status", method="GET", status=502))
        fetched = await fetch_all(kit)
        assert package_ids(fetched) == package_ids(seeded)
        assert not kit.sandbox.faults.pending(), "the injected faults were never hit"

    @pytest.mark.asyncio
    async def test_order_source_honours_retry_after(self, kit: Harness) -> None:
        seed(kit)
        kit.sandbox.faults.add(Fault("rate_limit", method="GET", retry_after=RETRY_AFTER))
        try:
            await fetch_all(kit)
        except RateLimitedError as exc:  # handing the wait to the engine is fine too
            assert exc.retry_after is not None and exc.retry_after >= RETRY_AFTER
        timeline = kit.sandbox.timeline
        limited = [i for i, r in enumerate(timeline) if r.status == 429]
        assert limited, "the injected 429 was never hit"
        for i in limited:
            later = [r for r in timeline[i + 1 :] if r.path == timeline[i].path]
            if later:
                waited = (later[0].at - timeline[i].at).total_seconds()
                assert waited >= RETRY_AFTER, (
                    f"asked again {waited:g}s after a 429 with Retry-After: {RETRY_AFTER:g}"
                )
