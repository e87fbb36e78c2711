"""The kit can fail: broken connectors are caught by the named standard test."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent

SUITE_MODULE = """
from kervan_sdk.testing import connector_suite
from sdk_toys import SETTINGS
from {module} import {name}

Test{name}Contract = connector_suite({name}, settings=SETTINGS, listing_count=12)
"""

#: broken toy → (the standard test that must catch it, other tests it may also fail); the
#: catalog's own tests (of which only the stock-push one is named here) do not run for these
BROKEN = {
    "DuplicatingToy": (
        "test_order_source_creates_no_duplicates_on_second_run",
        {
            "test_order_source_external_ids_are_stable",
            # a fetch after the split finds every order under a new id
            "test_order_source_split_is_done_once_and_keeps_every_unit",
            "test_order_source_quantity_split_is_done_once_and_keeps_every_unit",
        },
    ),
    "LeakyToy": ("test_secrets_never_appear_in_repr", set()),
    "ChattyToy": ("test_secrets_never_appear_in_logs", set()),
    "FragileToy": (
        "test_order_source_quarantines_a_malformed_record_and_keeps_the_good_ones",
        set(),
    ),
    "ImpatientToy": ("test_order_source_honours_retry_after", set()),
    "GullibleToy": ("test_check_fails_cleanly_with_bad_credentials", set()),
    "OptimisticToy": (
        "test_tax_classifier_raises_during_an_outage_and_never_answers_unregistered",
        set(),
    ),
    "BatchFailingTrackToy": ("test_carrier_tracks_a_parcel_to_its_delivery", set()),
    "AllOrNothingStockToy": (
        "test_order_source_pushes_stock_and_answers_for_every_barcode",
        set(),
    ),
    "ForgetfulCancelToy": ("test_carrier_cancels_a_parcel_once_however_often_asked", set()),
    "UnforgivingSplitToy": (
        "test_order_source_split_is_done_once_and_keeps_every_unit",
        {"test_order_source_quantity_split_is_done_once_and_keeps_every_unit"},
    ),
    "DoubleBookingToy": (
        "test_carrier_is_idempotent_on_retry",
        {"test_carrier_is_idempotent_when_the_answer_is_lost"},
    ),
}
#: the same for the catalog suites' broken toys (in sdk_catalog_toys)
CATALOG_BROKEN = {
    "ListingsTwiceToy": ("test_listings_name_every_product_once_with_its_barcode", set()),
    "StopsOnRepeatToy": ("test_listings_page_completely_under_overlapping_pages", set()),
    "FragileListingsToy": (
        "test_listings_quarantine_a_malformed_product_and_keep_the_good_ones",
        {"test_listings_map_listings_agrees_with_fetch_listings"},
    ),
    "StockCodeProblemToy": (
        "test_listings_quarantine_a_malformed_product_and_keep_the_good_ones",
        set(),
    ),
    "DriftingMapToy": ("test_listings_map_listings_agrees_with_fetch_listings", set()),
    "OneShotStockToy": ("test_stock_push_beyond_the_batch_limit_answers_once_per_barcode", set()),
    "EchoingStockToy": ("test_stock_push_beyond_the_batch_limit_answers_once_per_barcode", set()),
    "RepeatRaisingStockToy": (
        "test_stock_push_reports_a_repeated_identical_request_instead_of_raising",
        set(),
    ),
    "GiveUpStockToy": ("test_stock_push_survives_injected_rate_limits_and_server_errors", set()),
    "PricelessToy": (
        "test_price_push_shows_the_sale_and_list_price_pushed",
        {"test_price_push_refuses_a_list_price_below_the_sale_price_per_item"},
    ),
    "ClampingPriceToy": (
        "test_price_push_refuses_a_list_price_below_the_sale_price_per_item",
        set(),
    ),
}


#: the catalog toys differ from ToyHub only there, so only the catalog tests run for them
CATALOG_TESTS = "test_listings_ or test_stock_push_ or test_price_push_ or pushes_stock"


def run_suites(
    pytester: pytest.Pytester, names: list[str], *args: str
) -> dict[str, dict[str, set[str]]]:
    """Run the generated suite for each toy in one session: {toy: {outcome: test names}}."""
    pytester.syspathinsert(HERE)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    for name in names:
        module = "sdk_catalog_toys" if name in CATALOG_BROKEN else "sdk_toys"
        source = SUITE_MODULE.format(name=name, module=module)
        pytester.makepyfile(**{f"test_{name.lower()}": source})
    reprec = pytester.inline_run("-q", "-p", "no:cacheprovider", *args)
    results: dict[str, dict[str, set[str]]] = {
        n: {"passed": set(), "failed": set(), "skipped": set()} for n in names
    }
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.when == "call" or report.outcome != "passed":
            _, cls, test = report.nodeid.split("::")
            toy = cls.removeprefix("Test").removesuffix("Contract")
            results[toy][report.outcome].add(test)
    return results


def test_a_correct_connector_passes_the_whole_suite_for_its_five_roles(pytester):
    result = run_suites(pytester, ["ToyHub"])["ToyHub"]
    assert result["failed"] == set() and result["skipped"] == set()
    assert {
        "test_check_fails_cleanly_with_bad_credentials",
        "test_order_source_creates_no_duplicates_on_second_run",
        "test_order_source_honours_retry_after",
        "test_carrier_is_idempotent_on_retry",
        "test_document_issuer_reports_cancellation",
        "test_erp_sink_is_idempotent_per_document",
        "test_tax_classifier_raises_during_an_outage_and_never_answers_unregistered",
        "test_order_source_split_is_done_once_and_keeps_every_unit",
        "test_order_source_quantity_split_is_done_once_and_keeps_every_unit",
        "test_carrier_tracks_a_parcel_to_its_delivery",
        "test_carrier_cancels_a_parcel_once_however_often_asked",
        "test_order_source_pushes_stock_and_answers_for_every_barcode",
        "test_order_source_quarantines_a_malformed_record_and_keeps_the_good_ones",
        "test_listings_name_every_product_once_with_its_barcode",
        "test_listings_quarantine_a_malformed_product_and_keep_the_good_ones",
        "test_stock_push_beyond_the_batch_limit_answers_once_per_barcode",
        "test_stock_push_reports_a_repeated_identical_request_instead_of_raising",
        "test_price_push_refuses_a_list_price_below_the_sale_price_per_item",
        "test_erp_sink_posts_an_expense_voucher_once_or_says_it_cannot",
    } <= result["passed"]
    assert len(result["passed"]) == 45


@pytest.mark.parametrize(
    ("broken", "args", "at_least"),
    [
        (BROKEN, ("-k", "not (test_listings_ or test_stock_push_ or test_price_push_)"), 20),
        (CATALOG_BROKEN, ("-k", CATALOG_TESTS), 8),
    ],
    ids=["roles", "catalog"],
)
def test_each_broken_connector_is_caught_by_the_named_test(pytester, broken, args, at_least):
    results = run_suites(pytester, list(broken), *args)
    wrong = []
    for toy, (caught_by, also_allowed) in broken.items():
        failed = results[toy]["failed"]
        if caught_by not in failed:
            wrong.append(f"{toy} slipped past {caught_by}")
        if not failed <= {caught_by} | also_allowed:
            wrong.append(f"{toy}: unexpected failures {failed - {caught_by} - also_allowed}")
        if len(results[toy]["passed"]) < at_least:
            wrong.append(f"{toy}: the rest of the suite did not run")
    assert not wrong, "\n".join(wrong)
