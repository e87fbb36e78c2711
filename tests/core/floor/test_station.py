"""The packing station: the order a scan chooses, slots, completion, refusals, replays."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan.claims.evidence import PACK_LOG
from kervan.domain import OrderState
from kervan.engine.records import ORDER
from kervan.floor.intake import refresh
from kervan.floor.records import FLOOR_ORDER, PACK_QUEUE
from kervan.floor.station import PackScan, ScanResult, scan
from kervan.store.port import Query, TenantStore

from .helpers import T0, fresh_tenant, order, put

FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def do(
    ts: TenantStore, sid: str, barcode: str, station: str = "s1", packer: str = "p1"
) -> ScanResult:
    return scan(ts, PackScan(scan_id=sid, barcode=barcode, station=station), packer=packer, now=T0)


def test_scan_picks_oldest_single_item_order_first(ts: TenantStore) -> None:
    put(
        ts,
        order(1, [("A", 1), ("B", 1)], ship_by_h=10),  # multi, earliest deadline
        order(2, [("A", 1)], ship_by_h=30, ordered_h=2),
        order(3, [("A", 1)], ship_by_h=30, ordered_h=1),  # single, same deadline, older
        order(4, [("A", 1)], ship_by_h=40),
    )
    assert refresh(ts) == 4
    first = do(ts, "x1", "A")
    assert (first.outcome, first.order_id) == ("packed", "ty:3")
    assert first.print is not None and first.print.label_zpl.endswith("/ty:3/label.zpl")
    assert do(ts, "x2", "A").order_id == "ty:2"


def test_at_risk_orders_come_before_single_item_ones(ts: TenantStore) -> None:
    put(ts, order(1, [("A", 1), ("B", 1)], ship_by_h=2), order(2, [("A", 1)], ship_by_h=30))
    refresh(ts)
    got = do(ts, "x1", "A")
    assert (got.outcome, got.order_id, got.slot, got.remaining) == ("slotted", "ty:1", 1, 1)


def test_multi_item_order_waits_in_a_slot_then_prints(ts: TenantStore) -> None:
    put(ts, order(1, [("A", 2), ("B", 1)]), order(2, [("C", 1), ("D", 1)]))
    refresh(ts)
    assert do(ts, "1", "A").slot == 1
    assert do(ts, "2", "C").slot == 2  # a second order on the table gets the next slot
    assert do(ts, "3", "B").outcome == "slotted"
    done = do(ts, "4", "A")
    assert (done.outcome, done.order_id, done.print is not None) == ("packed", "ty:1", True)
    assert ts.get(ORDER, "ty:1").body["state"] == OrderState.PACKED
    assert len(ts.get(PACK_LOG, "ty:1").body["scans"]) == 4 - 1  # C went to order 2


def test_over_scan_wrong_item_and_cancelled_print_nothing(ts: TenantStore) -> None:
    put(ts, order(1, [("A", 1), ("B", 1)]))
    refresh(ts)
    do(ts, "1", "A")
    over = do(ts, "2", "A")
    assert (over.outcome, over.print, over.slot) == ("over_scan", None, 1)
    wrong = do(ts, "3", "Z")
    assert (wrong.outcome, wrong.print, wrong.order_id) == ("wrong_item", None, None)

    def cancel(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "state": "cancelled", "order": {**body["order"], "state": "cancelled"}}

    ts.update(ORDER, "ty:1", cancel)
    gone = do(ts, "4", "B")
    assert (gone.outcome, gone.print, gone.order_id) == ("cancelled", None, "ty:1")
    assert "cancelled" in gone.message and len(gone.message) < 80
    assert do(ts, "5", "B").outcome == "wrong_item"  # the cancelled order left the queue


def test_over_scan_of_a_cancelled_order_on_the_table_says_cancelled(ts: TenantStore) -> None:
    put(ts, order(1, [("A", 1), ("B", 1)]))
    refresh(ts)
    do(ts, "1", "A")
    ts.update(ORDER, "ty:1", lambda b: {**b, "order": {**b["order"], "source_cancelled": True}})
    got = do(ts, "2", "A")
    assert (got.outcome, got.slot, got.print) == ("cancelled", 1, None)


def test_another_stations_table_keeps_its_order(ts: TenantStore) -> None:
    put(ts, order(1, [("A", 1), ("B", 1)]))
    refresh(ts)
    do(ts, "1", "A", station="s1")
    assert do(ts, "2", "B", station="s2").outcome == "wrong_item"
    assert do(ts, "3", "B", station="s1").outcome == "packed"


ORDERS = st.lists(
    st.tuples(
        st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 2)), min_size=1, max_size=3),
        st.sampled_from([None, 2, 10, 20]),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=8,
)


@contextmanager
def fresh(spec: list[Any]) -> Iterator[TenantStore]:
    recs = []
    for i, (lines, ship, at) in enumerate(spec):
        merged: dict[str, int] = {}
        for bc, q in lines:
            merged[bc] = merged.get(bc, 0) + q
        recs.append(order(i, list(merged.items()), ship_by_h=ship, ordered_h=at))
    with fresh_tenant() as ts:
        put(ts, *recs)
        refresh(ts)
        yield ts


@FAST
@given(ORDERS, st.sampled_from("ABC"))
def test_property_scan_chooses_the_best_eligible_order(spec: list[Any], barcode: str) -> None:
    with fresh(spec) as ts:
        waiting = []
        for i, (lines, ship, at) in enumerate(spec):
            if any(bc == barcode for bc, _ in lines):
                units = sum(q for _, q in lines)
                at_risk = ship is not None and ship <= 4
                waiting.append(
                    (not at_risk, units != 1, ship if ship is not None else 1e9, at, f"ty:{i}")
                )
        got = do(ts, "s", barcode)
        if not waiting:
            assert got.outcome == "wrong_item"
        else:
            assert got.order_id == min(waiting)[-1]


@FAST
@given(
    st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(1, 3)), min_size=1, max_size=4),
    st.randoms(use_true_random=False),
)
def test_property_multi_item_completes_only_when_every_item_is_scanned(
    lines: list[tuple[str, int]], rnd: Any
) -> None:
    need: dict[str, int] = {}
    for bc, q in lines:
        need[bc] = need.get(bc, 0) + q
    units = [bc for bc, q in need.items() for _ in range(q)]
    rnd.shuffle(units)
    with fresh_tenant() as ts:
        put(ts, order(1, list(need.items())))
        refresh(ts)
        outcomes = [do(ts, f"s{i}", bc).outcome for i, bc in enumerate(units)]
        assert outcomes[-1] == "packed"
        assert all(o == "slotted" for o in outcomes[:-1])
        assert ts.get(ORDER, "ty:1").body["state"] == "packed"
        assert do(ts, "again", units[0]).outcome == "wrong_item"  # nothing waits any more


def snapshot(ts: TenantStore) -> Any:
    fos = {d.key: d.body for d in ts.query(Query(FLOOR_ORDER))}
    queues = {d.key: d.body for d in ts.query(Query(PACK_QUEUE))}
    logs = {d.key: len(d.body["scans"]) for d in ts.query(Query(PACK_LOG))}
    return fos, queues, logs


@FAST
@given(ORDERS, st.lists(st.tuples(st.integers(0, 6), st.sampled_from("ABCZ")), max_size=10))
def test_property_replayed_scans_change_nothing(spec: list[Any], scans: list[Any]) -> None:
    with fresh(spec) as once, fresh(spec) as twice:
        first: dict[int, ScanResult] = {}
        for sid, bc in scans:
            if sid not in first:
                first[sid] = do(once, f"id{sid}", bc)
        answers: dict[int, ScanResult] = {}
        for sid, bc in scans:
            got = do(twice, f"id{sid}", bc)
            got2 = do(twice, f"id{sid}", bc)  # the handheld's retry
            assert got2.replayed
            answers.setdefault(sid, got)
            assert got2.model_dump(exclude={"replayed", "guidance"}) == answers[sid].model_dump(
                exclude={"replayed", "guidance"}
            )
        assert snapshot(once) == snapshot(twice)
        assert {k: v.order_id for k, v in first.items()} == {
            k: v.order_id for k, v in answers.items()
        }


def test_due_soon_is_relative_to_now(ts: TenantStore) -> None:
    put(ts, order(1, [("A", 1), ("B", 1)], ship_by_h=30), order(2, [("A", 1)], ship_by_h=40))
    refresh(ts)
    later = T0 + timedelta(hours=27)  # order 1 is now at risk
    got = scan(ts, PackScan(scan_id="x", barcode="A", station="s1"), packer="p", now=later)
    assert got.order_id == "ty:1"


@FAST
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.booleans(),
            st.sampled_from([None, "2026-12-01T10:00:00.000000Z", "2026-12-03T10:00:00.000000Z"]),
            st.sampled_from(["2026-11-30T10:00:00.000000Z", "2026-11-29T10:00:00.000000Z"]),
            st.sampled_from([None, "s1", "s2"]),
        ),
        max_size=12,
    )
)
def test_property_stored_queue_order_is_the_ranking(raw: list[Any]) -> None:
    from kervan.floor.queue import Entry, candidates, ranked

    entries = [Entry(f"o{i}", n, s, b, t, w) for i, (n, s, b, t, w) in enumerate(raw)]
    body = {"entries": [e.to_json() for e in entries]}
    assert list(candidates(body, "s1", T0)) == ranked(entries, "s1", T0)


def test_two_stations_scanning_at_once_never_pack_an_order_twice(ts: TenantStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    put(ts, *(order(i, [("A", 1)], ordered_h=i) for i in range(8)))
    refresh(ts)

    def one(i: int) -> ScanResult:
        return do(ts, f"c{i}", "A", station=f"s{i % 2}", packer=f"p{i % 2}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, range(12)))
    packed = [r.order_id for r in results if r.outcome == "packed"]
    assert sorted(packed) == sorted(f"ty:{i}" for i in range(8))
    assert sum(r.outcome == "wrong_item" for r in results) == 4
