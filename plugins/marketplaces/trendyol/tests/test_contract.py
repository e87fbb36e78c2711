"""The SDK's standard contract suite for order sources, run against the Trendyol sandbox."""

import pytest
from kervan_sdk.testing import Harness, connector_suite
from kervan_trendyol import Trendyol
from kervan_trendyol.sandbox import TrendyolSandbox

# small pages so the suite's paging faults have pages to act on (12 orders → 3 pages)
SETTINGS = {**TrendyolSandbox().demo_settings("http://trendyol.sandbox"), "page_size": 5}
#: listings come 100 products a page (products.PRODUCT_PAGE_SIZE): 250 make three pages
LISTING_COUNT = 250

_Suite = connector_suite(Trendyol, settings=SETTINGS, listing_count=LISTING_COUNT)
_Suite.__test__ = False  # collected once, as TestTrendyolContract below

#: a product whose variants cannot be read is named by its contentId; a good listing answers
#: for its barcode and variantId, so the engine never settles that problem (issue 19 report)
UNSETTLED = "a listing problem is named by contentId, which no good Listing carries"


class TestTrendyolContract(_Suite):  # type: ignore[misc,valid-type]
    __test__ = True

    @pytest.mark.xfail(strict=True, reason=UNSETTLED)
    @pytest.mark.asyncio
    async def test_listings_quarantine_a_malformed_product_and_keep_the_good_ones(
        self, kit: Harness
    ) -> None:
        await super().test_listings_quarantine_a_malformed_product_and_keep_the_good_ones(kit)
