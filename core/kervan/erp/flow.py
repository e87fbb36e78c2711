"""The outbox reader: posts each event to one ERP connection, oldest first, exactly once.

Exactly once, from both ends:

* **Ours.** A posting is recorded (the ERP's reference on the order, an ``erp_posting``
  document, a timeline entry) in one transaction right after the ERP answered; a recorded
  posting is never asked again (:func:`kervan.erp.plan.plan` leaves it out).
* **The ERP's.** A crash between the ERP's answer and that transaction, or the same event
  delivered twice, asks again: every :class:`~kervan.roles.ErpSink` write is idempotent per
  document (it finds its earlier posting and answers ``already_done`` with its reference),
  so the ERP still holds one document.

An order's events go in order: one that waits (a payment before its invoice is posted) or
fails holds that order's later events back for that connection until it goes through. A
failure is kept on the event with a backoff, noted on the order's timeline, and raised when
the run ends, so the job's retries and dead letters apply as for any step.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..domain import ExpenseVoucher, Invoice, TimelineEntry
from ..engine.records import INVOICE, ORDER, OUTBOX, OrderRecord
from ..errors import InvalidInputError, KervanError, UnsupportedOperationError
from ..roles import ErpSink, RemoteRef
from ..store.port import Query, TenantStore, declare_kind
from . import lease
from .plan import Posting, plan
from .settlements import SettlementIntake
from .sinks import erp_connections

#: one per (ERP connection, order, posting key): what was posted and the ERP's reference
ERP_POSTING = "erp_posting"
declare_kind(ERP_POSTING, ("connection_id", "kind", "order_id"))
VOUCHER = "expense_voucher"  # kervan.claims.fiscal.VOUCHER (the claims package imports us not)
FINAL = frozenset({"done", "skipped"})
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """How long a failed posting waits before it is asked again: 1, 2, 4 ... minutes, an
    hour at most (a refused posting must not hammer the ERP every scheduler tick)."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def posting_key(connection_id: str, order_id: str, key: str) -> str:
    return f"{connection_id}|{order_id}|{key}"


