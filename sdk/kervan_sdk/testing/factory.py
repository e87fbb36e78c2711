"""``connector_suite``: one call gives a connector class the standard tests for its roles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kervan import Carrier, Connector, DocumentIssuer, ErpSink, OrderSource, TaxClassifier
from kervan.domain import Package

from ..sandbox import Sandbox
from .harness import DocumentFactory, SuiteConfig, load_sandbox_class, wrong_credentials
from .suite_catalog import ListingsContract, PricePushContract, StockPushContract
from .suite_claims import ClaimsContract
from .suite_common import ConnectorContract
from .suite_documents import DocumentIssuerContract
from .suite_erp import (
    ErpCustomerContract,
    ErpPaymentContract,
    ErpProductsContract,
    ErpReturnContract,
    ErpReversalContract,
    ErpSinkContract,
)
from .suite_orders import OrderSourceContract, QuantitySplitContract, SplitContract
from .suite_shipping import (
    CancellationContract,
    CarrierContract,
    ReturnsContract,
    TrackingContract,
)
from .suite_tax import TaxClassifierContract

#: role class → the standard tests for it (a Storefront is an OrderSource, so it gets those)
ROLE_SUITES: tuple[tuple[type[Connector], type], ...] = (
    (OrderSource, OrderSourceContract),
    (TaxClassifier, TaxClassifierContract),
    (Carrier, CarrierContract),
    (DocumentIssuer, DocumentIssuerContract),
    (ErpSink, ErpSinkContract),
)


#: operations a role may offer (its connector overrides them): their tests join the suite then
OPTIONAL_SUITES: tuple[tuple[type[Connector], str, type], ...] = (
    (OrderSource, "split_package", SplitContract),
    (OrderSource, "fetch_claims", ClaimsContract),
    (OrderSource, "split_package_by_quantity", QuantitySplitContract),
    (OrderSource, "fetch_listings", ListingsContract),
    (OrderSource, "push_stock", StockPushContract),
    (OrderSource, "push_stock", PricePushContract),
    (Carrier, "track", TrackingContract),
    (Carrier, "cancel_shipment", CancellationContract),
    (Carrier, "book_return", ReturnsContract),
    (ErpSink, "upsert_customer", ErpCustomerContract),
    (ErpSink, "close_payment", ErpPaymentContract),
    (ErpSink, "reverse", ErpReversalContract),
    (ErpSink, "post_return", ErpReturnContract),
    (ErpSink, "pull_products", ErpProductsContract),
)


def offers(connector_class: type[Connector], role: type[Connector], method: str) -> bool:
    """Whether ``connector_class`` plays ``role`` and implements its optional ``method``."""
    return issubclass(connector_class, role) and getattr(connector_class, method) is not getattr(
        role, method
    )


def connector_suite(
    connector_class: type[Connector],
    *,
    settings: Mapping[str, Any] | None = None,
    bad_settings: Mapping[str, Any] | None = None,
    sandbox_factory: Callable[[], Sandbox] | None = None,
    document_factory: DocumentFactory | None = None,
    package_factory: Callable[[], Package] | None = None,
    order_count: int = 45,
    listing_count: int = 45,
    claim_create_reason: str | None = None,
) -> type:
    """The standard contract tests for every role ``connector_class`` plays, as a test class.

    Assign the result to a ``Test*`` name in a test module::

        TestTrendyolContract = connector_suite(Trendyol, settings={...})

    ``settings`` must work against the sandbox (default: the sandbox's
    ``demo_settings(base_url)``); ``bad_settings`` (default: every secret
    replaced by a wrong value) must not. ``sandbox_factory`` builds a fresh sandbox per test
    (default: the class named by ``connector_class.sandbox``). Issuers and ERP sinks take
    their test document from ``document_factory`` (an ``Invoice``/``DespatchAdvice``, or a
    ``(document, xml)`` pair; default ``make_invoice()``); carriers book ``package_factory()``
    (default ``make_package()``). Order sources are seeded with ``order_count`` orders
    through ``Sandbox.seed_scenario``; tax classifiers with one registered buyer
    (``Scenario.registered``). Optional operations a connector implements (an order source's
    ``split_package``, ``split_package_by_quantity``, ``fetch_listings``, ``push_stock``; a
    carrier's ``track``, ``cancel_shipment`` and ``book_return``, whose returns tests hand
    parcels in through the sandbox's ``hand_in_return``; an ERP sink's ``upsert_customer``,
    ``close_payment``, ``reverse``, ``post_return``, ``pull_products``) bring their own tests,
    which read the ERP back through the sandbox's ``erp_postings``/``erp_seed_products``. Listings tests seed
    ``listing_count`` products (``Scenario.products``), enough for three pages of the
    connector's listing page size; stock-push tests push more items than the connector's
    ``stock_batch_limit`` class attribute (2,500 when it declares none) and read each figure
    back through the sandbox's ``listing_quantity``/``listing_price``. An order source that
    offers ``fetch_claims`` gets the claims suite (``suite_claims``), driven through the
    sandbox's ``deliver``/``customer_claim``/``claim_attachments``; its ``create_claim`` is
    called with ``claim_create_reason``.
    """
    if not (isinstance(connector_class, type) and issubclass(connector_class, Connector)):
        raise TypeError("connector_suite needs a kervan.Connector subclass")
    if sandbox_factory is None:
        sandbox_factory = load_sandbox_class(connector_class)
    if settings is None:
        settings = sandbox_factory().demo_settings(f"http://{connector_class.key}.sandbox.test")
    config = SuiteConfig(
        connector_class=connector_class,
        settings=dict(settings),
        bad_settings=dict(
            bad_settings
            if bad_settings is not None
            else wrong_credentials(connector_class, settings)
        ),
        sandbox_factory=sandbox_factory,
        document_factory=document_factory,
        package_factory=package_factory,
        order_count=order_count,
        listing_count=listing_count,
        extra={"claim_create_reason": claim_create_reason} if claim_create_reason else {},
    )
    bases: list[type] = [ConnectorContract]
    bases += [suite for role, suite in ROLE_SUITES if issubclass(connector_class, role)]
    bases += [suite for role, m, suite in OPTIONAL_SUITES if offers(connector_class, role, m)]
    name = f"Test{connector_class.__name__}Contract"
    # mixins in reverse so role tests come after the common ones in reports
    return type(name, tuple(reversed(bases)), {"config": config, "__test__": True})
