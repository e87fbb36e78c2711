"""The contract kit's suites (common, ERP sink, customers, payments, reversal, returns,
products), run against the Paraşüt sandbox exactly as a third-party plugin would run them."""

from kervan_parasut import Parasut
from kervan_sdk.testing import connector_suite

TestParasutContract = connector_suite(Parasut)