class ErpFlow(SettlementIntake):
    """Posts the outbox to ERP connections (the ``erp_post`` job, one per connection)."""

    def pending(self, tenant_id: str) -> int:
        """Outbox events some ERP connection has not finished."""
        store = self.engine.store.tenant(tenant_id)
        return len(store.query(Query(OUTBOX, {"done": False})))

    async def run(self, tenant_id: str, connection_id: str, *, force: bool = False) -> Counter[str]:
        """Post what is due to ``connection_id``; counts by outcome. ``force`` asks failed
        postings again now, whatever their backoff (an operator's retry)."""
        ctx = self.engine.context(tenant_id, actor=f"erp:{connection_id}")
        sink = ctx.connector(connection_id, ErpSink, "ERP")
        async with lease.held(ctx.store, connection_id, ctx.clock) as mine:
            if not mine:
                return Counter(busy=1)  # another run posts to this connection right now
            now = ctx.clock()
            return await self._run(ctx.store, sink, tenant_id, connection_id, now, force)

    async def _run(
        self,
        store: TenantStore,
        sink: ErpSink,
        tenant_id: str,
        connection_id: str,
        now: datetime,
        force: bool,
    ) -> Counter[str]:
        everyone = set(erp_connections(self.engine.connectors, tenant_id)) | {connection_id}
        events = store.query(Query(OUTBOX, {"done": False}))
        events.sort(key=lambda d: (str(d.body.get("at", "")), d.key))
        counts: Counter[str] = Counter()
        held: set[str] = set()
        first_error: KervanError | None = None
        for doc in events:
            body = doc.body
            order_id = str(body.get("order_id") or "")
            state = body.get("sinks", {}).get(connection_id, {})
            if state.get("status") in FINAL or order_id in held:
                continue
            if not force and state.get("next_at") and state["next_at"] > now.isoformat():
                held.add(order_id)
                continue
            try:
                status, note = await self._deliver(store, sink, connection_id, body, now)
            except KervanError as exc:
                status, note = "failed", exc.message
                first_error = first_error or exc
                self._note_failure(store, order_id, connection_id, sink.key, exc, now)
            self._mark(store, doc.key, connection_id, status, note, everyone, now)
            counts[status] += 1
            if status not in FINAL:
                held.add(order_id)
        if first_error is not None:
            raise first_error
        return counts

    # -- one event ----------------------------------------------------------------------------

    async def _deliver(
        self,
        store: TenantStore,
        sink: ErpSink,
        connection_id: str,
        event: dict[str, Any],
        now: datetime,
    ) -> tuple[str, str | None]:
        order_id = str(event.get("order_id") or "")
        order_doc = store.get(ORDER, order_id)
        if order_doc is None:
            return "skipped", f"order {order_id} is not in the store"
        rec = OrderRecord.from_body(order_doc.body)
        todo = plan(event, rec.erp.get(connection_id, {}))
        if todo.skip or todo.wait:
            return ("skipped", todo.skip) if todo.skip else ("waiting", todo.wait)
        invoice = _invoice(store, event.get("invoice_id") or rec.invoice_id)
        for posting in todo.postings:
            ref = await self._post(store, sink, posting, event, invoice)
            record_posting(store, connection_id, sink.key, order_id, posting, ref, now)
        return "done", None

    async def _post(
        self,
        store: TenantStore,
        sink: ErpSink,
        posting: Posting,
        event: dict[str, Any],
        invoice: Invoice,
    ) -> RemoteRef:
        kind = posting.kind
        if kind == "customer":
            return await sink.upsert_customer(invoice.buyer)
        if kind == "invoice":
            return await sink.post_invoice(invoice)
        if kind == "payment":
            deductions = {k: Decimal(v) for k, v in (event.get("deductions") or {}).items()}
            return await sink.close_payment(
                invoice,
                Decimal(event["amount"]),
                date.fromisoformat(event["paid_on"]),
                str(event["reference"]),
                deductions or None,
            )
        if kind == "reversal":
            return await sink.reverse(invoice, _reason(event))
        if kind == "expense_voucher":
            voucher_doc = store.get(VOUCHER, str(event.get("voucher_id") or ""))
            if voucher_doc is not None:
                try:
                    return await sink.post_expense_voucher(
                        ExpenseVoucher.model_validate(voucher_doc.body)
                    )
                except UnsupportedOperationError:
                    pass  # an ERP with no gider pusulası takes the return against the sale
        lines = event.get("lines") or _claim_lines(store, event)
        return await sink.post_return(
            invoice, _quantities(invoice, lines), str(event["claim_id"]), _reason(event)
        )

    # -- records ------------------------------------------------------------------------------

    def _mark(
        self,
        store: TenantStore,
        key: str,
        connection_id: str,
        status: str,
        note: str | None,
        everyone: set[str],
        now: datetime,
    ) -> None:
        with store.transaction() as tx:
            doc = tx.get(OUTBOX, key)
            if doc is None:
                return
            body = dict(doc.body)
            sinks = dict(body.get("sinks") or {})
            before = sinks.get(connection_id) or {}
            state: dict[str, Any] = {"status": status, "note": note, "at": now.isoformat()}
            if status == "failed":
                attempts = int(before.get("attempts", 0)) + 1
                state.update(attempts=attempts, next_at=(now + backoff(attempts)).isoformat())
            sinks[connection_id] = state
            body["sinks"] = sinks
            body["done"] = all(sinks.get(c, {}).get("status") in FINAL for c in everyone)
            tx.replace(OUTBOX, key, body)

    def _note_failure(
        self,
        store: TenantStore,
        order_id: str,
        connection_id: str,
        actor: str,
        exc: KervanError,
        now: datetime,
    ) -> None:
        message = f"ERP posting to {connection_id} failed: {exc.message}"
        _log_on_order(
            store,
            order_id,
            TimelineEntry(at=now, step="erp", outcome="failed", actor=actor, message=message),
        )


