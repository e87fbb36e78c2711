"""``Returns``: what jobs, the API, the CLI and the demo call for returns.

Every method takes ids, reads the truth from the store, and is safe to call again: a claim
delivered three times across overlapping pages is one claim; a scan, a receipt or a decision
sent twice by a handheld changes nothing the second time.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..domain import Claim, ClaimLine, ClaimLineStatus, ClaimReason, Invoice, OrderState
from ..engine import quarantine
from ..engine.context import StepContext
from ..engine.engine import Engine
from ..engine.records import CURSOR, ORDER, SHIPMENT, OrderRecord
from ..errors import (
    ClaimStateError,
    ConflictError,
    InvalidInputError,
    KervanError,
    NotFoundError,
    UnsupportedOperationError,
)
from ..problems import RecordProblem
from ..roles import Carrier, DocumentIssuer, OrderSource, ReturnBooking, ReturnRequest
from ..store.port import CasMismatch, Query
from . import fiscal, steps
from .commit import ClaimChange, commit, note, settle
from .parts import PART_SHIPMENT, Parts
from .plan import ClaimStep, due_steps, warnings_due
from .record import (
    CLAIM,
    CLAIM_CODE,
    CLAIM_REF,
    FINAL,
    ClaimRecord,
    ClaimState,
    Decision,
    Inspection,
    Receipt,
)

#: states in which the marketplace may still change a claim's items
MARKETPLACE_OPEN = (
    ClaimState.REQUESTED,
    ClaimState.RECEIVED,
    ClaimState.APPROVING,
    ClaimState.DISPUTED,
    ClaimState.FAILED,
)
#: how far back a claim poll looks again (claims are filtered on their creation date, and a
#: claim's items change status after it was created)
OPEN_LOOKBACK = timedelta(days=30)
FIRST_LOOKBACK = timedelta(days=14)
MAX_STEP_FAILURES = 8
#: Trendyol's reason for a return that came with no return code ("Vazgeçtim", changed mind)
NO_REQUEST_REASON = "401"


@dataclass
class SyncResult:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    """What a scanned code found: a claim, or the order of a return that has none."""

    code: str
    claim: ClaimRecord | None = None
    order: OrderRecord | None = None
    candidates: list[str] = field(default_factory=list)


def claim_key(connection_id: str, external_id: str) -> str:
    return f"{connection_id}:{external_id}"


class Returns:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: exchanges and missing-part shipments (:mod:`.parts`)
        self.parts = Parts(engine.context)

    def _ctx(self, tenant_id: str, actor: str = "engine") -> StepContext:
        return self.engine.context(tenant_id, actor)

    # -- reading ------------------------------------------------------------------------------

    def get(self, tenant_id: str, key: str) -> ClaimRecord:
        doc = self.engine.store.tenant(tenant_id).get(CLAIM, key)
        if doc is None:
            raise NotFoundError(f"claim {key!r} not found")
        return ClaimRecord.from_body(doc.body)

    def queue(
        self, tenant_id: str, states: list[ClaimState] | None = None, limit: int = 200
    ) -> list[ClaimRecord]:
        """Open claims, the marketplace's auto-accept deadline first (the approval queue)."""
        ts = self.engine.store.tenant(tenant_id)
        wanted = states or [ClaimState.REQUESTED, ClaimState.RECEIVED]
        out: list[ClaimRecord] = []
        for state in wanted:
            out += [
                ClaimRecord.from_body(d.body)
                for d in ts.query(Query(CLAIM, {"state": state.value}, limit=limit))
            ]
        far = datetime.max.replace(tzinfo=None)
        out.sort(
            key=lambda r: (
                r.claim.respond_by.replace(tzinfo=None) if r.claim.respond_by else far,
                r.claim.claimed_at.replace(tzinfo=None),
            )
        )
        return out[:limit]

    def delivered_orders(self, tenant_id: str, connection_id: str) -> list[OrderRecord]:
        """Orders of ``connection_id`` delivered to their buyers (what a buyer may return),
        by order number."""
        ts = self.engine.store.tenant(tenant_id)
        docs = ts.query(
            Query(
                ORDER,
                {"state": OrderState.DELIVERED.value, "connection_id": connection_id},
                limit=1000,
            )
        )
        recs = [OrderRecord.from_body(d.body) for d in docs]
        return sorted(recs, key=lambda r: r.order.order_number)

    def sales_invoice(self, tenant_id: str, order: OrderRecord) -> Invoice | None:
        """The order's sales invoice, if it has one."""
        return fiscal.sales_invoice(self.engine.store.tenant(tenant_id), order)

    def for_order(self, tenant_id: str, order_id: str) -> list[ClaimRecord]:
        ts = self.engine.store.tenant(tenant_id)
        return [
            ClaimRecord.from_body(d.body)
            for d in ts.query(Query(CLAIM, {"order_id": order_id}, limit=100))
        ]

    # -- the marketplace's claims -------------------------------------------------------------

    async def sync(self, tenant_id: str, connection_id: str) -> SyncResult:
        """Fetch the connection's claims and fold them in: new ones open a record (or match
        the return Kervan already opened for them), known ones take the marketplace's line
        statuses. Each is then advanced (a status change may make a step due)."""
        ctx = self._ctx(tenant_id)
        ts = ctx.store
        source = ctx.connector(connection_id, OrderSource, "order source")
        now = ctx.clock()
        since = self._since(tenant_id, connection_id, now)
        result = SyncResult()
        seen: set[str] = set()
        try:
            claims = source.fetch_claims(since)
        except UnsupportedOperationError:
            return result  # this marketplace offers no claims API: returns come by scan
        try:
            async for item in claims:
                if isinstance(item, RecordProblem):
                    result.problems.append(
                        quarantine.keep(ts, connection_id, item, now, via="claims")
                    )
                    continue
                if item.external_id in seen:
                    continue
                seen.add(item.external_id)
                key, how = self._fold(tenant_id, item, now)
                if how:
                    getattr(result, how).append(key)
        except KervanError as exc:
            self.engine.health.failure(tenant_id, connection_id, exc.message)
            raise
        self.engine.health.success(tenant_id, connection_id)
        ts.upsert(CURSOR, f"claims:{connection_id}", {"since": now.isoformat()})
        for key in dict.fromkeys(result.new + result.changed + result.matched):
            try:
                await self.advance(tenant_id, key)
            except KervanError:  # recorded on the claim; the next poll or a person retries
                continue
        return result

    def _since(self, tenant_id: str, connection_id: str, now: datetime) -> datetime:
        ts = self.engine.store.tenant(tenant_id)
        doc = ts.get(CURSOR, f"claims:{connection_id}")
        if doc is None:
            return now - FIRST_LOOKBACK
        since = datetime.fromisoformat(doc.body["since"]) - timedelta(minutes=10)
        # the oldest claim the marketplace may still move (its items' statuses change after
        # the claim was created, and claims are fetched by their creation date)
        for state in MARKETPLACE_OPEN:
            oldest = ts.query(
                Query(
                    CLAIM,
                    {"connection_id": connection_id, "state": state.value},
                    order_by="opened_at",
                    limit=1,
                )
            )
            if oldest:
                since = min(since, ClaimRecord.from_body(oldest[0].body).claim.claimed_at)
        return max(since, now - OPEN_LOOKBACK)

    def _fold(self, tenant_id: str, incoming: Claim, now: datetime) -> tuple[str, str | None]:
        ts = self.engine.store.tenant(tenant_id)
        key = claim_key(incoming.connection_id, incoming.external_id)
        ref = ts.get(CLAIM_REF, key)
        if ref is not None:
            key = ref.body["claim"]
        else:
            local = self._match_local(tenant_id, incoming)
            if local is not None:
                ts.upsert(
                    CLAIM_REF,
                    claim_key(incoming.connection_id, incoming.external_id),
                    {"claim": local},
                )
                key = local
        for _ in range(10):
            doc = ts.get(CLAIM, key)
            if doc is None:
                rec = self._new_record(tenant_id, key, incoming, now)
                try:
                    commit(ts, ClaimChange(rec, docs=self._codes(rec)), None, now)
                    return key, "new"
                except CasMismatch:
                    continue
            rec = ClaimRecord.from_body(doc.body)
            matched = rec.claim.lines[0].id.startswith("local-")
            merged = _merge(rec, incoming)
            if merged is None:
                return key, None
            note(
                rec,
                now,
                "claim",
                "info",
                "the marketplace reported the return Kervan opened"
                if matched
                else "the marketplace updated the claim",
                statuses={ln.id: ln.status.value for ln in rec.claim.lines},
            )
            try:
                commit(ts, ClaimChange(rec, docs=self._codes(rec)), doc.cas, now)
                return key, "matched" if matched else "changed"
            except CasMismatch:
                continue
        raise ConflictError(f"claim {key} keeps changing; try again")

    def _match_local(self, tenant_id: str, incoming: Claim) -> str | None:
        """A return Kervan opened (no request) whose marketplace claim id is not known yet:
        the same order and the same units."""
        ts = self.engine.store.tenant(tenant_id)
        docs = ts.query(
            Query(
                CLAIM,
                {"connection_id": incoming.connection_id, "state": ClaimState.APPROVING.value},
                limit=500,
            )
        )
        docs += ts.query(
            Query(
                CLAIM,
                {"connection_id": incoming.connection_id, "state": ClaimState.RECEIVED.value},
                limit=500,
            )
        )
        want = Counter(ln.barcode for ln in incoming.lines)
        for doc in docs:
            rec = ClaimRecord.from_body(doc.body)
            if (
                rec.claim.opened_by == "seller"
                and rec.claim.order_number == incoming.order_number
                and rec.claim.lines[0].id.startswith("local-")
                and Counter(ln.barcode for ln in rec.claim.lines) == want
            ):
                return rec.key
        return None

    def _new_record(self, tenant_id: str, key: str, claim: Claim, now: datetime) -> ClaimRecord:
        order = self._order_of(tenant_id, claim)
        rec = ClaimRecord(key=key, claim=claim, order_id=order.order.id if order else None)
        note(
            rec,
            now,
            "claim",
            "ok",
            f"return requested at the marketplace ({len(claim.lines)} item(s))",
            reasons=sorted({ln.reason.name for ln in claim.lines}),
        )
        if order is None:
            note(rec, now, "claim", "info", f"order {claim.order_number} is not in Kervan")
        return rec

    def _order_of(self, tenant_id: str, claim: Claim) -> OrderRecord | None:
        ts = self.engine.store.tenant(tenant_id)
        if claim.order_id:
            doc = ts.get(ORDER, claim.order_id)
            if doc is not None:
                return OrderRecord.from_body(doc.body)
        docs = ts.query(Query(ORDER, {"order_number": claim.order_number}, limit=50))
        recs = [
            OrderRecord.from_body(d.body)
            for d in docs
            if d.body.get("connection_id") == claim.connection_id
        ]
        barcodes = {ln.barcode for ln in claim.lines}
        for rec in recs:
            if barcodes <= {ln.barcode for ln in rec.order.lines}:
                return rec
        return recs[0] if recs else None

    def _codes(self, rec: ClaimRecord) -> list[tuple[str, str, dict[str, Any]]]:
        """What a scan at the returns desk may read for this claim: the return parcel's
        tracking number, the return code the carrier issued."""
        codes = [rec.claim.cargo_tracking_number]
        if rec.return_code:
            codes += [rec.return_code.get("code"), rec.return_code.get("tracking_number")]
        return [(CLAIM_CODE, _code(c), {"claim": rec.key}) for c in codes if c]

    # -- the returns desk ---------------------------------------------------------------------

    def scan(self, tenant_id: str, code: str) -> ScanResult:
        """What the returns desk scanned: a return's cargo barcode or tracking number, a
        carrier return code, a claim id, or (a return with no request) the order's own
        shipment barcode, tracking number or order number."""
        ts = self.engine.store.tenant(tenant_id)
        code = code.strip()
        if not code:
            raise InvalidInputError("scan a barcode: the code is empty")
        hit = ts.get(CLAIM_CODE, _code(code)) or ts.get(CLAIM_REF, code)
        if hit is not None:
            return ScanResult(code=code, claim=self.get(tenant_id, hit.body["claim"]))
        doc = ts.get(CLAIM, code)
        if doc is not None:
            return ScanResult(code=code, claim=ClaimRecord.from_body(doc.body))
        order = self._order_by_code(tenant_id, code)
        if order is None:
            raise NotFoundError(
                f"nothing matches {code!r}: scan the return's cargo barcode, the order's "
                "shipping label or type the order number"
            )
        claims = [c for c in self.for_order(tenant_id, order.order.id) if c.state not in FINAL]
        if len(claims) == 1:
            return ScanResult(code=code, claim=claims[0], order=order)
        return ScanResult(code=code, order=order, candidates=[c.key for c in claims])

    def _order_by_code(self, tenant_id: str, code: str) -> OrderRecord | None:
        ts = self.engine.store.tenant(tenant_id)
        docs = ts.query(Query(SHIPMENT, {"cargo_key": code}, limit=1))
        if docs:
            found = ts.get(ORDER, docs[0].body["order_id"])
            if found is not None:
                return OrderRecord.from_body(found.body)
        docs = ts.query(Query(ORDER, {"order_number": code}, limit=5))
        if docs:
            return OrderRecord.from_body(docs[0].body)
        doc = ts.get(ORDER, code)
        return OrderRecord.from_body(doc.body) if doc else None

    def receive(
        self,
        tenant_id: str,
        key: str,
        *,
        by: str,
        scanned: str,
        lines: list[Inspection],
        station: str | None = None,
    ) -> ClaimRecord:
        """Record what the clerk found, per claim line. The same receipt sent again changes
        nothing; a different one replaces it until a decision was taken."""
        ctx = self._ctx(tenant_id, by)
        now = ctx.clock()

        def change(rec: ClaimRecord) -> bool:
            known = {ln.id for ln in rec.claim.lines}
            unknown = sorted({i.line_id for i in lines} - known)
            if unknown:
                raise InvalidInputError(
                    f"claim {key} has no line(s) {', '.join(unknown)}; its lines: "
                    + ", ".join(sorted(known))
                )
            missing = sorted(known - {i.line_id for i in lines})
            if missing:
                raise InvalidInputError(
                    f"inspect every returned item: line(s) {', '.join(missing)} have no condition"
                )
            if rec.receipt is not None and rec.receipt.lines == lines:
                return False  # a handheld's resend
            if rec.state in FINAL:
                raise _refuse(
                    key, f"claim {key} is {rec.state}: nothing to receive", "receive", rec.state
                )
            if rec.decisions:
                raise _refuse(
                    key,
                    f"claim {key} was already decided ({rec.decisions[-1].action} by "
                    f"{rec.decisions[-1].by}); its receipt can no longer change",
                    "receive",
                    rec.state,
                )
            rec.receipt = Receipt(at=now, by=by, scanned=scanned, station=station, lines=lines)
            counts = Counter(i.condition for i in lines)
            note(
                rec,
                now,
                "receive",
                "ok",
                f"received by scan of {scanned}",
                actor=by,
                station=station,
                conditions=dict(counts),
            )
            return True

        return self._update(tenant_id, key, change)

    def decide(
        self,
        tenant_id: str,
        key: str,
        action: str,
        *,
        by: str,
        line_ids: list[str] | None = None,
        reason_code: str | None = None,
        description: str | None = None,
    ) -> ClaimRecord:
        """Approve or reject (``action``) claim lines (default: every line not decided yet).
        A rejection needs the marketplace's reason code and a description; the clerk's photos
        and Kervan's packing evidence go with it."""
        if action not in ("approve", "reject"):
            raise InvalidInputError("action is approve or reject")
        ctx = self._ctx(tenant_id, by)
        now = ctx.clock()

        def change(rec: ClaimRecord) -> bool:
            decided = set(rec.decided("approve")) | set(rec.decided("reject"))
            ids = line_ids or [ln.id for ln in rec.claim.lines if ln.id not in decided]
            unknown = sorted(set(ids) - {ln.id for ln in rec.claim.lines})
            if unknown:
                raise InvalidInputError(f"claim {key} has no line(s) {', '.join(unknown)}")
            again = [i for i in ids if i in decided]
            if again and len(again) == len(ids) and all(i in rec.decided(action) for i in again):
                return False  # a handheld's resend of a decision already taken
            if not line_ids and not ids and rec.decided(action):
                return False  # "approve the rest", sent again once nothing is left
            if rec.state in FINAL or rec.state is ClaimState.FAILED:
                raise _refuse(
                    key, f"claim {key} is {rec.state}: it cannot be decided now", action, rec.state
                )
            if rec.receipt is None:
                raise _refuse(
                    key,
                    f"claim {key}: receive the parcel (scan and inspect it) before deciding",
                    action,
                    rec.state,
                )
            if again:
                raise _refuse(
                    key,
                    f"claim {key}: line(s) {', '.join(again)} were already decided",
                    action,
                    rec.state,
                )
            if not ids:
                return False
            if action == "reject":
                if not reason_code:
                    raise InvalidInputError("a rejection needs the marketplace's reason code")
                if not description or not description.strip():
                    raise InvalidInputError("a rejection needs a description for the marketplace")
            rec.decisions.append(
                Decision(
                    action=action,
                    line_ids=ids,
                    at=now,
                    by=by,
                    reason_code=reason_code,
                    description=description,
                )
            )
            note(
                rec,
                now,
                action,
                "ok",
                f"{len(ids)} line(s) to {action}",
                actor=by,
                lines=ids,
                reason_code=reason_code,
            )
            return True

        self._update(tenant_id, key, change)
        return self._run_sync_safe(tenant_id, key)

    def _run_sync_safe(self, tenant_id: str, key: str) -> ClaimRecord:
        return self.get(tenant_id, key)

    async def open_return(
        self,
        tenant_id: str,
        order_id: str,
        *,
        by: str,
        scanned: str,
        lines: dict[str, int] | None = None,
        inspections: dict[str, Inspection] | None = None,
        reason_code: str = NO_REQUEST_REASON,
        note_text: str = "return without a return code",
        station: str | None = None,
    ) -> ClaimRecord:
        """A parcel came back with no request: receive it as a return of ``lines`` (order
        line id → units; default the whole order), approve it, and open the claim at the
        marketplace. Sent twice (the same scan and lines), it is the same return."""
        ctx = self._ctx(tenant_id, by)
        now = ctx.clock()
        doc = ctx.store.get(ORDER, order_id)
        if doc is None:
            raise NotFoundError(f"order {order_id!r} not found")
        order = OrderRecord.from_body(doc.body)
        by_id = {ln.line_id: ln for ln in order.order.lines}
        units = lines or {ln.line_id: int(ln.quantity) for ln in order.order.lines}
        bad = [i for i, q in units.items() if i not in by_id or not 0 < q <= int(by_id[i].quantity)]
        if bad or not units:
            raise InvalidInputError(
                f"order {order.order.order_number}: line(s) {', '.join(bad) or '(none)'} are not "
                "on the order, or the quantity is more than was sold"
            )
        basis = f"{order_id}|{scanned}|{sorted(units.items())}"
        digest = hashlib.sha256(basis.encode()).hexdigest()[:20]
        key = f"{order.order.connection_id}:return-{digest}"
        if ctx.store.get(CLAIM, key) is not None:
            return await self.advance(tenant_id, key)
        reason = ClaimReason(code=reason_code, name=note_text, source="seller")
        claim_lines = [
            ClaimLine(
                id=f"local-{line_id}-{n + 1}",
                order_line_id=line_id,
                barcode=by_id[line_id].barcode,
                name=by_id[line_id].name,
                quantity=Decimal(1),
                unit_price=by_id[line_id].unit_price,
                reason=reason,
                status=ClaimLineStatus.WAITING,
                customer_note=note_text,
            )
            for line_id, qty in units.items()
            for n in range(qty)
        ]
        claim = Claim(
            id=key,
            tenant_id=tenant_id,
            connection_id=order.order.connection_id,
            external_id=key.split(":", 1)[1],
            order_number=order.order.order_number,
            package_id=order.order.package_id,
            order_id=order_id,
            claimed_at=now,
            opened_by="seller",
            lines=claim_lines,
        )
        found = inspections or {}
        receipt_lines = [
            found[ln.order_line_id].model_copy(update={"line_id": ln.id})
            if ln.order_line_id in found
            else Inspection(line_id=ln.id, condition="sellable")
            for ln in claim_lines
        ]
        rec = ClaimRecord(key=key, claim=claim, order_id=order_id)
        rec.receipt = Receipt(at=now, by=by, scanned=scanned, station=station, lines=receipt_lines)
        rec.decisions.append(
            Decision(action="approve", line_ids=[ln.id for ln in claim_lines], at=now, by=by)
        )
        note(
            rec,
            now,
            "receive",
            "ok",
            f"parcel with no return request received by scan of {scanned}",
            actor=by,
        )
        with contextlib.suppress(CasMismatch):  # the same return, opened by a retry just now
            commit(ctx.store, ClaimChange(rec, docs=self._codes(rec)), None, now)
        return await self.advance(tenant_id, key)

    # -- running the steps --------------------------------------------------------------------

    async def advance(self, tenant_id: str, key: str, max_steps: int = 10) -> ClaimRecord:
        """Run every step due for the claim now, planning again after each."""
        ctx = self._ctx(tenant_id)
        for _ in range(max_steps):
            doc = ctx.store.get(CLAIM, key)
            if doc is None:
                raise NotFoundError(f"claim {key!r} not found")
            rec = ClaimRecord.from_body(doc.body)
            now = ctx.clock()
            warnings = warnings_due(rec, now)
            due = due_steps(rec)
            if warnings and not due:
                for wkey, message in warnings:
                    rec.done.warned.append(wkey)
                    rec.warnings.append({"key": wkey, "at": now.isoformat(), "message": message})
                    note(rec, now, "deadline", "info", message)
                with contextlib.suppress(CasMismatch):
                    commit(ctx.store, ClaimChange(rec), doc.cas, now)
                continue
            if not due:
                before = (rec.state, rec.due_at)
                settle(rec, now)
                if (rec.state, rec.due_at) != before:
                    try:
                        commit(ctx.store, ClaimChange(rec), doc.cas, now)
                    except CasMismatch:
                        continue
                return rec
            step = due[0]
            try:
                change = await self._run(ctx, step, rec)
                commit(ctx.store, change, doc.cas, now)
            except CasMismatch:
                continue
            except KervanError as exc:
                self._failed(ctx, key, step, exc)
                raise
        return self.get(tenant_id, key)

    async def _run(self, ctx: StepContext, step: ClaimStep, rec: ClaimRecord) -> ClaimChange:
        order = None
        if rec.order_id:
            doc = ctx.store.get(ORDER, rec.order_id)
            order = OrderRecord.from_body(doc.body) if doc else None
        if step is ClaimStep.CREATE_REMOTE:
            return await steps.create_remote(ctx, rec, order)
        if step is ClaimStep.APPROVE_REMOTE:
            return await steps.approve_remote(ctx, rec)
        if step is ClaimStep.REJECT_REMOTE:
            return await steps.reject_remote(ctx, rec)
        if step is ClaimStep.RESTOCK:
            return steps.restock(ctx, rec)
        return await steps.document(ctx, rec, order)

    def _failed(self, ctx: StepContext, key: str, step: ClaimStep, exc: KervanError) -> None:
        now = ctx.clock()

        def change(rec: ClaimRecord) -> bool:
            rec.attempts += 1
            rec.last_error = f"{step}: {exc.message}"
            note(
                rec,
                now,
                str(step),
                "failed",
                exc.message,
                request_id=getattr(exc, "request_id", None),
            )
            if not exc.retryable and rec.attempts >= MAX_STEP_FAILURES:
                rec.state = ClaimState.FAILED
            return True

        self._update(ctx.tenant.id, key, change, plan=False)
        if exc.retryable:  # a retry later: the reconciler finds it by its due time

            def later(rec: ClaimRecord) -> bool:
                rec.due_at = now + min(
                    timedelta(minutes=30), timedelta(seconds=30) * 2 ** min(rec.attempts, 6)
                )
                return True

            self._update(ctx.tenant.id, key, later, plan=False)

    def retry(self, tenant_id: str, key: str, by: str) -> ClaimRecord:
        now = self._ctx(tenant_id).clock()

        def change(rec: ClaimRecord) -> bool:
            if rec.state is not ClaimState.FAILED:
                raise _refuse(key, f"claim {key} has not failed", "retry", rec.state)
            rec.state, rec.attempts = ClaimState.REQUESTED, 0
            note(rec, now, "retry", "ok", f"resumed (was: {rec.last_error})", actor=by)
            return True

        return self._update(tenant_id, key, change)

    def due(self, tenant_id: str, limit: int = 500) -> list[str]:
        """Claims with a step or a warning due now (the reconciler advances them)."""
        from ..engine.records import sortable

        ts = self.engine.store.tenant(tenant_id)
        now = self._ctx(tenant_id).clock()
        return ts.keys(
            Query(CLAIM, range=("due_at", None, sortable(now)), order_by="due_at", limit=limit)
        )

    def _update(self, tenant_id: str, key: str, change: Any, plan: bool = True) -> ClaimRecord:
        ts = self.engine.store.tenant(tenant_id)
        now = self._ctx(tenant_id).clock()
        for _ in range(20):
            doc = ts.get(CLAIM, key)
            if doc is None:
                raise NotFoundError(f"claim {key!r} not found")
            rec = ClaimRecord.from_body(doc.body)
            if not change(rec):
                return rec
            try:
                if plan:
                    commit(ts, ClaimChange(rec), doc.cas, now)
                else:
                    ts.replace(CLAIM, key, rec.to_body(), cas=doc.cas)
                return rec
            except CasMismatch:
                continue
        raise ConflictError(f"claim {key} keeps changing; try again")

    # -- return codes and inbound parcels -----------------------------------------------------

    async def book_return_code(
        self, tenant_id: str, key: str, *, by: str, connection_id: str | None = None
    ) -> ClaimRecord:
        """Ask the tenant's carrier (or ``connection_id``) for a return code the buyer gives
        at a branch to send the goods back unpaid; idempotent (the claim is the reference)."""
        ctx = self._ctx(tenant_id, by)
        rec = self.get(tenant_id, key)
        if rec.return_code:
            return rec
        if rec.state in FINAL:
            raise _refuse(
                key, f"claim {key} is {rec.state}: no return is expected", "book_return", rec.state
            )
        order_doc = ctx.store.get(ORDER, rec.order_id or "")
        if order_doc is None:
            raise NotFoundError(f"claim {key}: its order is not known to Kervan")
        order = OrderRecord.from_body(order_doc.body).order
        seller = ctx.tenant.seller
        if seller is None or seller.address is None:
            raise InvalidInputError(
                "the tenant's seller party has no address to receive returns at"
            )
        conn = connection_id or ctx.tenant.settings.default_carrier_connection
        carrier = ctx.connector(conn, Carrier, "carrier")
        booking = await carrier.book_return(
            ReturnRequest(
                reference=_reference(key),
                order_number=order.order_number,
                sender=order.buyer,
                sender_address=order.shipping_address,
                receiver=seller,
                receiver_address=seller.address,
                note=f"İade {order.order_number}",
            )
        )
        now = ctx.clock()

        def change(current: ClaimRecord) -> bool:
            if current.return_code:
                return False
            current.return_code = {**booking.model_dump(mode="json"), "connection_id": conn}
            note(
                current,
                now,
                "return_code",
                "ok",
                f"{carrier.key} return code {booking.code}",
                actor=carrier.key,
                request_id=booking.request_id,
            )
            return True

        out = self._update(tenant_id, key, change)
        ts = ctx.store
        for code_doc in self._codes(out):
            ts.upsert(*code_doc)
        return out

    async def track_inbound(self, tenant_id: str) -> list[str]:
        """Movements of return parcels sent with a carrier return code, noted on their claims
        (the returns desk sees what is coming); returns the claims that moved."""
        ctx = self._ctx(tenant_id)
        open_ones = [
            r for r in self.queue(tenant_id, [ClaimState.REQUESTED], limit=1000) if r.return_code
        ]
        by_conn: dict[str, list[ClaimRecord]] = {}
        for rec in open_ones:
            assert rec.return_code is not None
            by_conn.setdefault(rec.return_code["connection_id"], []).append(rec)
        moved = []
        for conn, recs in by_conn.items():
            carrier = ctx.connector(conn, Carrier, "carrier")
            bookings = [
                ReturnBooking.model_validate(
                    {k: v for k, v in (r.return_code or {}).items() if k != "connection_id"}
                )
                for r in recs
            ]
            events = await carrier.track_returns(bookings)
            now = ctx.clock()
            for rec, booking in zip(recs, bookings, strict=True):
                new = events.get(booking.code) or []
                seen = (rec.return_code or {}).get("events_seen", 0)
                if len(new) <= seen:
                    continue
                change = _inbound(new[-1], len(new), now, carrier.key)
                self._update(tenant_id, rec.key, change)
                moved.append(rec.key)
        return moved

    def staff_activity(
        self, tenant_id: str, since: datetime, until: datetime
    ) -> dict[str, dict[str, int]]:
        """Per person, how many returns they received, approved, rejected or opened, and
        part shipments they sent, in [since, until) (for the staff reports)."""
        ts = self.engine.store.tenant(tenant_id)
        out: dict[str, Counter[str]] = {}
        actions = {"receive": "received", "approve": "approved", "reject": "rejected"}
        for doc in ts.iter_query(Query(CLAIM)):
            for entry in doc.body.get("timeline", []):
                at = datetime.fromisoformat(entry["at"])
                if entry["step"] in actions and since <= at < until and entry["outcome"] == "ok":
                    out.setdefault(entry["actor"], Counter())[actions[entry["step"]]] += 1
        for doc in ts.iter_query(Query(PART_SHIPMENT)):
            body = doc.body
            if not body.get("timeline"):
                continue
            at = datetime.fromisoformat(body["timeline"][0]["at"])
            if since <= at < until:
                out.setdefault(body["requested_by"], Counter())[f"{body['kind']}_shipped"] += 1
        return {who: dict(counts) for who, counts in sorted(out.items())}

    # -- the fiscal document ------------------------------------------------------------------

    async def find_return_invoices(self, tenant_id: str) -> list[str]:
        """Close returns waiting for the buyer's IADE whose IADE has arrived among the
        integrator's incoming documents (matched on our invoice number in its
        ``BillingReference`` and on the buyer's tax id; each IADE closes one return)."""
        ctx = self._ctx(tenant_id, "engine")
        ts = ctx.store
        waiting = [
            ClaimRecord.from_body(d.body)
            for d in ts.query(Query(CLAIM, {"state": ClaimState.WAITING_DOCUMENT.value}, limit=500))
        ]
        waiting = [
            r for r in waiting if r.document and r.document.route == fiscal.BUYER_RETURN_INVOICE
        ]
        if not waiting or not ctx.tenant.settings.default_issuer_connection:
            return []
        issuer = ctx.connector(
            ctx.tenant.settings.default_issuer_connection, DocumentIssuer, "issuer"
        )
        since = min(r.claim.claimed_at for r in waiting) - timedelta(days=15)
        received = await issuer.incoming_returns(since.date())
        # an IADE closes one return: one already recorded on a return is not matched again
        used = {r.number for r in received if ts.get(CLAIM_REF, _document_ref(r.number))}
        closed = []
        for rec in sorted(waiting, key=lambda r: r.claim.claimed_at):
            order_doc = ts.get(ORDER, rec.order_id or "")
            if order_doc is None:
                continue
            invoice = fiscal.sales_invoice(ts, OrderRecord.from_body(order_doc.body))
            if invoice is None:
                continue
            match = next(
                (
                    r
                    for r in received
                    if invoice.number in r.refers_to
                    and r.sender_tax_id == invoice.buyer.tax_id
                    and r.number not in used
                ),
                None,
            )
            if match is None:
                continue
            used.add(match.number)
            self.record_document(
                tenant_id,
                rec.key,
                reference=match.number,
                how="incoming_iade",
                by=issuer.key,
                note_text=f"UUID {match.uuid}, {match.issued_on}",
            )
            closed.append(rec.key)
        return closed

    def record_document(
        self,
        tenant_id: str,
        key: str,
        *,
        reference: str,
        how: str,
        by: str,
        note_text: str | None = None,
    ) -> ClaimRecord:
        """Close a return that waits for its document with what arrived (the buyer's IADE
        found among incoming documents, a paper invoice an operator records)."""
        if not reference.strip():
            raise InvalidInputError("give the document's number")
        now = self._ctx(tenant_id).clock()
        events: list[tuple[str, dict[str, Any]]] = []

        def change(rec: ClaimRecord) -> bool:
            if rec.document is None or rec.document.status != "waiting":
                if rec.document is not None and rec.document.reference == reference:
                    return False
                raise _refuse(
                    key,
                    f"claim {key} is not waiting for a return document",
                    "record_document",
                    rec.state,
                )
            events.append(fiscal.recorded(rec, rec.order_id or "", reference, how, by, now, None))
            if note_text:
                rec.document.note = (rec.document.note or "") + f" ({note_text})"
            return True

        ts = self.engine.store.tenant(tenant_id)
        for _ in range(20):
            doc = ts.get(CLAIM, key)
            if doc is None:
                raise NotFoundError(f"claim {key!r} not found")
            rec = ClaimRecord.from_body(doc.body)
            events.clear()
            if not change(rec):
                return rec
            try:
                ref = (CLAIM_REF, _document_ref(reference), {"claim": key})
                commit(ts, ClaimChange(rec, docs=[ref], outbox=list(events)), doc.cas, now)
                return rec
            except CasMismatch:
                continue
        raise ConflictError(f"claim {key} keeps changing; try again")


