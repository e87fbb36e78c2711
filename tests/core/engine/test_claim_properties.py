"""Returns under random interleavings, on both store adapters: the marketplace's claim moving
(parcel arriving, auto-accept, disputes settled either way, the buyer cancelling), the desk
receiving and deciding, steps replayed, and a crash between a remote call and its commit.

Whatever happens:

- the stock comes back exactly once, for settled units inspected sellable, and nothing else;
- a return has at most one gider pusulası, and it refunds exactly what the buyer paid for the
  settled units;
- the marketplace is asked to approve or reject only items it is waiting on, each once;
- a claim never fails on its own, and once the marketplace settles every line and the desk has
  received the parcel, the claim ends returned, rejected or cancelled.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan import ClaimFile, RemoteRef
from kervan.claims import ClaimState, Inspection, Returns
from kervan.claims import commit as claim_commit
from kervan.domain import Claim, ClaimLine, ClaimLineStatus, ClaimReason, DocumentStatus
from kervan.engine import Engine
from kervan.engine.records import STOCK, STOCK_MOVE
from kervan.engine.stock import figures
from kervan.errors import RemoteRejectedError
from kervan.store import Query, open_store

from .fakes import Clock, FakeSource, Provider, Tenants, World, order

UNITS = 3
BARCODE = "8690000000011"


class ClaimSource(FakeSource):
    """The fake marketplace with claims that behave like Trendyol's: items move Created →
    WaitingInAction → Accepted/Unresolved; only waiting items may be approved or rejected."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.claims: dict[str, Claim] = {}
        self.asked: list[tuple[str, str]] = []  # (action, item id)
        self.refusals = 0

    async def fetch_claims(self, since: datetime) -> AsyncIterator[Claim]:
        for claim in list(self.claims.values()):
            yield claim.model_copy(deep=True)

    def _set(self, claim_id: str, ids: list[str], status: ClaimLineStatus) -> None:
        claim = self.claims[claim_id]
        lines = [
            ln.model_copy(update={"status": status}) if ln.id in ids else ln for ln in claim.lines
        ]
        self.claims[claim_id] = claim.model_copy(update={"lines": lines})

    def _waiting(self, claim: Claim, ids: list[str], action: str) -> list[str]:
        """The items to act on; one already in the state the action leads to is skipped (an
        idempotent connector: Trendyol's reads the items' statuses first), any other state
        not waiting is a refusal."""
        done = ClaimLineStatus.ACCEPTED if action == "approve" else ClaimLineStatus.DISPUTED
        todo = []
        for i in ids:
            line = next(ln for ln in self.claims[claim.external_id].lines if ln.id == i)
            if line.status is done:
                continue
            if line.status is not ClaimLineStatus.WAITING:  # Trendyol's 400
                self.refusals += 1
                raise RemoteRejectedError(f"{i} is {line.status}, not waiting", remote="fake")
            todo.append(i)
        self.asked += [(action, i) for i in todo]
        return todo

    async def approve_claim(self, claim: Claim, line_ids: list[str]) -> RemoteRef:
        todo = self._waiting(claim, line_ids, "approve")
        self._set(claim.external_id, todo, ClaimLineStatus.ACCEPTED)
        return RemoteRef()

    async def reject_claim(
        self,
        claim: Claim,
        line_ids: list[str],
        reason_code: str,
        description: str,
        files: list[ClaimFile] | None = None,
    ) -> RemoteRef:
        todo = self._waiting(claim, line_ids, "reject")
        self._set(claim.external_id, todo, ClaimLineStatus.DISPUTED)
        return RemoteRef()


class Crash(Exception):
    pass


def _claim(n_lines: int, now: datetime) -> Claim:
    return Claim(
        id="c1",
        tenant_id="t1",
        connection_id="ty",
        external_id="c1",
        order_number="10p1",
        package_id="p1",
        claimed_at=now,
        respond_by=now + timedelta(hours=48),
        cargo_tracking_number="7330001",
        lines=[
            ClaimLine(
                id=f"i{n}",
                order_line_id="p1-1",
                barcode=BARCODE,
                name="Tişört",
                unit_price=Decimal("299.90"),
                reason=ClaimReason(code="401", name="vazgeçtim"),
                status=ClaimLineStatus.CREATED,
            )
            for n in range(n_lines)
        ],
    )


