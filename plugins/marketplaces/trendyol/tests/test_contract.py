"""The SDK's standard contract suite for order sources, run against the Trendyol sandbox."""

from kervan_sdk.testing import connector_suite
from kervan_trendyol import Trendyol
from kervan_trendyol.sandbox import TrendyolSandbox

# small pages so the suite's paging faults have pages to act on (12 orders → 3 pages)
SETTINGS = {**TrendyolSandbox().demo_settings("http://trendyol.sandbox"), "page_size": 5}
#: listings come 100 products a page (products.PRODUCT_PAGE_SIZE): 250 make three pages
LISTING_COUNT = 250

#: a return that came back without a request: Trendyol suggests 401 "Vazgeçtim" [TY-SPEC createClaim]
CREATE_REASON = "401"

_Suite = connector_suite(
    Trendyol, settings=SETTINGS, listing_count=LISTING_COUNT, claim_create_reason=CREATE_REASON
)
_Suite.__test__ = False  # collected once, as TestTrendyolContract below


class TestTrendyolContract(_Suite):  # type: ignore[misc,valid-type]
    __test__ = True
