"""Nebim V3 products into the catalog and out to Trendyol, end to end (issue 21, "Must show",
product sync). Each test goes the real way: the Nebim sandbox (served on loopback by the demo)
→ kervan-nebim's ``pull_products`` (RunQuery) → ``Catalog.pull_erp`` → the cards and the stock
ledger → ``Catalog.push`` → the Trendyol sandbox, read back through its own
``listing_quantity``/``listing_price`` hooks rather than Kervan's records.

The rules come from the seed as issue 21 restates them: stock codes match exactly (a changed
code is a new record), the active/passive status is never taken from Nebim, and the tenant's
"update product names" and "price updates" toggles are kervan-nebim's ``update_product_names``
and ``price_updates`` settings (plugins/erp/nebim/README.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from kervan.catalog import ChannelPolicy
from kervan.pricing import PricingRule
from kervan_sdk.sandbox import ErpProduct
from kervan_trendyol.sandbox.products_api import add_product

T = TypeVar("T")

TENANT, NEBIM, TRENDYOL = "demo", "nebim", "trendyol"
#: barcodes none of the demo's own products has
MUG_A, MUG_B, MUG_C = "8697770000011", "8697770000028", "8697770000035"


class ProductSync:
    """The demo's Kervan with its Nebim and Trendyol sandboxes, and the steps of a sync."""

    def __init__(self, flow: Any) -> None:
        flow.seed([])  # the demo tenant and its connections, no orders
        self.flow, self.rt = flow, flow.rt
        self.catalog = flow.rt.catalog
        self.nebim = flow.demo.sandboxes[NEBIM]
        self.trendyol = flow.trendyol
        # Trendyol's batch results are read a second or more after the push: the wait moves
        # the sandbox's clock on instead of the test's (the connector is built after this)
        flow.rt.connectors.overrides[TRENDYOL]["sleep"] = self._trendyol_waits

    async def _trendyol_waits(self, seconds: float) -> None:
        self.trendyol.clock.advance(max(float(seconds), 0.0))
        await asyncio.sleep(0)

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        result: T = self.flow.jobs.loop.run(work)
        return result

    # -- the remotes --------------------------------------------------------------------------

    def nebim_holds(self, *products: ErpProduct) -> None:
        """What V3's product query answers from now on (it replaces the demo's items)."""
        self.nebim.erp_seed_products(list(products))

    def nebim_settings(self, **changes: Any) -> None:
        """The tenant changes the Nebim connection's settings (a new revision is rebuilt)."""
        current = self.rt.connections.require(TENANT, NEBIM)
        self.rt.connections.update(TENANT, NEBIM, settings={**current.settings, **changes})

    def trendyol_lists(
        self, barcode: str, stock_code: str, quantity: int = 0, price: float = 80.0
    ) -> None:
        """The seller's Trendyol store has an approved listing of ``barcode``."""
        add_product(
            self.trendyol,
            barcode=barcode,
            stock_code=stock_code,
            title="Kupa (Trendyol)",
            sale_price=price,
            vat_rate=20,
            quantity=quantity,
        )

    def shown(self, barcode: str) -> int | None:
        return self.trendyol.listing_quantity(barcode)

    def shown_price(self, barcode: str) -> Decimal | None:
        listed = self.trendyol.listing_price(barcode)
        return None if listed is None else listed.sale_price

    def on_sale(self, barcode: str) -> bool:
        return bool(self.trendyol.products[barcode]["variants"][0]["onSale"])

    # -- Kervan -------------------------------------------------------------------------------

    def pull(self) -> dict[str, int]:
        return self.run(self.catalog.pull_erp(TENANT, NEBIM))

    def import_listings(self) -> None:
        self.run(self.catalog.import_listings(TENANT, TRENDYOL))

    def push(self) -> None:
        report = self.run(self.catalog.push(TENANT))
        assert report.failed == 0, report.as_dict()

    def card_ids(self, stock_code: str) -> list[str]:
        return [d.key for d in self.catalog.by_stock_code(TENANT, stock_code)]

    def card(self, stock_code: str) -> dict[str, Any]:
        (pid,) = self.card_ids(stock_code)
        return dict(self.catalog.card(TENANT, pid))


@pytest.fixture
def sync(flow: Any) -> ProductSync:
    return ProductSync(flow)