def record_posting(
    store: TenantStore,
    connection_id: str,
    actor: str,
    order_id: str,
    posting: Posting,
    ref: RemoteRef,
    now: datetime,
) -> None:
    """Keep the ERP's reference for ``posting`` on the order, as an ``erp_posting`` document
    and on the order's timeline, in one transaction."""
    remote = ref.remote_id or ""
    with store.transaction() as tx:
        doc = tx.get(ORDER, order_id)
        if doc is None:
            raise InvalidInputError(f"order {order_id} was removed while it was posted")
        rec = OrderRecord.from_body(doc.body)
        rec.erp.setdefault(connection_id, {})[posting.key] = remote
        again = " (the ERP had it already)" if ref.already_done else ""
        rec.log(
            TimelineEntry(
                at=now,
                step="erp",
                outcome="ok",
                actor=actor,
                request_id=ref.request_id,
                message=f"{posting.kind} posted to {connection_id}: {remote or 'no reference'}"
                + again,
                data={"connection": connection_id, "posting": posting.key, "ref": remote},
            )
        )
        tx.replace(ORDER, order_id, rec.to_body())
        tx.upsert(
            ERP_POSTING,
            posting_key(connection_id, order_id, posting.key),
            {
                "connection_id": connection_id,
                "order_id": order_id,
                "kind": posting.kind,
                "key": posting.key,
                "remote_id": remote,
                "already_done": ref.already_done,
                "at": now.isoformat(),
            },
        )


def posting_counts(store: TenantStore) -> dict[str, int]:
    """ERP postings recorded, by kind (every kind present, zero when none)."""
    from .plan import KINDS

    counts = dict.fromkeys(KINDS, 0)
    for doc in store.query(Query(ERP_POSTING)):
        kind = str(doc.body.get("kind"))
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _log_on_order(store: TenantStore, order_id: str, entry: TimelineEntry) -> None:
    with store.transaction() as tx:
        doc = tx.get(ORDER, order_id)
        if doc is None:
            return
        rec = OrderRecord.from_body(doc.body)
        rec.log(entry)
        tx.replace(ORDER, order_id, rec.to_body())


def _invoice(store: TenantStore, invoice_id: str | None) -> Invoice:
    doc = store.get(INVOICE, invoice_id or "")
    if doc is None:
        raise InvalidInputError(f"invoice {invoice_id} is not in the store")
    return Invoice.model_validate(doc.body)


def _reason(event: dict[str, Any]) -> str:
    why = event.get("because") or event.get("route") or "cancelled"
    return str(why).replace("_", " ")


def _claim_lines(store: TenantStore, event: dict[str, Any]) -> dict[str, int]:
    """Returned units by order line, from the claim itself: the event a recorded return
    document writes (the buyer's IADE, an operator's record) does not carry them."""
    from ..claims.fiscal import returned_units  # the claims package imports the engine
    from ..claims.record import CLAIM, ClaimRecord

    claim_doc = store.get(CLAIM, str(event.get("claim_id") or ""))
    order_doc = store.get(ORDER, str(event.get("order_id") or ""))
    if claim_doc is None or order_doc is None:
        raise InvalidInputError(f"return {event.get('claim_id')}: its claim or order is missing")
    claim = ClaimRecord.from_body(claim_doc.body)
    return returned_units(claim, OrderRecord.from_body(order_doc.body).order)


def _quantities(invoice: Invoice, lines: dict[str, Any]) -> dict[int, Decimal]:
    """The returned units by invoice line id (the event has them by order line id)."""
    by_order_line = {ln.order_line_id: ln.id for ln in invoice.lines if ln.order_line_id}
    out: dict[int, Decimal] = {}
    for line_id, units in lines.items():
        if line_id not in by_order_line:
            raise InvalidInputError(
                f"returned line {line_id} is on no line of invoice {invoice.number}"
            )
        out[by_order_line[line_id]] = Decimal(units)
    return out
