"""Standard tests for a channel's catalog side: listings, stock pushes and price pushes.

What the engine's catalog relies on (``kervan.catalog``): ``fetch_listings`` names every
product the channel lists, once, by a stable barcode, and reports a product it cannot map as a
:class:`~kervan.RecordProblem`; ``push_stock`` batches within the channel's limits and answers
once per barcode, item by item, without raising for one bad item or for a request the channel
refuses as a repeat. The sandbox is the witness: what was pushed must be what it shows
(:meth:`~kervan_sdk.sandbox.Sandbox.listing_quantity`, ``listing_price``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from kervan import RecordKind, RecordProblem
from kervan.domain import Listing, ProductCard, StockUpdate, StockUpdateResult, kurus

from ..sandbox import Fault, ListedPrice
from .factories import ean13, make_products, make_scenario
from .harness import CONNECTION_ID, TENANT_ID, Harness, SuiteConfig, add_transient_read_faults

#: items pushed when the connector declares no ``stock_batch_limit``: more than most channels
#: take in one call (Trendyol and n11 take 1,000)
DEFAULT_PUSH_COUNT = 2500
#: a barcode no seeded product has (the kit's barcodes are random 869… EAN-13s)
UNLISTED = ean13("869000000000")


# -- seeding and reading ----------------------------------------------------------------------


def seeded_stock(index: int) -> int:
    return 5 + index % 7


def seed_listings(kit: Harness, count: int | None = None) -> list[ProductCard]:
    """``count`` (default ``listing_count``) products on the channel, one barcode each, with
    ``seeded_stock(i)`` units and the card's prices."""
    cards = make_products(count or kit.config.listing_count, tenant_id=TENANT_ID)
    barcodes = [card.barcodes[0] for card in cards]
    assert len(set(barcodes)) == len(barcodes) and UNLISTED not in barcodes
    stock = {card.id: seeded_stock(i) for i, card in enumerate(cards)}
    kit.sandbox.seed_scenario(make_scenario(products=cards, stock=stock))
    return cards


def barcodes_of(items: Iterable[ProductCard | Listing]) -> set[str]:
    return {
        code
        for item in items
        for code in (item.barcodes if isinstance(item, ProductCard) else [item.barcode])
    }


async def fetch_listings(kit: Harness) -> tuple[list[Listing], list[RecordProblem]]:
    """One listings import: the listings and the problems apart (nothing may raise)."""
    listings: list[Listing] = []
    problems: list[RecordProblem] = []
    async with kit.connected() as connector:
        async for item in connector.fetch_listings():
            (problems if isinstance(item, RecordProblem) else listings).append(item)
    return listings, problems


async def fetch_good_listings(kit: Harness) -> list[Listing]:
    listings, problems = await fetch_listings(kit)
    assert not problems, f"a well-formed product came back as a problem: {problems[0].reason}"
    return listings


def shown_quantity(kit: Harness, barcode: str) -> int | None:
    return kit.sandbox.listing_quantity(barcode)


def shown_price(kit: Harness, barcode: str) -> ListedPrice | None:
    return kit.sandbox.listing_price(barcode)


async def push(kit: Harness, updates: list[StockUpdate]) -> list[StockUpdateResult]:
    """``push_stock`` on a fresh connector (it must not raise for what the channel refuses)."""
    async with kit.connected() as connector:
        results: list[StockUpdateResult] = await connector.push_stock(updates)
    return results


def one_per_barcode(
    results: list[StockUpdateResult], updates: list[StockUpdate]
) -> dict[str, StockUpdateResult]:
    """The results by barcode, after checking there is exactly one for each barcode pushed."""
    for result in results:
        assert isinstance(result, StockUpdateResult), f"push_stock answered {result!r}"
    counts = Counter(result.barcode for result in results)
    repeated = sorted(b for b, n in counts.items() if n > 1)
    assert not repeated, f"push_stock answered more than once for {repeated[:3]}"
    wanted = {u.barcode for u in updates}
    missing, extra = wanted - set(counts), set(counts) - wanted
    assert not missing, (
        f"push_stock gave no answer for {len(missing)} barcodes: {sorted(missing)[:3]}"
    )
    assert not extra, f"push_stock answered for barcodes never pushed: {sorted(extra)[:3]}"
    for result in results:
        assert result.ok or result.errors, (
            f"{result.barcode} failed without a reason: say what the channel answered"
        )
    return {result.barcode: result for result in results}


def refused(by_barcode: dict[str, StockUpdateResult]) -> list[str]:
    return [f"{b}: {r.errors}" for b, r in by_barcode.items() if not r.ok][:3]