def mug(
    code: str = "NB-KUPA",
    name: str = "Kupa 350 ml",
    barcodes: tuple[str, ...] = (MUG_A, MUG_B),
    price: str = "100.00",
    on_hand: int = 6,
    active: bool = True,
) -> ErpProduct:
    return ErpProduct(code, name, barcodes, Decimal(price), {"M01": on_hand}, active=active)


def test_a_product_with_two_barcodes_is_one_card_bound_to_each_listing(
    sync: ProductSync,
) -> None:
    sync.nebim_holds(mug())
    sync.trendyol_lists(MUG_A, "NB-KUPA")
    assert sync.pull() == {"created": 1}
    sync.import_listings()
    sync.push()

    held = sync.card("NB-KUPA")
    assert held["card"]["barcodes"] == [MUG_A, MUG_B]
    assert held["stock"]["on_hand"] == 6
    assert [(x["barcode"], x["connection_id"]) for x in held["listings"]] == [(MUG_A, TRENDYOL)]
    assert sync.shown(MUG_A) == 6, "Nebim's stock reached the listing of the first barcode"

    # Trendyol lists the second barcode later: it binds to the same card, not a new one
    sync.trendyol_lists(MUG_B, "NB-KUPA-B")
    sync.import_listings()
    sync.push()
    held = sync.card("NB-KUPA")
    assert sorted(x["barcode"] for x in held["listings"]) == [MUG_A, MUG_B]
    assert {x["product_id"] for x in held["listings"]} == {held["card"]["id"]}
    assert sync.shown(MUG_B) == 6

    # one figure for both: a sale of stock at Nebim moves both listings
    sync.nebim_holds(mug(on_hand=4))
    assert sync.pull() == {"updated": 1}
    sync.push()
    assert (sync.shown(MUG_A), sync.shown(MUG_B)) == (4, 4)


def test_a_renamed_product_renames_the_card_only_with_the_toggle_on(sync: ProductSync) -> None:
    sync.nebim_holds(mug(name="Kupa"))
    assert sync.pull() == {"created": 1}
    pid = sync.card_ids("NB-KUPA")

    # the toggle is off by default (the seed's rule): the card keeps the name it was given
    sync.nebim_holds(mug(name="Kupa 350 ml Beyaz"))
    assert sync.pull() == {"updated": 1}
    assert sync.card("NB-KUPA")["card"]["name"] == "Kupa"

    sync.nebim_settings(update_product_names=True)
    assert sync.pull() == {"updated": 1}
    assert sync.card("NB-KUPA")["card"]["name"] == "Kupa 350 ml Beyaz"
    assert sync.card_ids("NB-KUPA") == pid, "a rename is an update of the same card"

    sync.nebim_settings(update_product_names=False)
    sync.nebim_holds(mug(name="Kupa (eski ad)"))
    sync.pull()
    assert sync.card("NB-KUPA")["card"]["name"] == "Kupa 350 ml Beyaz"


def test_a_price_change_reaches_the_channel_only_with_price_updates_on(
    sync: ProductSync,
) -> None:
    # Trendyol's price follows the ERP's: its pricing rule takes Nebim's price plus 10 %
    sync.catalog.set_policy(
        TENANT, TRENDYOL, ChannelPolicy(pricing=PricingRule(base="erp", percent=Decimal(10)))
    )
    sync.nebim_holds(mug(barcodes=(MUG_A,), price="100.00"))
    sync.trendyol_lists(MUG_A, "NB-KUPA", price=80.0)
    sync.pull()
    sync.import_listings()
    sync.push()
    assert sync.shown_price(MUG_A) == Decimal("110.00")

    # price updates off: Nebim's new price stays in Nebim, the channel keeps its price;
    # the stock still comes and goes out
    sync.nebim_settings(price_updates=False)
    sync.nebim_holds(mug(barcodes=(MUG_A,), price="150.00", on_hand=5))
    sync.pull()
    sync.push()
    assert sync.shown_price(MUG_A) == Decimal("110.00")
    assert sync.shown(MUG_A) == 5
    assert Decimal(sync.card("NB-KUPA")["card"]["erp_price"]) == Decimal("100.00")

    # on again: the next pull brings the price, and the push takes it to Trendyol
    sync.nebim_settings(price_updates=True)
    sync.pull()
    sync.push()
    assert sync.shown_price(MUG_A) == Decimal("165.00")
    assert sync.shown(MUG_A) == 5