def _world(adapter: str) -> tuple[Engine, World, Clock, ClaimSource, Any]:
    world, clock = World(), Clock()
    if adapter == "sqlite":
        store = open_store(f"sqlite:///{tempfile.mkdtemp()}/kervan.db")
    else:
        from couchbase_fake import FakeCluster
        from kervan.store.couchbase import CouchbaseStore

        store = CouchbaseStore(FakeCluster(), "kervan", "kervan")
    provider = Provider(world, clock)
    source = ClaimSource(provider.conns["ty"].settings, provider.conns["ty"].context, world)
    provider.conns["ty"] = source
    engine = Engine(store=store, connectors=provider, tenants=Tenants(), clock=clock)
    return engine, world, clock, source, store


def _deliver(engine: Engine, world: World, clock: Clock) -> None:
    """One e-Arşiv order of ``UNITS`` units to a person, stock-managed, shipped."""
    engine.set_stock("t1", "prod-1", 10, [BARCODE])
    o = order("p1")
    o.lines[0] = o.lines[0].model_copy(update={"quantity": UNITS})
    world.packages["p1"] = o
    run = asyncio.run
    run(engine.ingest("t1", "ty"))
    run(engine.advance("t1", "ty:p1"))
    for key in list(world.shipments):
        world.picked_up.add(key)
    run(engine.track("t1", "cargo"))
    run(engine.advance("t1", "ty:p1"))


ops = st.lists(
    st.one_of(
        st.just(("arrive",)),
        st.just(("sync",)),
        st.tuples(
            st.just("receive"),
            st.lists(
                st.sampled_from(["sellable", "damaged", "missing_part"]),
                min_size=UNITS,
                max_size=UNITS,
            ),
        ),
        st.tuples(
            st.just("decide"),
            st.sampled_from(["approve", "reject"]),
            st.sets(st.integers(0, UNITS - 1), min_size=1),
        ),
        st.just(("advance",)),
        st.just(("crash",)),
        st.tuples(
            st.just("market"), st.sampled_from([ClaimLineStatus.ACCEPTED, ClaimLineStatus.REJECTED])
        ),
        st.just(("auto_accept",)),
        st.just(("cancel",)),
    ),
    max_size=14,
)


