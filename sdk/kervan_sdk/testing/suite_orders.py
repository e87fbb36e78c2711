"""Standard tests for order sources (marketplaces and storefronts)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from kervan import RecordProblem, RemoteRef
from kervan.domain import Order
from kervan.errors import RateLimitedError

from ..sandbox import Fault
from .factories import make_orders, make_scenario
from .harness import CONNECTION_ID, TENANT_ID, Harness, SuiteConfig, add_transient_read_faults

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


async def fetch_everything(kit: Harness) -> tuple[list[Order], list[RecordProblem]]:
    """One import run: everything changed in the last week, orders and problems apart."""
    orders: list[Order] = []
    problems: list[RecordProblem] = []
    async with kit.connected() as connector:
        since = kit.clock.now() - timedelta(days=7)
        async for item in connector.fetch_orders(since):
            (problems if isinstance(item, RecordProblem) else orders).append(item)
    return orders, problems


async def fetch_all(kit: Harness) -> list[Order]:
    """One import run over records that are all good: the orders (a problem fails the test)."""
    orders, problems = await fetch_everything(kit)
    assert not problems, f"a well-formed record came back as a problem: {problems[0].reason}"
    return orders


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
        add_transient_read_faults(kit)
        fetched = await fetch_all(kit)
        assert package_ids(fetched) == package_ids(seeded)
        assert not kit.sandbox.faults.pending(), "the injected faults were never hit"

    @pytest.mark.asyncio
    async def test_order_source_quarantines_a_malformed_record_and_keeps_the_good_ones(
        self, kit: Harness
    ) -> None:
        seeded = seed(kit)
        kit.sandbox.faults.add(Fault("damaged_record", method="GET"))
        orders, problems = await fetch_everything(kit)  # one bad record must not raise
        assert kit.sandbox.faults.damaged, (
            "the sandbox never served a list of records with a nested part to damage: list "
            "endpoints must answer JSON with the records in a list"
        )
        assert problems, (
            "a record with broken parts was neither mapped nor reported: yield a "
            "kervan.RecordProblem in its place (kervan_sdk.map_record does it)"
        )
        problem = problems[0]
        assert problem.kind == "order" and problem.reason and isinstance(problem.raw, dict)
        assert problem.remote_id in package_ids(seeded), (
            f"the problem's remote_id {problem.remote_id!r} is not the package id of the "
            "record: name it, so a later good version of the package settles the problem"
        )
        lost = package_ids(seeded) - package_ids(orders) - {problem.remote_id}
        assert not lost, f"good packages on the same page were lost with the bad one: {lost}"
        async with kit.connected() as connector:
            with pytest.raises(Exception):  # noqa: B017 - still broken: the replay keeps it
                connector.map_order(problem.raw)
            fixed = connector.map_order(kit.sandbox.faults.damaged[0])
        assert isinstance(fixed, Order) and fixed.package_id == problem.remote_id, (
            "map_order must map a raw record the way fetch_orders does (problems are "
            "replayed through it)"
        )

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


class SplitContract:
    """For an order source that offers ``split_package``: what a split must leave behind."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_order_source_split_is_done_once_and_keeps_every_unit(self, kit: Harness) -> None:
        seed(kit)
        order = _pick(await fetch_all(kit), lambda o: len(o.lines) >= 2)
        lines = [line.line_id for line in order.lines]
        groups = [lines[:1], lines[1:]]
        await _split_twice(kit, "split_package", order, groups)
        _check_replaced(order, await _after_split(kit), len(groups))


class QuantitySplitContract:
    """For an order source that offers ``split_package_by_quantity``."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_order_source_quantity_split_is_done_once_and_keeps_every_unit(
        self, kit: Harness
    ) -> None:
        seed(kit)
        order = _pick(await fetch_all(kit), lambda o: any(ln.quantity >= 2 for ln in o.lines))
        line = next(ln for ln in order.lines if ln.quantity >= 2)
        rest = {ln.line_id: int(ln.quantity) for ln in order.lines if ln is not line}
        parcels = [{line.line_id: 1}, {line.line_id: int(line.quantity) - 1, **rest}]
        await _split_twice(kit, "split_package_by_quantity", order, parcels)
        _check_replaced(order, await _after_split(kit), len(parcels))


def _pick(orders: list[Order], want: Callable[[Order], bool]) -> Order:
    found = next((o for o in orders if want(o) and not o.superseded), None)
    assert found is not None, "no seeded order fits this test: raise order_count"
    return found


async def _split_twice(kit: Harness, method: str, order: Order, plan: Any) -> None:
    """Ask for the same split twice, as an engine does when it crashed after the first."""
    async with kit.connected() as connector:
        await getattr(connector, method)(order, plan)
        again = await getattr(connector, method)(order, plan)  # must not raise
        assert isinstance(again, RemoteRef)


async def _after_split(kit: Harness) -> list[Order]:
    kit.clock.advance(300)  # a marketplace may make the new packages asynchronously
    return await fetch_all(kit)


def _check_replaced(order: Order, after: list[Order], parts: int) -> None:
    """The original comes back superseded; exactly ``parts`` new packages carry every unit
    of it, and the buyer pays what the one package asked."""
    by_id = {o.id: o for o in after}
    assert order.id in by_id and by_id[order.id].superseded, (
        "the split package must come back with Order.superseded set"
    )
    children = [o for o in after if o.order_number == order.order_number and o.id != order.id]
    assert len(children) == parts, (
        f"a split into {parts} asked twice left {len(children)} new packages"
    )

    def units(orders: list[Order]) -> Counter[str]:
        count: Counter[str] = Counter()
        for o in orders:
            for line in o.lines:
                count[line.barcode] += int(line.quantity)
        return count

    assert units(children) == units([order]), "units were lost or invented by the split"
    payable = sum((line.payable for o in children for line in o.lines), Decimal(0))
    assert payable == sum((line.payable for line in order.lines), Decimal(0)), (
        "the new packages ask a different amount than the one they replace"
    )
