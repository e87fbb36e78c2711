"""In-process admission of plugins: what the host accepts, refuses and reports, and why."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import kervan
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kervan import hookimpl
from kervan.errors import NotFoundError
from kervan.plugins import PluginHost, PluginLoadError, load_plugins


class Secrets(kervan.ConnectorSettings):
    api_key: str


class GoodCarrier(kervan.Carrier):
    key = "good-carrier"
    display_name = "Good Carrier"
    Settings = Secrets


class GoodMarket(kervan.OrderSource):
    key = "good-market"
    display_name = "Good Market"


class GoodStore(kervan.Storefront):
    key = "good-store"
    display_name = "Good Store"


def plugin(**hooks: Any) -> SimpleNamespace:
    """A plugin object whose attributes are hook implementations."""
    return SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})


def registering(*classes: type) -> Any:
    def hook(register):
        for cls in classes:
            register(cls)

    return hook


def host() -> PluginHost:
    return load_plugins(strict=False, entry_points=False)


def test_healthy_plugin_loads_and_its_connectors_are_found_by_key_and_role():
    h = host()
    report = h.register(
        plugin(
            register_carriers=registering(GoodCarrier),
            register_order_sources=registering(GoodMarket),
            register_storefronts=registering(GoodStore),
        ),
        "good",
    )
    assert report.status == "loaded" and report.error is None
    assert report.connectors == ["good-carrier", "good-market", "good-store"]
    assert report.roles == ["carrier", "order_source", "storefront"]
    assert report.requires_core == ">=0.1"
    assert h.connector("good-carrier") is GoodCarrier
    assert set(h.connectors()) == {"good-carrier", "good-market", "good-store"}
    assert set(h.connectors("carrier")) == {"good-carrier"}
    # a storefront is an order source too: the engine polls it for orders
    assert set(h.connectors("order_source")) == {"good-market", "good-store"}
    assert h.connectors("erp_sink") == {}
    assert h.failures == []


def test_unknown_connector_key_names_the_known_keys():
    h = host()
    h.register(plugin(register_carriers=registering(GoodCarrier)), "good")
    with pytest.raises(NotFoundError) as caught:
        h.connector("trendyol")
    assert "'trendyol'" in str(caught.value) and "good-carrier" in str(caught.value)


def test_plugin_of_names_the_plugin_providing_a_connector():
    h = host()
    h.register(
        plugin(register_carriers=registering(GoodCarrier)),
        "good",
        distribution="kervan-good",
        version="1.2",
    )
    provider = h.plugin_of("good-carrier")
    assert (provider.name, provider.distribution, provider.version) == (
        "good",
        "kervan-good",
        "1.2",
    )
    with pytest.raises(NotFoundError, match="good-carrier"):
        h.plugin_of("missing")


def test_unknown_role_is_not_found():
    with pytest.raises(NotFoundError, match="no role 'courier'"):
        host().connectors("courier")


def _refused(h: PluginHost, hooks: dict[str, Any], name: str = "bad") -> Any:
    report = h.register(plugin(**hooks), name)
    assert report.status != "loaded"
    # a refused plugin is out whole: no connectors, no hooks left registered
    assert h.pm.get_plugin(name) is None
    assert all(h.registry.owner(k) != name for k in h.connectors())
    return report


def test_hookimpl_not_matching_its_spec_fails_naming_the_argument():
    def register_carriers(register, registry):  # the spec has no `registry`
        register(GoodCarrier)

    report = _refused(host(), {"register_carriers": register_carriers})
    assert report.status == "failed"
    assert "does not match its spec" in report.error and "registry" in report.error
    assert report.roles == ["carrier"]


def test_hook_kervan_does_not_define_fails():
    report = _refused(host(), {"register_couriers": registering(GoodCarrier)})
    assert report.status == "failed" and "register_couriers" in report.error


def test_class_that_is_not_a_connector_fails():
    class NotAConnector:
        key = "nope"

    report = _refused(host(), {"register_carriers": registering(NotAConnector)})
    assert report.status == "failed" and "not a kervan.Connector" in report.error


def test_connector_registered_for_a_role_it_does_not_play_fails():
    report = _refused(host(), {"register_carriers": registering(GoodMarket)})
    assert report.status == "failed"
    assert "GoodMarket" in report.error and "kervan.Carrier" in report.error


@pytest.mark.parametrize(
    ("attrs", "reason"),
    [
        ({"key": None}, "key"),
        ({"key": "Has Spaces"}, "key"),
        ({"display_name": ""}, "display_name"),
        ({"Settings": dict}, "Settings"),
        ({"requires_core": "not a spec"}, "invalid requires_core"),
    ],
)
def test_connector_missing_or_bad_class_attributes_fails(attrs, reason):
    broken = type("Broken", (GoodCarrier,), attrs)
    report = _refused(host(), {"register_carriers": registering(broken)})
    assert report.status == "failed" and reason in report.error


def test_requires_core_that_excludes_this_core_is_incompatible():
    future = type("Future", (GoodCarrier,), {"key": "future", "requires_core": ">=99"})
    report = _refused(host(), {"register_carriers": registering(future)})
    assert report.status == "incompatible"
    assert report.requires_core == ">=99"
    assert f"requires kervan>=99, this is kervan {kervan.__version__}" in report.error


def test_one_incompatible_connector_takes_the_whole_plugin_out():
    future = type("Future", (GoodCarrier,), {"key": "future", "requires_core": "<0.1"})
    h = host()
    _refused(h, {"register_carriers": registering(GoodCarrier, future)})
    assert h.connectors() == {}


def test_second_plugin_registering_a_taken_key_fails_and_the_first_keeps_it():
    h = host()
    h.register(plugin(register_carriers=registering(GoodCarrier)), "first")
    twin = type("Twin", (GoodCarrier,), {})
    report = _refused(h, {"register_carriers": registering(twin)}, name="second")
    assert "'good-carrier' is already registered by plugin 'first'" in report.error
    assert h.connector("good-carrier") is GoodCarrier


def test_two_classes_with_one_key_in_one_plugin_fail():
    twin = type("Twin", (GoodCarrier,), {})
    report = _refused(host(), {"register_carriers": registering(GoodCarrier, twin)})
    assert "registered twice" in report.error


def test_registration_hook_that_raises_fails_with_the_exception():
    def register_carriers(register):
        raise RuntimeError("no config file")

    report = _refused(host(), {"register_carriers": register_carriers})
    assert report.error == "register_carriers raised RuntimeError: no config file"


def test_same_plugin_name_twice_fails_the_second():
    h = host()
    h.register(plugin(register_carriers=registering(GoodCarrier)), "same")
    report = h.register(plugin(register_order_sources=registering(GoodMarket)), "same")
    assert report.error == "could not register: a plugin named 'same' is already registered"
    assert set(h.connectors()) == {"good-carrier"}


def test_same_plugin_object_under_two_names_fails_the_second():
    h = host()
    obj = plugin(register_carriers=registering(GoodCarrier))
    h.register(obj, "one")
    report = h.register(obj, "two")
    assert report.error == (
        "could not register: the same plugin object is registered under another name"
    )
    assert h.registry.owner("good-carrier") == "one"


def test_a_broken_plugin_does_not_stop_a_healthy_one():
    h = host()
    h.register(plugin(register_carriers=registering(GoodMarket)), "broken")
    h.register(plugin(register_order_sources=registering(GoodMarket)), "healthy")
    assert [r.status for r in h.report] == ["failed", "loaded"]
    assert set(h.connectors()) == {"good-market"}


def test_strict_host_raises_naming_the_culprit():
    h = load_plugins(strict=True, entry_points=False)
    with pytest.raises(PluginLoadError) as caught:
        h.register(plugin(register_carriers=registering(GoodMarket)), "culprit")
    assert "culprit" in str(caught.value)
    assert [r.name for r in caught.value.reports] == ["culprit"]


def test_record_failure_keeps_a_short_single_line_reason():
    report = host().record_failure("x", "line one\n  line two " + "y" * 2000)
    assert report.status == "failed"
    assert "\n" not in report.error and len(report.error) <= 500
    assert report.error.startswith("line one line two")


def test_report_serialises_with_the_documented_fields():
    h = host()
    h.register(plugin(register_carriers=registering(GoodCarrier)), "good")
    assert set(h.report[0].model_dump(mode="json")) == {
        "name",
        "distribution",
        "version",
        "roles",
        "connectors",
        "requires_core",
        "status",
        "error",
    }


plugin_specs = st.lists(
    st.tuples(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3), st.booleans()),
    max_size=5,
)


@given(plugin_specs)
def test_keys_go_to_the_first_healthy_plugin_and_refused_plugins_contribute_nothing(specs):
    h = host()
    owner: dict[str, str] = {}
    for index, (keys, compatible) in enumerate(specs):
        name = f"p{index}"
        classes = [
            type(
                f"C{index}{k}",
                (GoodCarrier,),
                {"key": k, "requires_core": ">=0" if compatible else ">=99"},
            )
            for k in keys
        ]
        report = h.register(plugin(register_carriers=registering(*classes)), name)
        clash = any(k in owner for k in keys) or len(set(keys)) < len(keys)
        expected = "failed" if clash else "loaded" if compatible or not keys else "incompatible"
        assert report.status == expected
        if expected == "loaded":
            owner.update(dict.fromkeys(keys, name))
        assert report.connectors == sorted(set(keys))
    assert {k: h.registry.owner(k) for k in h.connectors()} == owner
