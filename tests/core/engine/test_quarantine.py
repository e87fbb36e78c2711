"""A bad remote record never costs a good one: problems are kept raw, the rest is ingested,
the cursor advances; a later good version or a replay resolves them."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from kervan import ConnectorSettings, OrderSource, RecordKind, RecordProblem
from kervan.domain import Claim, ClaimLine, ClaimLineStatus, ClaimReason, Listing, Order
from kervan.engine import Engine, inbox, quarantine
from kervan.engine.ingest import ingest
from kervan.engine.records import CURSOR, ORDER
from kervan.engine.replay import replay
from kervan.errors import NotFoundError, StateConflictError, UnsupportedOperationError
from kervan_sdk import map_record

from .fakes import T0, Clock, Provider, Tenants, World, order


class RawSource(OrderSource):
    """Serves raw package dicts and maps each one on its own, as a connector should."""

    key = "raw-source"
    display_name = "Raw marketplace"

    def __init__(self, context: Any, raws: list[dict[str, Any]]) -> None:
        super().__init__(ConnectorSettings(), context)
        self.raws = raws
        #: mapping is "fixed" (a new plugin version) once this is set
        self.lenient = False

    def map_order(self, raw: dict[str, Any]) -> Order:
        if self.lenient and "lines" not in raw:
            raw = {**raw, "lines": [good_raw("fixed")["lines"][0]]}
        return Order.model_validate(raw)

    async def fetch_orders(
        self, since: datetime, until: datetime | None = None
    ) -> AsyncIterator[Order | RecordProblem]:
        for raw in self.raws:
            yield map_record(RecordKind.ORDER, raw, self.map_order, remote_id="package_id")

    def verify_webhook(self, headers) -> bool:
        return True

    def parse_webhook(self, body: bytes) -> list[Order | RecordProblem]:
        items = json.loads(body)
        return [
            map_record(RecordKind.ORDER, raw, self.map_order, remote_id="package_id")
            for raw in items
        ]


def good_raw(package_id: str) -> dict[str, Any]:
    return order(package_id).model_dump(mode="json")


def bad_raw(package_id: str) -> dict[str, Any]:
    raw = good_raw(package_id)
    del raw["lines"]
    return raw


@pytest.fixture
def setup(store, world: World, clock: Clock):
    provider = Provider(world, clock)
    from kervan import ConnectorContext

    source = RawSource(
        ConnectorContext(tenant_id="t1", connection_id="ty", clock=clock),
        [good_raw("1"), bad_raw("2"), good_raw("3")],
    )
    provider.conns["ty"] = source
    engine = Engine(store=store, connectors=provider, tenants=Tenants(), clock=clock)
    return engine, source, store.tenant("t1")


async def test_a_bad_package_is_kept_raw_and_the_good_ones_on_its_page_are_ingested(
    setup, clock, caplog
):
    engine, _, ts = setup
    caplog.set_level(logging.DEBUG)
    result = await engine.ingest("t1", "ty")
    assert sorted(result.new) == ["ty:1", "ty:3"]
    assert result.problems == ["ty:order:2"] and result.open_problems == 1
    assert ts.get(ORDER, "ty:2") is None
    assert ts.get(CURSOR, "ty").body["since"] == clock.now.isoformat(), "the cursor advanced"
    problem = quarantine.get(ts, "ty:order:2")
    assert problem is not None and problem.status == "open" and problem.via == "poll"
    assert problem.connection_id == "ty" and problem.remote_id == "2"
    assert problem.raw == bad_raw("2"), "kept exactly as the remote sent it"
    assert "lines" in problem.reason and problem.times_seen == 1
    assert not [r for r in caplog.records if r.exc_info], "no traceback logged"


async def test_polling_the_same_bad_record_again_counts_it_instead_of_piling_up(setup, clock):
    engine, _, ts = setup
    await engine.ingest("t1", "ty")
    clock.now += timedelta(minutes=1)
    await engine.ingest("t1", "ty")
    problems = quarantine.listing(ts, status=None)
    assert [p.id for p in problems] == ["ty:order:2"]
    assert problems[0].times_seen == 2
    assert problems[0].first_seen == T0 and problems[0].last_seen == clock.now


async def test_a_record_without_a_readable_id_is_kept_once_by_its_content(setup, clock):
    engine, source, ts = setup
    nameless = bad_raw("4")
    del nameless["package_id"]
    source.raws = [nameless]
    await engine.ingest("t1", "ty")
    await engine.ingest("t1", "ty")
    (problem,) = quarantine.listing(ts, status=None, kind=RecordKind.ORDER, limit=10)[:1]
    assert problem.remote_id is None and problem.id.startswith("ty:order:h")
    assert problem.times_seen == 2 and quarantine.count_open(ts) == 1


async def test_a_later_good_version_of_the_record_resolves_its_problem(setup, clock):
    engine, source, ts = setup
    await engine.ingest("t1", "ty")
    source.raws = [good_raw("2")]
    clock.now += timedelta(minutes=5)
    result = await engine.ingest("t1", "ty")
    assert result.new == ["ty:2"] and result.open_problems == 0
    problem = quarantine.get(ts, "ty:order:2")
    assert problem is not None and problem.status == "resolved"
    assert problem.result_ids == ["ty:2"] and "later poll" in (problem.resolution or "")


async def test_a_replay_after_a_fix_ingests_the_record_and_resolves_the_problem(setup, clock):
    engine, source, ts = setup
    await engine.ingest("t1", "ty")
    failed = await replay(engine, "t1", "ty:order:2", "user:op")
    assert not failed.resolved and "lines" in (failed.reason or "")
    kept = quarantine.get(ts, "ty:order:2")
    assert kept is not None and kept.status == "open" and kept.replays == 1

    source.lenient = True  # the plugin was fixed
    clock.now += timedelta(minutes=1)
    done = await replay(engine, "t1", "ty:order:2", "user:op")
    assert done.resolved and done.result_ids == ["ty:2"] and done.open_problems == 0
    stored = ts.get(ORDER, "ty:2")
    assert stored is not None and stored.body["state"] == "received"
    assert stored.body["due_at"] is not None, "due for work at once"
    resolved = quarantine.get(ts, "ty:order:2")
    assert resolved is not None and resolved.status == "resolved"
    assert resolved.resolution == "replayed by user:op" and resolved.replays == 2
    with pytest.raises(StateConflictError, match="already resolved"):
        await replay(engine, "t1", "ty:order:2", "user:op")
    with pytest.raises(NotFoundError):
        await replay(engine, "t1", "ty:order:nope", "user:op")


async def test_a_bad_record_seen_again_after_it_was_resolved_is_open_again(setup, clock):
    engine, source, ts = setup
    await engine.ingest("t1", "ty")
    source.raws = [good_raw("2")]
    await engine.ingest("t1", "ty")
    source.raws = [bad_raw("2")]
    await engine.ingest("t1", "ty")
    problem = quarantine.get(ts, "ty:order:2")
    assert problem is not None and problem.status == "open" and problem.times_seen == 2


def test_a_webhook_payload_with_one_bad_package_stores_the_others(setup, clock):
    engine, _, ts = setup
    body = json.dumps([good_raw("7"), bad_raw("8")]).encode()
    key = engine.receive_webhook("t1", "ty", {}, body)
    result = engine.process_webhook("t1", key, "ty")
    assert result.new == ["ty:7"] and result.problems == ["ty:order:8"]
    item = ts.get("inbox", key)
    assert item is not None and item.body["processed"] and item.body["problems"] == ["ty:order:8"]
    problem = quarantine.get(ts, "ty:order:8")
    assert problem is not None and problem.via == "webhook"
    assert inbox.pending(ts) == []


def test_a_webhook_payload_that_cannot_be_read_at_all_stays_unprocessed(setup):
    engine, _, ts = setup
    key = engine.receive_webhook("t1", "ty", {}, b"not json")
    with pytest.raises(Exception):
        engine.process_webhook("t1", key, "ty")
    assert inbox.pending(ts) == [(key, "ty")]
    assert quarantine.count_open(ts) == 0


def _claim(claim_id: str) -> Claim:
    return Claim(
        id=f"ty:{claim_id}",
        tenant_id="t1",
        connection_id="ty",
        external_id=claim_id,
        order_number="101",
        claimed_at=T0,
        lines=[
            ClaimLine(
                id=f"{claim_id}-1",
                order_line_id="1-1",
                barcode="8690000000011",
                name="Pamuklu Tişört",
                quantity=1,
                unit_price="299.90",
                reason=ClaimReason(code="401", name="Vazgeçtim", source="customer"),
                status=ClaimLineStatus.CREATED,
            )
        ],
    )


async def _items(*items: Any) -> AsyncIterator[Any]:
    for item in items:
        yield item


async def test_sift_keeps_claim_problems_and_hands_back_the_good_claims(store):
    ts = store.tenant("t1")
    bad = RecordProblem(kind=RecordKind.CLAIM, raw={"id": 9}, reason="no items", remote_id="9")
    good, kept = await quarantine.sift(
        ts, "ty", RecordKind.CLAIM, _items(_claim("5"), bad, _claim("6")), T0
    )
    assert [c.external_id for c in good] == ["5", "6"] and kept == ["ty:claim:9"]
    # a later fetch brings claim 9 in a shape that maps
    good, kept = await quarantine.sift(ts, "ty", RecordKind.CLAIM, _items(_claim("9")), T0)
    problem = quarantine.get(ts, "ty:claim:9")
    assert problem is not None and problem.status == "resolved"
    assert problem.result_ids == ["ty:9"]


async def test_sift_keeps_listing_problems_and_a_good_listing_resolves_by_barcode(store):
    ts = store.tenant("t1")
    bad = RecordProblem(
        kind=RecordKind.LISTING, raw={"barcode": "8690000000011"}, reason="no price"
    )
    good, kept = await quarantine.sift(ts, "ty", RecordKind.LISTING, _items(bad), T0)
    assert good == [] and kept == ["ty:listing:h" + kept[0].split(":h")[1]]
    bad = bad.model_copy(update={"remote_id": "8690000000011"})
    await quarantine.sift(ts, "ty", RecordKind.LISTING, _items(bad), T0)
    listing = Listing(
        id="ty:8690000000011", tenant_id="t1", connection_id="ty", barcode="8690000000011"
    )
    good, _ = await quarantine.sift(ts, "ty", RecordKind.LISTING, _items(listing), T0)
    assert good == [listing]
    assert quarantine.get(ts, "ty:listing:8690000000011").status == "resolved"  # type: ignore[union-attr]


async def test_replaying_a_claim_says_claims_are_not_stored_yet(setup):
    engine, _, ts = setup
    bad = RecordProblem(kind=RecordKind.CLAIM, raw={"id": 9}, reason="no items", remote_id="9")
    await quarantine.sift(ts, "ty", RecordKind.CLAIM, _items(bad), T0)
    with pytest.raises(UnsupportedOperationError):
        await replay(engine, "t1", "ty:claim:9", "user:op")
    assert quarantine.get(ts, "ty:claim:9").status == "open"  # type: ignore[union-attr]


async def test_ingest_function_runs_without_the_engine(store, clock):
    """The core function the jobs call, on its own: same rule."""
    from kervan import ConnectorContext

    source = RawSource(
        ConnectorContext(tenant_id="t1", connection_id="ty", clock=clock), [bad_raw("1")]
    )
    result = await ingest(store.tenant("t1"), source, "ty", clock.now)
    assert result.new == [] and result.problems == ["ty:order:1"]