def batch_limit(kit: Harness) -> int | None:
    limit = getattr(kit.config.connector_class, "stock_batch_limit", None)
    return int(limit) if limit else None


# -- listings --------------------------------------------------------------------------------


class ListingsContract:
    """For an order source that offers ``fetch_listings``: what the catalog import relies on."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_listings_name_every_product_once_with_its_barcode(self, kit: Harness) -> None:
        cards = seed_listings(kit)
        listings = await fetch_good_listings(kit)
        for listing in listings:
            assert isinstance(listing, Listing), f"fetch_listings yielded {listing!r}"
            Listing.model_validate(listing.model_dump())  # every invariant holds
            assert listing.tenant_id == TENANT_ID and listing.connection_id == CONNECTION_ID
            assert listing.barcode.strip() == listing.barcode and listing.barcode, (
                f"listing {listing.id} has a blank or padded barcode {listing.barcode!r}"
            )
        twice = sorted(b for b, n in Counter(x.barcode for x in listings).items() if n > 1)
        assert not twice, f"one run named these barcodes twice: {twice[:3]}"
        ids = Counter(listing.id for listing in listings)
        assert max(ids.values(), default=1) == 1, "two listings share a Listing.id"
        assert barcodes_of(listings) == barcodes_of(cards), (
            f"fetch_listings named {len(listings)} barcodes for {len(cards)} seeded products"
        )
        stock = {card.barcodes[0]: seeded_stock(i) for i, card in enumerate(cards)}
        wrong = [
            f"{x.barcode}: {x.quantity} (the channel shows {stock[x.barcode]})"
            for x in listings
            if x.quantity is not None and x.quantity != stock[x.barcode]
        ]
        assert not wrong, f"Listing.quantity is not the channel's figure: {wrong[:3]}"

    @pytest.mark.asyncio
    async def test_listings_are_the_same_on_every_run(self, kit: Harness) -> None:
        seed_listings(kit)

        def identity(listings: list[Listing]) -> dict[str, tuple[Any, ...]]:
            return {x.barcode: (x.id, x.external_id, x.sku) for x in listings}

        first, second = await fetch_good_listings(kit), await fetch_good_listings(kit)
        assert identity(first) == identity(second), (
            "a listing's id, external id or SKU changed between two runs over the same products"
        )

    @pytest.mark.asyncio
    async def test_listings_page_completely_under_overlapping_pages(self, kit: Harness) -> None:
        cards = seed_listings(kit)
        kit.sandbox.faults.add(Fault("overlap_page"))
        kit.sandbox.faults.add(Fault("duplicate_page"))
        listings = await fetch_good_listings(kit)
        assert barcodes_of(listings) == barcodes_of(cards), "products were lost while paging"
        _repeats_agree(listings)
        assert not kit.sandbox.faults.pending(), (
            "the sandbox never served a third page of listings, so paging went untested: pass a "
            "larger listing_count to connector_suite, or page with paginate() in the sandbox"
        )

    @pytest.mark.asyncio
    async def test_listings_survive_injected_rate_limits_and_server_errors(
        self, kit: Harness
    ) -> None:
        cards = seed_listings(kit)
        add_transient_read_faults(kit)
        listings = await fetch_good_listings(kit)
        assert barcodes_of(listings) == barcodes_of(cards), "products were lost to retried faults"
        _repeats_agree(listings)
        assert not kit.sandbox.faults.pending(), "the injected faults were never hit"

    @pytest.mark.asyncio
    async def test_listings_quarantine_a_malformed_product_and_keep_the_good_ones(
        self, kit: Harness
    ) -> None:
        cards = seed_listings(kit)
        kit.sandbox.faults.add(Fault("damaged_record", method="GET"))
        listings, problems = await fetch_listings(kit)  # one bad product must not raise
        assert kit.sandbox.faults.damaged, (
            "the sandbox never served a list of products with a nested part to damage: list "
            "endpoints must answer JSON with the products in a list"
        )
        assert problems, (
            "a product with broken parts was neither mapped nor reported: yield a "
            "kervan.RecordProblem of kind 'listing' in its place (kervan_sdk.map_record does it)"
        )
        problem = problems[0]
        assert problem.kind == RecordKind.LISTING and problem.reason
        async with kit.connected() as connector:
            with pytest.raises(Exception):  # noqa: B017 - still broken: the replay keeps it
                connector.map_listings(problem.raw)
            repaired = connector.map_listings(kit.sandbox.faults.damaged[0])
        assert repaired and all(isinstance(x, Listing) for x in repaired), (
            "map_listings must map the product as it was before the damage"
        )
        # exactly the ids by which the engine's import settles an open listing problem
        settles = {remote_id for x in repaired for remote_id in x.remote_ids()}
        assert problem.remote_id in settles, (
            f"the problem's remote_id {problem.remote_id!r} is none of {sorted(settles)}, the "
            "ids (barcode, external id) by which the engine settles a listing problem when "
            "the product comes back good: as it is, the problem would never settle"
        )
        lost = barcodes_of(cards) - barcodes_of(listings) - barcodes_of(repaired)
        assert not lost, f"good products on the same page were lost with the bad one: {lost}"

    @pytest.mark.asyncio
    async def test_listings_map_listings_agrees_with_fetch_listings(self, kit: Harness) -> None:
        seed_listings(kit)
        kit.sandbox.faults.add(Fault("damaged_record", method="GET"))
        await fetch_listings(kit)  # only to capture one raw product as the channel sent it
        assert kit.sandbox.faults.damaged, "the sandbox never served a product to capture"
        raw = kit.sandbox.faults.damaged[0]
        async with kit.connected() as connector:
            mapped = connector.map_listings(raw)
        fetched = {x.barcode: x for x in await fetch_good_listings(kit)}
        assert mapped, "map_listings gave no listing for a product fetch_listings maps"
        for listing in mapped:
            assert listing.barcode in fetched, f"fetch_listings does not name {listing.barcode}"
            assert listing == fetched[listing.barcode], (
                f"map_listings and fetch_listings map {listing.barcode} differently: a replayed "
                "problem must come out as the import would have made it"
            )


def _repeats_agree(listings: list[Listing]) -> None:
    """A run may name a product twice when pages overlap, but never two different ways."""
    seen: dict[str, Listing] = {}
    for listing in listings:
        first = seen.setdefault(listing.barcode, listing)
        assert first == listing, f"{listing.barcode} came twice, mapped differently"


# -- stock pushes ----------------------------------------------------------------------------


def new_figure(index: int) -> int:
    """A quantity different from ``seeded_stock(index)``."""
    return seeded_stock(index) + 3 + index % 5


class StockPushContract:
    """For an order source that offers ``push_stock``: each figure arrives, each item answers."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_order_source_pushes_stock_and_answers_for_every_barcode(
        self, kit: Harness
    ) -> None:
        cards = seed_listings(kit, 3)
        known = [card.barcodes[0] for card in cards]
        updates = [
            StockUpdate(barcode=known[0], quantity=new_figure(0)),
            StockUpdate(barcode=UNLISTED, quantity=1),
            StockUpdate(barcode=known[2], quantity=new_figure(2)),
        ]
        by_barcode = one_per_barcode(await push(kit, updates), updates)  # must not raise
        assert by_barcode[known[0]].ok and by_barcode[known[2]].ok, (
            f"a listed barcode failed with an unlisted one in the push: {refused(by_barcode)}"
        )
        assert not by_barcode[UNLISTED].ok and by_barcode[UNLISTED].errors, (
            "a barcode the channel does not list must come back failed, with the reason"
        )
        assert shown_quantity(kit, known[0]) == new_figure(0)
        assert shown_quantity(kit, known[2]) == new_figure(2)
        assert shown_quantity(kit, known[1]) == seeded_stock(1), "a barcode not pushed changed"
        assert shown_quantity(kit, UNLISTED) is None, "the push created a listing"

    @pytest.mark.asyncio
    async def test_stock_push_beyond_the_batch_limit_answers_once_per_barcode(
        self, kit: Harness
    ) -> None:
        limit = batch_limit(kit)
        count = 2 * limit + 1 if limit else DEFAULT_PUSH_COUNT
        cards = seed_listings(kit, count)
        updates = [
            StockUpdate(barcode=card.barcodes[0], quantity=new_figure(i))
            for i, card in enumerate(cards)
        ]
        # one barcode twice, the later figure last: the channel must end up showing it
        twice = updates[1].barcode
        updates.insert(1, StockUpdate(barcode=twice, quantity=seeded_stock(1) + 1))
        by_barcode = one_per_barcode(await push(kit, updates), updates)
        assert all(r.ok for r in by_barcode.values()), (
            f"items of a push of {count} were refused (batches within the channel's limit?): "
            f"{refused(by_barcode)}"
        )
        wrong = [
            f"{card.barcodes[0]} shows {shown}, pushed {new_figure(i)}"
            for i, card in enumerate(cards)
            if (shown := shown_quantity(kit, card.barcodes[0])) != new_figure(i)
        ]
        assert not wrong, f"the channel does not show what was pushed: {wrong[:3]}"

    @pytest.mark.asyncio
    async def test_stock_push_reports_a_repeated_identical_request_instead_of_raising(
        self, kit: Harness
    ) -> None:
        cards = seed_listings(kit, 4)
        updates = [
            StockUpdate(barcode=card.barcodes[0], quantity=new_figure(i))
            for i, card in enumerate(cards)
        ]
        first = one_per_barcode(await push(kit, updates), updates)
        assert all(r.ok for r in first.values()), f"a plain push failed: {refused(first)}"
        # the engine sends the same figures again when it lost the first answer (a crash)
        one_per_barcode(await push(kit, updates), updates)  # answered, never raised
        for i, card in enumerate(cards):
            assert shown_quantity(kit, card.barcodes[0]) == new_figure(i)

    @pytest.mark.asyncio
    async def test_stock_push_survives_injected_rate_limits_and_server_errors(
        self, kit: Harness
    ) -> None:
        cards = seed_listings(kit, 5)
        updates = [
            StockUpdate(barcode=card.barcodes[0], quantity=new_figure(i))
            for i, card in enumerate(cards)
        ]
        kit.sandbox.faults.add(Fault("rate_limit", method="POST", retry_after=2))
        kit.sandbox.faults.add(Fault("status", method="POST", status=503))
        kit.sandbox.faults.add(Fault("status", status=502))
        by_barcode = one_per_barcode(await push(kit, updates), updates)
        assert all(r.ok for r in by_barcode.values()), (
            f"a 429 or a 5xx cost items of the push: {refused(by_barcode)}"
        )
        assert not kit.sandbox.faults.pending(), "the injected faults were never hit"
        for i, card in enumerate(cards):
            assert shown_quantity(kit, card.barcodes[0]) == new_figure(i)


