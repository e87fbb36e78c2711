"""The kit can fail: broken connectors are caught by the named standard test."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent

SUITE_MODULE = """
from kervan_sdk.testing import connector_suite
from toys import SETTINGS, {name}

Test{name}Contract = connector_suite({name}, settings=SETTINGS)
"""


def run_suite(pytester: pytest.Pytester, name: str) -> tuple[set[str], set[str]]:
    """Run the generated suite for toy connector ``name``; return (passed, failed) test names."""
    pytester.syspathinsert(HERE)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(**{f"test_{name.lower()}": SUITE_MODULE.format(name=name)})
    reprec = pytester.inline_run("-q", "-p", "no:cacheprovider")
    passed, skipped, failed = reprec.listoutcomes()
    assert not skipped, "the standard suite skips nothing"
    names = lambda reports: {r.nodeid.rsplit("::", 1)[-1] for r in reports}  # noqa: E731
    return names(passed), names(failed)


def test_a_correct_connector_passes_the_whole_suite_for_its_four_roles(pytester):
    passed, failed = run_suite(pytester, "ToyHub")
    assert failed == set()
    assert {
        "test_check_fails_cleanly_with_bad_credentials",
        "test_order_source_creates_no_duplicates_on_second_run",
        "test_carrier_is_idempotent_on_retry",
        "test_document_issuer_reports_cancellation",
        "test_erp_sink_is_idempotent_per_document",
    } <= passed
    assert len(passed) >= 22


@pytest.mark.parametrize(
    ("toy", "caught_by", "also_allowed"),
    [
        (
            "DuplicatingToy",
            "test_order_source_creates_no_duplicates_on_second_run",
            {"test_order_source_external_ids_are_stable"},
        ),
        ("LeakyToy", "test_secrets_never_appear_in_repr", set()),
        ("ImpatientToy", "test_order_source_honours_retry_after", set()),
        ("GullibleToy", "test_check_fails_cleanly_with_bad_credentials", set()),
        (
            "DoubleBookingToy",
            "test_carrier_is_idempotent_on_retry",
            {"test_carrier_is_idempotent_when_the_answer_is_lost"},
        ),
    ],
)
def test_a_broken_connector_is_caught_by_the_named_test(pytester, toy, caught_by, also_allowed):
    passed, failed = run_suite(pytester, toy)
    assert caught_by in failed
    assert failed <= {caught_by} | also_allowed, f"unexpected failures: {failed}"
    assert len(passed) >= 20  # the rest of the suite still runs and passes
