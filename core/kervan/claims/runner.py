"""The claim runner every part of the returns desk shares: reading a claim, changing it under
CAS, running its due steps (:mod:`.plan`, :mod:`.steps`) and recording a failure."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from ..engine.context import StepContext
from ..engine.engine import Engine
from ..engine.records import ORDER, OrderRecord
from ..errors import (
    ClaimStateError,
    ConflictError,
    KervanError,
    NotFoundError,
)
from ..store.port import CasMismatch, Query
from . import steps
from .commit import ClaimChange, commit, note, settle
from .parts import Parts
from .plan import ClaimStep, due_steps, warnings_due
from .record import (
    CLAIM,
    CLAIM_CODE,
    ClaimRecord,
    ClaimState,
)

MAX_STEP_FAILURES = 8


class ClaimRunner:
    """A claim's record and its steps over an engine's store and connectors."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: exchanges and missing-part shipments (:mod:`.parts`)
        self.parts = Parts(engine.context)

    def _ctx(self, tenant_id: str, actor: str = "engine") -> StepContext:
        return self.engine.context(tenant_id, actor)

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
            if exc.retryable:  # a retry later: the reconciler finds it by its due time
                backoff = timedelta(seconds=30) * 2 ** min(rec.attempts, 6)
                rec.due_at = now + min(timedelta(minutes=30), backoff)
            return True

        self._update(ctx.tenant.id, key, change, plan=False)

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

    def _codes(self, rec: ClaimRecord) -> list[tuple[str, str, dict[str, Any]]]:
        """What a scan at the returns desk may read for this claim: the return parcel's
        tracking number, the return code the carrier issued."""
        codes = [rec.claim.cargo_tracking_number]
        if rec.return_code:
            codes += [rec.return_code.get("code"), rec.return_code.get("tracking_number")]
        return [(CLAIM_CODE, code_key(c), {"claim": rec.key}) for c in codes if c]


def code_key(code: str) -> str:
    """A scanned code as the store keeps it (case and surrounding blanks do not matter)."""
    return code.strip().upper()


def _refuse(key: str, message: str, action: str = "", state: str = "") -> ClaimStateError:
    return ClaimStateError(message, claim_id=key, action=action, state=state)