@pytest.mark.parametrize("adapter", ["sqlite", "couchbase-fake"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=ops)
def test_returns_hold_their_invariants(adapter: str, program: list[tuple]) -> None:
    engine, world, clock, source, store = _world(adapter)
    try:
        _deliver(engine, world, clock)
        _check(engine, world, clock, source, store, program)
    finally:
        store.close()


def _check(engine, world, clock, source, store, program) -> None:
    ts = store.tenant("t1")
    returns = Returns(engine)
    run = asyncio.run
    before = figures(ts.get(STOCK, "prod-1").body).on_hand
    source.claims["c1"] = _claim(UNITS, clock())
    run(returns.sync("t1", "ty"))
    key = "ty:c1"
    for op in program:
        clock.now += timedelta(minutes=5)
        current = source.claims["c1"]
        ids = [ln.id for ln in current.lines]
        if op[0] == "arrive":
            source._set(
                "c1",
                [ln.id for ln in current.lines if ln.status is ClaimLineStatus.CREATED],
                ClaimLineStatus.WAITING,
            )
        elif op[0] == "sync":
            run(returns.sync("t1", "ty"))
        elif op[0] == "receive":
            lines = [Inspection(line_id=i, condition=c) for i, c in zip(ids, op[1], strict=True)]
            try:
                returns.receive("t1", key, by="clerk", scanned="7330001", lines=lines)
            except Exception as exc:
                assert getattr(exc, "code", "") == "claim_state", exc
        elif op[0] == "decide":
            chosen = [ids[i] for i in sorted(op[2])]
            try:
                returns.decide(
                    "t1",
                    key,
                    op[1],
                    by="clerk",
                    line_ids=chosen,
                    reason_code="51",
                    description="kullanılmış",
                )
            except Exception as exc:
                assert getattr(exc, "code", "") in ("claim_state", "invalid_input"), exc
        elif op[0] == "advance":
            run(returns.advance("t1", key))
        elif op[0] == "crash":
            real = claim_commit.commit

            def crashing(*a: Any, **kw: Any) -> Any:
                raise Crash("power cut after the remote call, before the commit")

            import kervan.claims.runner as svc

            svc.commit = crashing
            try:
                run(returns.advance("t1", key))
            except Crash:
                pass
            finally:
                svc.commit = real
        elif op[0] == "market":
            disputed = [ln.id for ln in current.lines if ln.status is ClaimLineStatus.DISPUTED]
            source._set("c1", disputed, op[1])
        elif op[0] == "auto_accept":
            waiting = [ln.id for ln in current.lines if ln.status is ClaimLineStatus.WAITING]
            source._set("c1", waiting, ClaimLineStatus.ACCEPTED)
        elif op[0] == "cancel":
            created = [ln.id for ln in current.lines if ln.status is ClaimLineStatus.CREATED]
            source._set("c1", created, ClaimLineStatus.CANCELLED)
        _invariants(ts, returns, key, source, before)
    # the marketplace settles everything, the desk has the parcel: the claim ends
    waiting = [
        ln.id
        for ln in source.claims["c1"].lines
        if ln.status in (ClaimLineStatus.CREATED, ClaimLineStatus.WAITING)
    ]
    source._set("c1", waiting, ClaimLineStatus.ACCEPTED)
    disputed = [ln.id for ln in source.claims["c1"].lines if ln.status is ClaimLineStatus.DISPUTED]
    source._set("c1", disputed, ClaimLineStatus.REJECTED)
    run(returns.sync("t1", "ty"))
    rec = returns.get("t1", key)
    if rec.receipt is None and rec.state not in (ClaimState.CANCELLED, ClaimState.REJECTED):
        returns.receive(
            "t1",
            key,
            by="clerk",
            scanned="x",
            lines=[Inspection(line_id=ln.id, condition="sellable") for ln in rec.claim.lines],
        )
    run(returns.advance("t1", key))
    run(returns.advance("t1", key))
    _invariants(ts, returns, key, source, before)
    final = returns.get("t1", key)
    assert final.state in (ClaimState.RETURNED, ClaimState.REJECTED, ClaimState.CANCELLED), (
        final.timeline[-3:]
    )


def _invariants(ts, returns: Returns, key: str, source: ClaimSource, before: int) -> None:
    rec = returns.get("t1", key)
    assert rec.state is not ClaimState.FAILED, rec.last_error
    moves = ts.query(Query(STOCK_MOVE, {"ref": key}))
    back = sum(m.body["on_hand"] for m in moves)
    assert figures(ts.get(STOCK, "prod-1").body).on_hand == before + back
    settled = {ln.id for ln in rec.claim.lines if ln.status is ClaimLineStatus.ACCEPTED} | set(
        rec.done.approved_remote
    )
    if rec.done.restocked:
        sellable = {i.line_id for i in rec.receipt.lines if i.condition == "sellable"}
        assert back == len(settled & sellable)
    else:
        assert back == 0
    assert len(source.asked) == len(set(source.asked)), "an item was asked twice"
    vouchers = ts.query(Query("expense_voucher"))
    assert len(vouchers) <= 1
    if vouchers:
        paid_per_unit = Decimal("299.90") - Decimal("20.00") / UNITS
        body = vouchers[0].body
        units = sum(Decimal(str(line["quantity"])) for line in body["lines"])
        assert units == len(settled)
        assert abs(Decimal(str(body["total"])) - paid_per_unit * units) <= Decimal("0.01")
        assert body["status"] != DocumentStatus.CANCELLED
