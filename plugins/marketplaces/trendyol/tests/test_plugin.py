"""The distribution registers its connector the way the core discovers plugins."""

from __future__ import annotations

from importlib.metadata import entry_points

import kervan_trendyol
from kervan import OrderSource
from kervan_trendyol import Trendyol


def test_entry_point_names_the_package():
    (ep,) = [ep for ep in entry_points(group="kervan.plugins") if ep.name == "trendyol"]
    assert ep.value == "kervan_trendyol"
    assert ep.load() is kervan_trendyol


def test_hook_registers_the_connector_class():
    registered: list[type] = []
    kervan_trendyol.register_order_sources(registered.append)
    assert registered == [Trendyol]


def test_connector_class_contract():
    assert issubclass(Trendyol, OrderSource)
    assert Trendyol.key == "trendyol" and Trendyol.display_name == "Trendyol"
    assert Trendyol.roles() == ["order_source"]
    assert Trendyol.sandbox == "kervan_trendyol.sandbox:TrendyolSandbox"
    assert set(Trendyol.Settings.secret_fields()) == {
        "api_key",
        "api_secret",
        "webhook_api_key",
        "webhook_password",
    }


def test_repr_and_public_settings_never_show_secrets(sandbox):
    from .conftest import make_connector

    connector = make_connector(sandbox)
    public = connector.settings.public_dict()
    assert public["api_secret"] == "**set**" and "kervanSandboxSecret01" not in repr(connector)
    assert "kervanSandboxSecret01" not in repr(connector.client)
