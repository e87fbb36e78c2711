"""The contract test kit: the standard suite for a connector's roles, and realistic test data.

In a plugin's tests::

    from kervan_sdk.testing import connector_suite
    TestAcmeContract = connector_suite(Acme, settings={"api_key": "sandbox-key"})

The ``kervan`` pytest plugin (entry point ``pytest11``) also provides fixtures:
``kervan_clock`` (a fresh :class:`~kervan_sdk.sandbox.SimClock`) and ``kervan_context``
(a factory: ``kervan_context(sandbox)`` → a ``ConnectorContext`` wired to that sandbox).
"""

from .factories import (
    ean13,
    make_address,
    make_invoice,
    make_orders,
    make_package,
    make_party,
    make_products,
    make_scenario,
    make_seller,
    tckn,
    vkn,
)
from .factory import ROLE_SUITES, connector_suite
from .harness import (
    CONNECTION_ID,
    TENANT_ID,
    Harness,
    SuiteConfig,
    context_for,
    load_sandbox_class,
    wrong_credentials,
)
from .suite_catalog import ListingsContract, PricePushContract, StockPushContract
from .suite_claims import ClaimsContract
from .suite_common import ConnectorContract
from .suite_documents import DocumentIssuerContract
from .suite_erp import ErpSinkContract
from .suite_orders import OrderSourceContract
from .suite_shipping import CarrierContract
from .suite_tax import TaxClassifierContract

__all__ = [
    "CONNECTION_ID",
    "ROLE_SUITES",
    "TENANT_ID",
    "CarrierContract",
    "ClaimsContract",
    "ConnectorContract",
    "DocumentIssuerContract",
    "ErpSinkContract",
    "Harness",
    "ListingsContract",
    "OrderSourceContract",
    "PricePushContract",
    "StockPushContract",
    "SuiteConfig",
    "TaxClassifierContract",
    "connector_suite",
    "context_for",
    "ean13",
    "load_sandbox_class",
    "make_address",
    "make_invoice",
    "make_orders",
    "make_package",
    "make_party",
    "make_products",
    "make_scenario",
    "make_seller",
    "tckn",
    "vkn",
    "wrong_credentials",
]
