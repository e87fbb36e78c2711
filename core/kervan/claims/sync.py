"""The marketplace's claims into Kervan: polled, folded into claim records (a claim delivered
any number of times is one record; the claim the marketplace reports for a return Kervan opened
is matched to it, never duplicated), and advanced."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..domain import Claim, ClaimLine
from ..engine import quarantine
from ..engine.records import CURSOR, ORDER, OrderRecord
from ..errors import (
    ConflictError,
    KervanError,
    UnsupportedOperationError,
)
from ..problems import RecordProblem
from ..roles import OrderSource
from ..store.port import CasMismatch, Query
from .commit import ClaimChange, commit, note
from .record import (
    CLAIM,
    CLAIM_REF,
    ClaimRecord,
    ClaimState,
)
from .runner import ClaimRunner

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


@dataclass
class SyncResult:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def claim_key(connection_id: str, external_id: str) -> str:
    return f"{connection_id}:{external_id}"


class ClaimSync(ClaimRunner):
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
