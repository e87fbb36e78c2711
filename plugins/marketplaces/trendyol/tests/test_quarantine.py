"""A Trendyol record that breaks Trendyol's own contract is a RecordProblem, never an error of
the whole page: the valid packages (claims, products) beside it still arrive."""

from __future__ import annotations

import copy
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from kervan import RecordKind, RecordProblem
from kervan.domain import Order
from kervan_sdk.sandbox import Fault
from kervan_trendyol.mapping import package_or_problem

DAMAGED_ID = 3_199_000_001


def _damaged(sandbox, **changes: Any) -> dict[str, Any]:
    """A copy of a seeded package under a new id, changed; seeded into the sandbox."""
    pkg = copy.deepcopy(next(iter(sandbox.packages.values())))
    pkg["shipmentPackageId"] = DAMAGED_ID
    for name, value in changes.items():
        if value is _DROP:
            pkg.pop(name, None)
        else:
            pkg[name] = value
    sandbox.add_package(pkg)
    return pkg


_DROP = object()


async def _fetch(connector) -> tuple[list[Order], list[RecordProblem]]:
    orders: list[Order] = []
    problems: list[RecordProblem] = []
    since = connector.context.clock() - timedelta(days=1)
    async for item in connector.fetch_orders(since):
        (problems if isinstance(item, RecordProblem) else orders).append(item)
    return orders, problems


async def test_a_package_without_lines_is_a_problem_and_the_others_on_its_page_arrive(
    sandbox, trendyol, caplog
):
    """What failed like an outage before (retried, dead-lettered, 28 tracebacks): now one
    problem in place of the bad package, nothing raised, nothing traced."""
    good = {str(pid) for pid in sandbox.packages}
    _damaged(sandbox, lines=_DROP)
    caplog.set_level(logging.DEBUG)
    orders, problems = await _fetch(trendyol)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert {o.package_id for o in orders} == good
    (problem,) = problems
    assert problem.kind is RecordKind.ORDER and problem.remote_id == str(DAMAGED_ID)
    assert problem.reason == f"Trendyol package {DAMAGED_ID} cannot be mapped (lines: missing)"
    assert "lines" not in problem.raw and problem.raw["shipmentPackageId"] == DAMAGED_ID


async def test_a_fixed_mapping_replays_the_kept_raw_package(sandbox, trendyol):
    raw = _damaged(sandbox, lines=_DROP)
    _, (problem,) = await _fetch(trendyol)
    with pytest.raises(Exception, match="lines: missing"):
        trendyol.map_order(problem.raw)
    repaired = {**problem.raw, "lines": next(iter(sandbox.packages.values()))["lines"]}
    order = trendyol.map_order(repaired)
    assert order.id == f"c1:{DAMAGED_ID}" and order.order_number == str(raw["orderNumber"])


def _sample() -> dict[str, Any]:
    from pathlib import Path

    path = Path(__file__).parents[1] / "kervan_trendyol" / "samples" / "packages.json"
    return json.loads(path.read_text(encoding="utf-8"))["content"][0]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: p.update(lines="oops"), "lines: not a list"),
        (lambda p: p.update(lines=[]), "lines: empty"),
        (lambda p: p.update(lines=["oops"]), "lines[0]: line: not an object"),
        (lambda p: p["lines"][0].update(quantity="many"), "lines[0]: InvalidOperation"),
        (lambda p: p["lines"][0].pop("barcode"), "lines[0]: barcode: missing"),
        (lambda p: p["lines"][0].update(lineGrossAmount="abc"), "lines[0]: ValueError"),
        (lambda p: p.update(shipmentAddress="Ankara"), "shipmentAddress: not an object"),
        (lambda p: p.pop("orderNumber"), "orderNumber: missing"),
    ],
)
def test_wrong_types_and_missing_fields_are_problems_that_name_the_part(change, reason):
    pkg = _sample()
    change(pkg)
    problem = package_or_problem(pkg, tenant_id="t1", connection_id="c1")
    assert isinstance(problem, RecordProblem), "mapped a package that breaks the contract"
    assert reason in problem.reason and problem.remote_id == str(pkg["shipmentPackageId"])
    assert pkg.get("customerLastName", "Çelik") not in problem.reason  # no buyer data


def test_a_package_without_its_id_is_a_problem_without_a_remote_id():
    pkg = _sample()
    del pkg["shipmentPackageId"]
    problem = package_or_problem(pkg, tenant_id="t1", connection_id="c1")
    assert isinstance(problem, RecordProblem) and problem.remote_id is None
    assert "without shipmentPackageId" in problem.reason


async def test_a_damaged_claim_is_a_problem_and_the_other_claims_arrive(sandbox, trendyol):
    first, second = list(sandbox.packages)[:2]
    ids = {sandbox.customer_return(first), sandbox.customer_return(second, arrived=False)}
    sandbox.faults.add(Fault("damaged_record", path="*claims*"))
    since = trendyol.context.clock() - timedelta(days=3)
    items = [c async for c in trendyol.fetch_claims(since)]
    problems = [i for i in items if isinstance(i, RecordProblem)]
    claims = [i for i in items if not isinstance(i, RecordProblem)]
    (problem,) = problems
    assert problem.kind is RecordKind.CLAIM and "items: not a list" in problem.reason
    assert {c.external_id for c in claims} | {problem.remote_id} == ids
    assert len(claims) == 1
    replayed = trendyol.map_claim(sandbox.faults.damaged[0])
    assert replayed.external_id == problem.remote_id


async def test_a_damaged_product_is_a_problem_and_the_other_listings_arrive(sandbox, trendyol):
    sandbox.faults.add(Fault("damaged_record", path="*/products/approved"))
    items = [x async for x in trendyol.fetch_listings()]
    (problem,) = [i for i in items if isinstance(i, RecordProblem)]
    listings = [i for i in items if not isinstance(i, RecordProblem)]
    assert problem.kind is RecordKind.LISTING and problem.remote_id
    assert len(listings) == len(sandbox.products) - len(
        trendyol.map_listings(sandbox.faults.damaged[0])
    )
    assert {x.barcode for x in listings}.isdisjoint(
        {x.barcode for x in trendyol.map_listings(sandbox.faults.damaged[0])}
    )
