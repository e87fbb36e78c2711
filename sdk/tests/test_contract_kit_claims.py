"""The claims suite can fail: a correct toy passes it, and each toy with one claims bug is
caught by the named standard test."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent

SUITE_MODULE = """
from kervan_sdk.testing import connector_suite
from sdk_toys import SETTINGS
from sdk_claims_toys import {name}

Test{name}Contract = connector_suite({name}, settings=SETTINGS, claim_create_reason="return")
"""

#: toy → (the claims test that must catch it, other claims tests it fails too)
BROKEN = {
    "RepeatingClaimsToy": ("test_claims_come_once_per_call_under_overlapping_pages", set()),
    "FragileClaimsToy": ("test_claims_quarantine_a_malformed_claim_and_keep_the_good_ones", set()),
    "OnePhotoToy": ("test_claims_reject_carries_every_attachment_and_may_be_asked_twice", set()),
    "BlindCreateToy": (
        "test_claims_create_twice_opens_one_claim",
        {"test_claims_create_for_units_a_buyer_claimed_answers_the_buyers_claim"},
    ),
    "TouchyApproveToy": ("test_claims_approve_accepts_the_lines_and_may_be_asked_twice", set()),
}
CLAIMS_TESTS = 9


def run(
    pytester: pytest.Pytester, names: list[str], only: dict[str, set[str]] | None = None
) -> dict[str, dict[str, set[str]]]:
    """The claims tests of the generated suite for each toy (``only``: just these tests per
    toy, to keep the run short), in one session."""
    pytester.syspathinsert(HERE)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    for name in names:
        pytester.makepyfile(**{f"test_{name.lower()}": SUITE_MODULE.format(name=name)})
    selected = [
        f"test_{name.lower()}.py::Test{name}Contract::{test}"
        for name, tests in (only or {}).items()
        for test in sorted(tests)
    ]
    reprec = pytester.inline_run("-q", "-p", "no:cacheprovider", "-k", "test_claims_", *selected)
    results = {n: {"passed": set(), "failed": set(), "skipped": set()} for n in names}
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.when == "call" or report.outcome != "passed":
            _, cls, test = report.nodeid.split("::")
            toy = cls.removeprefix("Test").removesuffix("Contract")
            results[toy][report.outcome].add(test)
    return results


def test_a_correct_connector_passes_every_claims_test(pytester):
    result = run(pytester, ["ClaimsToy"])["ClaimsToy"]
    assert result["failed"] == set() and result["skipped"] == set()
    assert len(result["passed"]) == CLAIMS_TESTS


def test_each_claims_bug_is_caught_by_the_named_test(pytester):
    # each toy runs only the test that must catch it (the correct toy runs them all above)
    only = {toy: {caught_by} for toy, (caught_by, _) in BROKEN.items()}
    results = run(pytester, list(BROKEN), only)
    slipped = [
        f"{toy} slipped past {test}"
        for toy, (test, _) in BROKEN.items()
        if test not in results[toy]["failed"]
    ]
    assert not slipped, "\n".join(slipped)