def _inbound(latest: Any, count: int, now: datetime, actor: str) -> Any:
    """The claim change noting an inbound return parcel's latest movement (once per event)."""

    def change(current: ClaimRecord) -> bool:
        assert current.return_code is not None
        if current.return_code.get("events_seen", 0) >= count:
            return False
        current.return_code = {
            **current.return_code,
            "events_seen": count,
            "inbound": latest.status.value,
            "inbound_at": latest.at.isoformat(),
        }
        where = f" at {latest.location}" if latest.location else ""
        note(
            current,
            now,
            "inbound",
            "info",
            f"return parcel {latest.status.value}{where}",
            actor=actor,
        )
        return True

    return change


def _reference(key: str) -> str:
    """A carrier reference for a claim key (≤ 64 characters, what the carrier echoes)."""
    return key if len(key) <= 64 else hashlib.sha256(key.encode()).hexdigest()[:32]


def _document_ref(number: str) -> str:
    return f"document:{number.strip().upper()}"


def _code(code: str) -> str:
    return code.strip().upper()


def _merge(rec: ClaimRecord, incoming: Claim) -> ClaimRecord | None:
    """Fold the marketplace's view of a claim into ours; ``None`` when nothing changed.

    A return Kervan opened (local line ids) takes the marketplace's lines, and the clerk's
    inspections and decision move to them, matched by order line and barcode."""
    current = rec.claim
    local = current.lines[0].id.startswith("local-")
    if local:
        mapping = _line_map(current.lines, incoming.lines)
        if rec.receipt:
            rec.receipt = rec.receipt.model_copy(
                update={
                    "lines": [
                        i.model_copy(update={"line_id": mapping.get(i.line_id, i.line_id)})
                        for i in rec.receipt.lines
                    ]
                }
            )
        rec.decisions = [
            d.model_copy(update={"line_ids": [mapping.get(i, i) for i in d.line_ids]})
            for d in rec.decisions
        ]
        rec.done.approved_remote = [mapping.get(i, i) for i in rec.done.approved_remote]
    keep = {
        "id": current.id,
        "tenant_id": current.tenant_id,
        "order_id": current.order_id or incoming.order_id,
        "opened_by": current.opened_by,
    }
    updated = incoming.model_copy(update=keep)
    if not local and updated == current:
        return None
    rec.claim = updated
    rec.done.refused = []  # the marketplace's current view: decisions may apply again
    return rec


def _line_map(local: list[ClaimLine], remote: list[ClaimLine]) -> dict[str, str]:
    free = list(remote)
    out = {}
    for line in local:
        match = next((r for r in free if r.order_line_id == line.order_line_id), None) or next(
            (r for r in free if r.barcode == line.barcode), None
        )
        if match is not None:
            free.remove(match)
            out[line.id] = match.id
    return out


def _refuse(key: str, message: str, action: str = "", state: str = "") -> ClaimStateError:
    return ClaimStateError(message, claim_id=key, action=action, state=state)
