"""The SDK's standard contract suite for order sources, run against the Trendyol sandbox."""

from kervan_sdk.testing import connector_suite
from kervan_trendyol import Trendyol
from kervan_trendyol.sandbox import TrendyolSandbox

TestTrendyolContract = connector_suite(
    Trendyol, settings=TrendyolSandbox().demo_settings("http://trendyol.sandbox")
)
