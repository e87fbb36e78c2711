"""Picking rules (a table of orders against a rule set), conflicts, the dry run, pick lists,
and the staff report's mix adjustment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from kervan.floor import Floor, PickRule, Range, RuleSet, conflicts
from kervan.floor.facts import order_facts
from kervan.floor.picking import confirm, short
from kervan.floor.reports import fit
from kervan.store.port import TenantStore

from .helpers import T0, order, put

RULES = RuleSet(
    rules=[
        PickRule(name="urgent", ship_within_hours=6, picker="ali"),
        PickRule(name="hb-izmir", connections=["hb"], cities=["izmir"], group="team-b"),
        PickRule(name="big", desi=Range(min=Decimal(5)), picker="veli"),
        PickRule(name="flasks", products=["FLASK"], group="team-a"),
        PickRule(name="abroad", countries=["DE"], picker="ayse"),
    ],
    groups={"team-a": ["u1", "u2"], "team-b": ["u3"]},
    fallback_group="team-a",
)


@pytest.mark.parametrize(
    ("rec", "rule", "target"),
    [
        (order(1, [("A", 1)], ship_by_h=5), "urgent", "picker:ali"),
        (order(2, [("A", 1)], connection="hb", city="İZMİR"), "hb-izmir", "group:team-b"),
        (order(3, [("A", 1)], connection="hb", city="Ankara"), None, "group:team-a"),
        (order(4, [("A", 6)]), "big", "picker:veli"),  # no dimensions: 1 desi a unit
        (order(5, [("FLASK", 1), ("A", 1)]), "flasks", "group:team-a"),
        (order(6, [("FLASK", 9)], ship_by_h=1), "urgent", "picker:ali"),  # first match wins
    ],
)
def test_first_matching_rule_assigns_the_order(rec, rule, target) -> None:
    assert RULES.assign(order_facts(rec, {}), T0) == (rule, target)


def test_conflicts_name_shadowed_rules_and_overlaps() -> None:
    rules = RuleSet(
        rules=[
            PickRule(name="istanbul", cities=["İstanbul"], picker="a"),
            PickRule(name="kadikoy", cities=["istanbul"], districts=["Kadıköy"], picker="b"),
            PickRule(name="small", desi=Range(max=Decimal(3)), picker="c"),
            PickRule(name="ankara-big", cities=["Ankara"], desi=Range(min=Decimal(10)), picker="c"),
        ]
    )
    found = {(c.kind, c.rule, c.by) for c in conflicts(rules)}
    assert ("shadowed", "kadikoy", "istanbul") in found
    assert ("overlap", "small", "istanbul") in found
    assert ("overlap", "ankara-big", "small") not in found  # same picker, and desi apart
    assert not any(c.rule == "ankara-big" for c in conflicts(rules))


def test_rule_needs_exactly_one_target() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        PickRule(name="x", picker="a", group="g")


def test_dry_run_counts_the_last_days_orders_per_rule(ts: TenantStore) -> None:
    put(
        ts,
        order(1, [("A", 2)], ship_by_h=5),
        order(2, [("FLASK", 1)]),
        order(3, [("A", 1)], connection="hb", city="İzmir"),
        order(4, [("A", 1)], ordered_h=-24 * 10),  # too old for a 7-day run
    )
    floor = Floor(ts_store(ts))
    rows = floor.dry_run("t1", RULES, days=7, now=T0 + timedelta(hours=1))
    got = {(r.rule, r.target): (r.orders, r.items) for r in rows}
    assert got == {
        ("urgent", "picker:ali"): (1, 2),
        ("hb-izmir", "group:team-b"): (1, 1),
        ("flasks", "group:team-a"): (1, 1),
    }


def ts_store(ts: TenantStore):  # the Store behind a tenant view (tests only)
    class One:
        def tenant(self, _tid: str) -> TenantStore:
            return ts

    return One()


def test_pick_lists_aggregate_by_product_and_show_no_orders(ts: TenantStore) -> None:
    put(ts, order(1, [("A", 2), ("B", 1)]), order(2, [("A", 3)]), order(3, [("C", 1)], ship_by_h=2))
    floor = Floor(ts_store(ts))  # type: ignore[arg-type]
    floor.save_rules("t1", RuleSet(rules=[PickRule(name="all", group="g")], groups={"g": ["u1"]}))
    (plist,) = floor.make_pick_lists("t1", T0)
    assert [(x.barcode, x.quantity, x.urgent) for x in plist.lines] == [
        ("C", 1, True),
        ("A", 5, False),
        ("B", 1, False),
    ]
    assert "ty:" not in plist.model_dump_json()
    assert floor.pick_lists("t1", "u1") and not floor.pick_lists("t1", "u9")
    _, msg = confirm(ts, plist.id, scan_id="p1", barcode="A", quantity=4, picker="u1", now=T0)
    assert msg == "4 of 5 picked."
    again, _ = confirm(ts, plist.id, scan_id="p1", barcode="A", quantity=4, picker="u1", now=T0)
    assert again.lines[1].picked == 4  # the retry counted nothing
    _, over = confirm(ts, plist.id, scan_id="p2", barcode="A", quantity=2, picker="u1", now=T0)
    assert over.startswith("Too many")
    done, _ = short(
        ts, plist.id, scan_id="p3", barcode="A", quantity=1, reason="damaged", picker="u1", now=T0
    )
    assert done.lines[1].short == 1 and done.lines[1].short_reasons[0].reason == "damaged"


def test_fit_recovers_per_order_and_per_line_costs() -> None:
    samples = [(float(lines), 30 + 12 * lines) for lines in (1, 1, 2, 5, 12, 3)]
    a, b = fit(samples)
    assert abs(a - 30) < 1e-6 and abs(b - 12) < 1e-6
    assert fit([(1.0, 40.0), (1.0, 60.0)]) == (50.0, 0.0)
