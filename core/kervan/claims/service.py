"""``Returns``: what jobs, the API, the CLI and the demo call for returns.

Every method takes ids, reads the truth from the store, and is safe to call again: a claim
delivered three times across overlapping pages is one claim; a scan, a receipt or a decision
sent twice by a handheld changes nothing the second time. The parts: :mod:`.runner` (a claim's
steps), :mod:`.sync` (the marketplace's claims), :mod:`.inbound` (carrier return codes),
:mod:`.parts` (exchanges and missing parts); this module is the returns desk itself.
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
from ..engine.records import ORDER, SHIPMENT, OrderRecord
from ..errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from ..roles import DocumentIssuer
from ..store.port import CasMismatch, Query
from . import fiscal
from .commit import ClaimChange, commit, note
from .inbound import ReturnCodes
from .parts import PART_SHIPMENT
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
from .runner import _refuse, code_key
from .sync import ClaimSync

#: Trendyol's reason for a return that came with no return code ("Vazgeçtim", changed mind)
NO_REQUEST_REASON = "401"


@dataclass
class ScanResult:
    """What a scanned code found: a claim, or the order of a return that has none."""

    code: str
    claim: ClaimRecord | None = None
    order: OrderRecord | None = None
    candidates: list[str] = field(default_factory=list)


class Returns(ClaimSync, ReturnCodes):
    """The returns desk over an engine (``Runtime.returns``)."""

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

    def scan(self, tenant_id: str, code: str) -> ScanResult:
        """What the returns desk scanned: a return's cargo barcode or tracking number, a
        carrier return code, a claim id, or (a return with no request) the order's own
        shipment barcode, tracking number or order number."""
        ts = self.engine.store.tenant(tenant_id)
        code = code.strip()
        if not code:
            raise InvalidInputError("scan a barcode: the code is empty")
        hit = ts.get(CLAIM_CODE, code_key(code)) or ts.get(CLAIM_REF, code)
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

        return self._update(tenant_id, key, change)

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


def _document_ref(number: str) -> str:
    return f"document:{number.strip().upper()}"
