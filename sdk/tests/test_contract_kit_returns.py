"""The returns part of the shipping suite can fail: a correct toy carrier passes it, and each toy
with one returns bug is caught by the named standard test."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent

SUITE_MODULE = """
from kervan_sdk.testing import connector_suite
from sdk_toys import SETTINGS
from sdk_returns_toys import {name}

Test{name}Contract = connector_suite({name}, settings=SETTINGS)
"""

RETURNS_TESTS = (
    "test_carrier_gives_one_return_code_however_often_asked",
    "test_carrier_gives_one_return_code_when_the_answer_is_lost",
    "test_different_returns_get_different_codes",
    "test_carrier_withdraws_a_return_code_once_however_often_asked",
    "test_returns_desk_follows_a_handed_in_parcel_to_the_seller",
)
#: toy → the returns test that must catch it
BROKEN = {
    "RebookingToy": "test_carrier_gives_one_return_code_however_often_asked",
    "EagerReturnsToy": "test_returns_desk_follows_a_handed_in_parcel_to_the_seller",
    "RedoWithdrawToy": "test_carrier_withdraws_a_return_code_once_however_often_asked",
    "StrandedReturnsToy": "test_returns_desk_follows_a_handed_in_parcel_to_the_seller",
}


def run(pytester: pytest.Pytester, only: dict[str, tuple[str, ...]]) -> dict[str, dict[str, set]]:
    """Outcomes of the named returns tests of each toy's generated suite, in one session."""
    pytester.syspathinsert(HERE)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    for name in only:
        pytester.makepyfile(**{f"test_{name.lower()}": SUITE_MODULE.format(name=name)})
    selected = [
        f"test_{name.lower()}.py::Test{name}Contract::{test}"
        for name, tests in only.items()
        for test in tests
    ]
    reprec = pytester.inline_run("-q", "-p", "no:cacheprovider", *selected)
    results = {n: {"passed": set(), "failed": set(), "skipped": set()} for n in only}
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.when == "call" or report.outcome != "passed":
            _, cls, test = report.nodeid.split("::")
            toy = cls.removeprefix("Test").removesuffix("Contract")
            results[toy][report.outcome].add(test)
    return results


def test_a_correct_carrier_passes_every_returns_test(pytester):
    result = run(pytester, {"ReturnsToy": RETURNS_TESTS})["ReturnsToy"]
    assert result["failed"] == set() and result["skipped"] == set()
    assert result["passed"] == set(RETURNS_TESTS)


def test_each_returns_bug_is_caught_by_the_named_test(pytester):
    results = run(pytester, {toy: (test,) for toy, test in BROKEN.items()})
    slipped = [
        f"{toy} slipped past {test}"
        for toy, test in BROKEN.items()
        if test not in results[toy]["failed"]
    ]
    assert not slipped, "\n".join(slipped)