def test_a_changed_stock_code_creates_a_new_card(sync: ProductSync) -> None:
    sync.nebim_holds(mug(barcodes=(MUG_A,), on_hand=6))
    sync.trendyol_lists(MUG_A, "NB-KUPA")
    sync.pull()
    sync.import_listings()
    sync.push()
    (old,) = sync.card_ids("NB-KUPA")

    # V3 now has the item under another code, with a barcode of its own: a new record
    sync.nebim_holds(mug(code="NB-KUPA-2", barcodes=(MUG_C,), on_hand=3))
    sync.trendyol_lists(MUG_C, "NB-KUPA-2")
    assert sync.pull() == {"created": 1}
    sync.import_listings()
    sync.push()
    (new,) = sync.card_ids("NB-KUPA-2")
    assert new != old
    assert sync.card_ids("NB-KUPA") == [old], "the old card is neither renamed nor merged"
    assert [x["barcode"] for x in sync.card("NB-KUPA-2")["listings"]] == [MUG_C]
    assert [x["barcode"] for x in sync.card("NB-KUPA")["listings"]] == [MUG_A]
    assert (sync.shown(MUG_C), sync.shown(MUG_A)) == (3, 6)


def test_a_changed_stock_code_never_takes_a_barcode_from_its_card(sync: ProductSync) -> None:
    """The same barcode under a new code: a new record whose barcode another card has. Kervan
    moves nothing (the listing stays bound, the channel keeps its figure) and records the
    conflict on the card for an operator (kervan.catalog.cards.upsert_erp_card)."""
    sync.nebim_holds(mug(barcodes=(MUG_A,), on_hand=6))
    sync.trendyol_lists(MUG_A, "NB-KUPA")
    sync.pull()
    sync.import_listings()
    sync.push()
    (old,) = sync.card_ids("NB-KUPA")

    sync.nebim_holds(mug(code="nb-kupa", barcodes=(MUG_A,), on_hand=1))
    assert sync.pull() == {"conflict": 1}
    sync.push()
    assert sync.card_ids("nb-kupa") == [], "stock codes match exactly, never by case"
    assert sync.catalog.audit_trail(TENANT, old)[-1]["action"] == "erp_conflict"
    assert [x["product_id"] for x in sync.card("NB-KUPA")["listings"]] == [old]
    assert sync.shown(MUG_A) == 6


def test_a_product_made_passive_in_nebim_stays_active_in_kervan(sync: ProductSync) -> None:
    sync.nebim_holds(mug(barcodes=(MUG_A,), on_hand=6))
    sync.trendyol_lists(MUG_A, "NB-KUPA")
    sync.pull()
    sync.import_listings()
    sync.push()
    (pid,) = sync.card_ids("NB-KUPA")

    sync.nebim_holds(mug(barcodes=(MUG_A,), on_hand=5, active=False))
    assert sync.pull() == {"updated": 1}
    sync.push()
    # the card is still there and still synced: its stock follows Nebim and the listing
    # stays on sale at Trendyol with that figure
    assert sync.card_ids("NB-KUPA") == [pid]
    held = sync.card("NB-KUPA")
    assert held["card"]["merged_into"] is None and held["stock"]["on_hand"] == 5
    assert sync.shown(MUG_A) == 5 and sync.on_sale(MUG_A)
    assert sync.catalog.listings(TENANT, TRENDYOL, flagged=True) == []


def test_the_api_and_the_scheduler_pull_the_erps_products(sync: ProductSync, flow: Any) -> None:
    """Nothing but a job runs the pull in production: the route queues it, the scheduler
    sends it every PRODUCTS_EVERY per ERP connection."""
    from fastapi.testclient import TestClient
    from kervan.api.app import create_app
    from kervan.jobs.scheduler import Scheduler

    sync.nebim_holds(mug())
    admin = {"Authorization": f"Bearer {flow.demo.api_key}"}
    with TestClient(create_app(flow.rt)) as client:
        r = client.post(f"/v1/connections/{NEBIM}/pull-products", headers=admin)
        assert r.status_code == 200, r.text
        assert r.json() == {"connection_id": NEBIM, "queued": True, "counts": None}
    flow.demo.drain()
    assert sync.card("NB-KUPA")["stock"]["on_hand"] == 6

    sync.nebim_holds(mug(on_hand=2))
    rt = flow.rt
    scheduler = Scheduler(flow.jobs, rt.connections, lambda key: rt.host.connector(key).roles())
    scheduler.tick()
    flow.demo.drain()
    assert sync.card("NB-KUPA")["stock"]["on_hand"] == 2
