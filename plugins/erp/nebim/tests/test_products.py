"""Products in: exact stock codes, every barcode on one card, prices and stock, status never."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from kervan_nebim import NebimSettings
from kervan_nebim.mapping import cards_from_rows
from kervan_nebim.sandbox import PRODUCT_PROC
from kervan_sdk.sandbox import ErpProduct

PRODUCTS = [
    ErpProduct(
        "ABC-01", "Kupa", ("8690000000011", "8690000000012"), Decimal("49.90"), {"M01": 4, "D2": 1}
    ),
    ErpProduct("abc-01", "Küçük harfli", ("8690000000013",), Decimal("9.90"), {"M01": 2}),
    ErpProduct("PASIF", "Pasif", ("8690000000014",), Decimal("5.00"), {"M01": 0}, active=False),
]


async def pull(nebim):
    return {card.sku: card async for card in nebim.pull_products()}


async def test_a_product_with_two_barcodes_is_one_card_with_both(connect, sandbox):
    sandbox.erp_seed_products(PRODUCTS)
    cards = await pull(connect())
    assert cards["ABC-01"].barcodes == ["8690000000011", "8690000000012"]
    assert cards["ABC-01"].erp_on_hand == {"M01": 4, "D2": 1}, "stock once per warehouse"
    assert cards["ABC-01"].erp_price == Decimal("49.90")


async def test_stock_codes_are_taken_exactly_and_passive_products_still_come(connect, sandbox):
    sandbox.erp_seed_products(PRODUCTS)
    cards = await pull(connect())
    assert set(cards) == {"ABC-01", "abc-01", "PASIF"}
    assert all(card.merged_into is None for card in cards.values())


async def test_price_updates_off_brings_no_price(connect, sandbox):
    sandbox.erp_seed_products(PRODUCTS)
    cards = await pull(connect(price_updates=False))
    assert all(card.erp_price is None for card in cards.values())
    assert cards["ABC-01"].erp_on_hand == {"M01": 4, "D2": 1}, "stock still comes"


async def test_pages_are_read_to_the_end(connect, sandbox):
    many = [
        ErpProduct(f"P{i:03d}", f"Ürün {i}", (f"86900001{i:05d}",), Decimal(i))
        for i in range(1, 26)
    ]
    sandbox.erp_seed_products(many)
    cards = await pull(connect(page_size=7))
    assert len(cards) == 25
    runs = [r for r in sandbox.requests if r.path.endswith("/RunQuery")]
    assert len(runs) == 4  # 7 + 7 + 7 + 4


async def test_a_stored_procedure_can_serve_the_products(connect, sandbox):
    sandbox.erp_seed_products(PRODUCTS)
    cards = await pull(connect(product_proc=PRODUCT_PROC, page_size=2))
    assert set(cards) == {"ABC-01", "abc-01", "PASIF"}
    assert any(r.path.endswith("/RunProc") for r in sandbox.requests)


CODES = st.text(alphabet="ABCabc-/._0123456789 ", min_size=1, max_size=12)
ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "ItemCode": CODES,
            "ItemDescription": st.text(min_size=0, max_size=10),
            "Barcode": st.from_regex(r"\A869[0-9]{10}\Z"),
            "Price": st.decimals(min_value=0, max_value=10_000, places=2).map(str),
            "WarehouseCode": st.sampled_from(["M01", "D2"]),
            "Inventory": st.integers(0, 50),
            "IsBlocked": st.booleans(),
        }
    ),
    max_size=30,
)


@settings(max_examples=25, deadline=None)
@given(rows=ROWS)
def test_every_row_lands_on_the_card_of_its_exact_code(rows):
    config = NebimSettings(
        base_url="http://n", office_code="M", store_code="M", warehouse_code="M", customer_code="C"
    )
    cards = cards_from_rows(rows, "t1", config)
    by_code = {card.sku: card for card in cards}
    assert len(by_code) == len(cards)
    for row in rows:
        assert row["Barcode"] in by_code[row["ItemCode"]].barcodes
    assert {c.sku for c in cards} == {r["ItemCode"] for r in rows}
    for card in cards:
        assert len(set(card.barcodes)) == len(card.barcodes)
