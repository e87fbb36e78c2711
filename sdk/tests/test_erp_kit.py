"""The ERP suite can fail: a correct toy ERP passes it all, each broken one is caught by the
named test (and by nothing else it does not deserve)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent

SUITE_MODULE = """
from kervan_sdk.testing import connector_suite
from sdk_erp_toys import SETTINGS, {name}

Test{name}Contract = connector_suite({name}, settings=SETTINGS)
"""

BROKEN = {
    "DoublePayingErp": (
        "test_erp_payment_closing_posted_twice_is_one_payment",
        # a lost answer and a re-send are two payments too
        {"test_erp_payment_closing_survives_a_lost_answer"},
    ),
    "HalfReversingErp": ("test_erp_reversal_undoes_the_invoice_and_its_payment_once", set()),
    "StatusTakingErp": ("test_erp_products_come_one_card_per_exact_stock_code", set()),
    "BarcodeSplittingErp": ("test_erp_products_come_one_card_per_exact_stock_code", set()),
    "CodeTidyingErp": (
        "test_erp_products_come_one_card_per_exact_stock_code",
        {"test_erp_products_a_changed_stock_code_is_a_new_record"},
    ),
    "DoubleReturningErp": ("test_erp_return_is_posted_once_per_reference", set()),
}


def run(pytester, names):
    pytester.syspathinsert(HERE)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    for name in names:
        pytester.makepyfile(**{f"test_{name.lower()}": SUITE_MODULE.format(name=name)})
    reprec = pytester.inline_run("-q", "-p", "no:cacheprovider", "-k", "erp_")
    results = {n: {"passed": set(), "failed": set(), "skipped": set()} for n in names}
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.when == "call" or report.outcome != "passed":
            _, cls, test = report.nodeid.split("::")
            results[cls.removeprefix("Test").removesuffix("Contract")][report.outcome].add(test)
    return results


def test_a_correct_erp_passes_the_whole_erp_suite(pytester):
    result = run(pytester, ["ToyErp"])["ToyErp"]
    assert result["failed"] == set() and result["skipped"] == set()
    assert len(result["passed"]) == 11


def test_each_broken_erp_is_caught_by_the_named_test(pytester):
    results = run(pytester, list(BROKEN))
    wrong = []
    for toy, (caught_by, also_allowed) in BROKEN.items():
        failed = results[toy]["failed"]
        if caught_by not in failed:
            wrong.append(f"{toy} slipped past {caught_by}")
        if not failed <= {caught_by} | also_allowed:
            wrong.append(f"{toy}: unexpected failures {failed - {caught_by} - also_allowed}")
    assert not wrong, "\n".join(wrong)
