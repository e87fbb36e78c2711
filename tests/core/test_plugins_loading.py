"""Entry-point selection (KERVAN_LOAD_PLUGINS / KERVAN_DISABLED_PLUGINS / strict) and the
requires_core check, including properties over generated names and versions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kervan.plugins import PluginLoadError, get_host, load_plugins, reset_host, strict_from_env
from kervan.plugins.loader import Candidate, parse_names, select
from kervan.plugins.registry import check_requires_core
from packaging.specifiers import SpecifierSet
from packaging.version import Version

CANDIDATES = [
    Candidate("trendyol", "kervan-trendyol", "0.1.0"),
    Candidate("yurtici", "kervan-yurtici", "0.1.0"),
    Candidate("nilvera", "kervan-nilvera", "0.2.0"),
]


def names(plugins) -> list[str]:
    return [p.name for p in plugins]


def test_no_filter_loads_everything():
    chosen = select(CANDIDATES, {})
    assert names(chosen.load) == ["trendyol", "yurtici", "nilvera"]
    assert chosen.skipped == [] and chosen.missing == []


def test_load_plugins_keeps_only_the_named_ones_by_entry_point_or_distribution():
    chosen = select(CANDIDATES, {"KERVAN_LOAD_PLUGINS": "trendyol, Kervan_Nilvera"})
    assert names(chosen.load) == ["trendyol", "nilvera"]
    assert [(s.name, s.reason) for s in chosen.skipped] == [
        ("yurtici", "not in KERVAN_LOAD_PLUGINS")
    ]


def test_disabled_plugins_are_skipped_and_win_over_load_plugins():
    env = {"KERVAN_LOAD_PLUGINS": "trendyol,yurtici", "KERVAN_DISABLED_PLUGINS": "yurtici"}
    chosen = select(CANDIDATES, env)
    assert names(chosen.load) == ["trendyol"]
    assert ("yurtici", "disabled by KERVAN_DISABLED_PLUGINS") in [
        (s.name, s.reason) for s in chosen.skipped
    ]


def test_a_requested_plugin_that_is_not_installed_is_reported_missing():
    chosen = select(CANDIDATES, {"KERVAN_LOAD_PLUGINS": "trendyol,hepsiburada"})
    assert chosen.missing == ["hepsiburada"]


@pytest.mark.parametrize(
    ("value", "strict"),
    [("1", True), ("true", True), (" YES ", True), ("0", False), ("", False), ("no", False)],
)
def test_strict_flag_from_environment(value, strict):
    assert strict_from_env({"KERVAN_STRICT_PLUGINS": value}) is strict


name_st = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@given(
    plugins=st.lists(name_st, unique=True, max_size=6),
    only=st.none() | st.lists(name_st, max_size=4),
    disabled=st.lists(name_st, max_size=4),
)
def test_selection_partitions_the_installed_plugins(plugins, only, disabled):
    env = {"KERVAN_DISABLED_PLUGINS": ",".join(disabled)}
    if only is not None:
        env["KERVAN_LOAD_PLUGINS"] = ",".join(only)
    cands = [Candidate(n, f"kervan-{n}", "1.0") for n in plugins]
    chosen = select(cands, env)
    loaded, skipped = names(chosen.load), names(chosen.skipped)
    assert sorted(loaded + skipped) == sorted(plugins)
    assert not set(loaded) & set(disabled)
    if only:
        assert set(loaded) <= set(only)
        assert set(chosen.missing) == (parse_names(",".join(only)) or set()) - {
            n for c in cands for n in (c.name, c.distribution)
        }
    else:
        assert set(loaded) == set(plugins) - set(disabled)


versions = st.builds(
    lambda parts: Version(".".join(map(str, parts))),
    st.lists(st.integers(0, 30), min_size=1, max_size=3),
)


@given(low=versions, high=versions, core=versions)
def test_requires_core_admits_exactly_the_versions_its_specifier_contains(low, high, core):
    spec = f">={low},<{high}"
    problem = check_requires_core("x", spec, str(core))
    admitted = low <= core < high
    assert (problem is None) == admitted
    if problem is not None:
        assert problem.kind == "incompatible" and f"this is kervan {core}" in problem.message
    assert admitted == SpecifierSet(spec).contains(core)


def test_development_build_of_the_core_satisfies_a_plain_minimum():
    assert check_requires_core("x", ">=0.1", "0.2.0.dev3") is None


def test_process_wide_host_is_cached_until_reset(monkeypatch):
    monkeypatch.delenv("KERVAN_STRICT_PLUGINS", raising=False)
    reset_host()
    try:
        first = get_host()
        assert get_host() is first
        reset_host()
        assert get_host() is not first
    finally:
        reset_host()


def test_strict_get_host_raises_when_a_requested_plugin_is_missing(monkeypatch):
    monkeypatch.setenv("KERVAN_LOAD_PLUGINS", "surely-not-installed")
    monkeypatch.setenv("KERVAN_STRICT_PLUGINS", "1")
    reset_host()
    try:
        with pytest.raises(PluginLoadError, match="surely-not-installed") as caught:
            get_host()
        assert caught.value.host is get_host(strict=False)
        # the same host is still there for a caller that only wants to show the report
        assert get_host(strict=False).notes
    finally:
        reset_host()


def test_load_plugins_without_entry_points_is_empty():
    host = load_plugins(strict=True, entry_points=False)
    assert host.report == [] and host.connectors() == {}
