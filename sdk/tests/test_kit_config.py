"""How connector_suite is configured: defaults, role selection, wrong credentials."""

from __future__ import annotations

import pytest
from kervan import Carrier, Connector, OrderSource
from kervan.domain import check_tax_id
from kervan_sdk.sandbox import Sandbox
from kervan_sdk.testing import (
    connector_suite,
    make_invoice,
    make_orders,
    make_package,
    wrong_credentials,
)
from sdk_toys import PASSWORD, SETTINGS, ToyHub, ToySandbox


class DemoToySandbox(ToySandbox):
    def demo_settings(self, base_url: str) -> dict:
        return {**SETTINGS, "base_url": base_url}


def test_settings_default_to_the_sandboxs_demo_settings():
    suite = connector_suite(ToyHub, sandbox_factory=DemoToySandbox)
    assert suite.config.settings == {**SETTINGS, "base_url": "http://toy.sandbox.test"}


def test_a_sandbox_that_does_not_know_its_settings_says_so():
    with pytest.raises(NotImplementedError, match="demo_settings"):
        connector_suite(ToyHub)


def test_only_the_roles_a_connector_plays_get_tests():
    class OnlyCarrier(Carrier):
        key = "only-carrier"
        Settings = ToyHub.Settings
        sandbox = "sdk_toys:ToySandbox"

    names = {
        n for n in dir(connector_suite(OnlyCarrier, settings=SETTINGS)) if n.startswith("test_")
    }
    assert any(n.startswith("test_carrier_") for n in names)
    assert not any(
        n.startswith(("test_order_source_", "test_erp_", "test_document_")) for n in names
    )
    assert "test_check_fails_cleanly_with_bad_credentials" in names


def test_the_suite_is_only_for_connector_classes():
    with pytest.raises(TypeError):
        connector_suite(object, settings={})  # type: ignore[arg-type]
    assert issubclass(ToyHub, Connector)


def test_wrong_credentials_change_every_secret_and_nothing_else():
    bad = wrong_credentials(ToyHub, SETTINGS)
    assert bad["username"] == SETTINGS["username"]
    assert bad["password"] != PASSWORD and bad["password"]


def test_generated_test_data_is_valid_and_reproducible():
    orders = make_orders(30, seed=5)
    assert orders == make_orders(30, seed=5)
    assert len({o.package_id for o in orders}) == 30
    for order in orders:
        assert check_tax_id(order.buyer.tax_id) == order.buyer.tax_id
        assert order.id == f"{order.connection_id}:{order.package_id}"
    invoice = make_invoice(orders[0])
    assert invoice.totals.payable == sum(
        (line.line_extension + line.vat_amount for line in invoice.lines), start=0
    )
    assert make_package(orders[0]).order_id == orders[0].id


def test_catalog_suites_join_only_for_the_operations_a_connector_offers():
    class OrdersOnly(OrderSource):
        key = "orders-only"
        Settings = ToyHub.Settings
        sandbox = "sdk_toys:ToySandbox"

    def names(connector_class) -> set[str]:
        suite = connector_suite(connector_class, settings=SETTINGS, listing_count=7)
        assert suite.config.listing_count == 7
        return {n for n in dir(suite) if n.startswith("test_")}

    catalog = ("test_listings_", "test_stock_push_", "test_price_push_")
    assert not any(n.startswith(catalog) for n in names(OrdersOnly))
    assert "test_order_source_pushes_stock_and_answers_for_every_barcode" not in names(OrdersOnly)
    toy = names(ToyHub)
    for prefix in catalog:
        assert any(n.startswith(prefix) for n in toy), f"ToyHub got no {prefix}* test"


def test_a_sandbox_that_cannot_show_a_listing_says_what_to_override():
    with pytest.raises(NotImplementedError, match="listing_quantity"):
        Sandbox().listing_quantity("8690000000005")
    with pytest.raises(NotImplementedError, match="listing_price"):
        Sandbox().listing_price("8690000000005")