# -- price pushes ----------------------------------------------------------------------------


def _priced(card: ProductCard, index: int, sale: Decimal, listed: Decimal) -> StockUpdate:
    return StockUpdate(
        barcode=card.barcodes[0], quantity=seeded_stock(index), sale_price=sale, list_price=listed
    )


class PricePushContract:
    """For an order source whose ``push_stock`` carries prices (``StockUpdate.sale_price`` and
    ``list_price``): the prices arrive, and a list price below the sale price never does."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_price_push_shows_the_sale_and_list_price_pushed(self, kit: Harness) -> None:
        cards = seed_listings(kit, 3)
        wanted: dict[str, ListedPrice] = {}
        updates = []
        for i, card in enumerate(cards):
            base = card.sale_price or Decimal(100)
            sale, listed = kurus(base * Decimal("0.9")), kurus(base * Decimal("1.35"))
            wanted[card.barcodes[0]] = ListedPrice(sale, listed)
            updates.append(_priced(card, i, sale, listed))
        by_barcode = one_per_barcode(await push(kit, updates), updates)
        assert all(r.ok for r in by_barcode.values()), f"prices refused: {refused(by_barcode)}"
        for barcode, price in wanted.items():
            assert shown_price(kit, barcode) == price, f"{barcode} does not show what was pushed"

    @pytest.mark.asyncio
    async def test_price_push_refuses_a_list_price_below_the_sale_price_per_item(
        self, kit: Harness
    ) -> None:
        cards = seed_listings(kit, 2)
        before = shown_price(kit, cards[1].barcodes[0])
        good_sale = kurus((cards[0].sale_price or Decimal(100)) * Decimal("0.95"))
        good = _priced(cards[0], 0, good_sale, kurus(good_sale * Decimal("1.2")))
        bad_sale = cards[1].sale_price or Decimal(100)
        bad = _priced(cards[1], 1, bad_sale, kurus(bad_sale - Decimal(10)))
        by_barcode = one_per_barcode(await push(kit, [good, bad]), [good, bad])  # no raise
        assert by_barcode[good.barcode].ok, (
            f"a good price failed with a bad one in the push: {refused(by_barcode)}"
        )
        assert not by_barcode[bad.barcode].ok and by_barcode[bad.barcode].errors, (
            "a list price below the sale price must come back failed with the reason "
            "(refused by the channel, or never sent)"
        )
        assert shown_price(kit, good.barcode) == ListedPrice(good.sale_price, good.list_price)
        assert shown_price(kit, bad.barcode) == before, "the refused prices reached the channel"
