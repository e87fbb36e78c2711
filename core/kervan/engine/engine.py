"""The engine facade: what jobs, the API and the demo call.

Every method takes ids, reads the truth from the store, and is safe to call again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..documents import has_label
from ..domain import DocumentStatus, Invoice, OrderState
from ..errors import HoldError, InternalError, InvalidInputError, KervanError, NotFoundError
from ..roles import Carrier, DocumentIssuer, OrderSource, RemoteRef, utcnow
from ..store.port import CasMismatch, DocumentNotFound, Query, Store
from . import cancel as cancel_mod
from . import fiscal_items, inbox, shipping, steps, stock, tracking
from . import invoice as invoice_steps
from .actions import Action, check_action
from .change import Change
from .context import ConnectorProvider, HealthRecorder, NullHealth, StepContext, TenantDirectory
from .ingest import IngestResult, ingest
from .lifecycle import Step, Waiting, due_steps, parcel_problem, schedule, split_problem
from .records import INVOICE, LABEL_DUE, ORDER, SHIPMENT, OrderRecord, sortable

log = logging.getLogger("kervan.engine")

StepFn = Callable[[StepContext, OrderRecord], Awaitable[Change]]
STEPS: dict[Step, StepFn] = {
    Step.SPLIT: shipping.split_by_rules,
    Step.RESERVE: steps.reserve,
    Step.CLASSIFY: steps.classify,
    Step.INVOICE: invoice_steps.issue_invoice,
    Step.SUBMIT_INVOICE: invoice_steps.submit_invoice,
    Step.SEND_INVOICE: invoice_steps.send_invoice,
    Step.ACCEPT: steps.accept,
    Step.PACKAGE: shipping.package,
    Step.BOOK: shipping.book,
    Step.FOLLOW_SOURCE: shipping.follow_source,
    Step.SEND_TRACKING: shipping.send_tracking,
    Step.CANCEL: cancel_mod.cancel,
}
MAX_STEP_FAILURES = 8


@dataclass
class Engine:
    store: Store
    connectors: ConnectorProvider
    tenants: TenantDirectory
    clock: Callable[[], datetime] = utcnow
    health: HealthRecorder = field(default_factory=NullHealth)

    def context(self, tenant_id: str, actor: str = "engine") -> StepContext:
        return StepContext(
            store=self.store.tenant(tenant_id),
            tenant=self.tenants.get(tenant_id),
            connectors=self.connectors,
            clock=self.clock,
            actor=actor,
            health=self.health,
        )

    # -- orders -------------------------------------------------------------------------------

    async def ingest(self, tenant_id: str, connection_id: str) -> IngestResult:
        ctx = self.context(tenant_id)
        source = ctx.connector(connection_id, OrderSource, "order source")
        try:
            result = await ingest(ctx.store, source, connection_id, self.clock())
        except KervanError as exc:
            self.health.failure(tenant_id, connection_id, exc.message)
            raise
        self.health.success(
            tenant_id,
            connection_id,
            new_orders=len(result.new),
            open_problems=result.open_problems,
        )
        return result

    async def advance(
        self, tenant_id: str, order_id: str, *, max_steps: int = 25
    ) -> OrderState | None:
        """Run every step due for the order now, one at a time, planning again after each."""
        ctx = self.context(tenant_id)
        rec: OrderRecord | None = None
        for _ in range(max_steps):
            # after a step's CAS save the record in hand is the stored one (ctx.cas says which
            # version); read the store again only at the start and after a conflict
            rec = rec or shipping.load_record(ctx, order_id)
            if rec is None:
                return None
            settings = ctx.tenant.settings
            due = due_steps(
                rec,
                now=self.clock(),
                auto_approve=settings.auto_approve,
                split_rules=settings.split_rules.active,
            )
            if not due:
                self._settle_due(ctx, rec)
                return rec.order.state
            try:
                change = await STEPS[due[0]](ctx, rec)
                ctx.commit(change)  # the step's writes and the order, in one transaction
            except CasMismatch:
                rec = None  # someone else moved it; plan again from the store
                continue
            except KervanError as exc:
                self._step_failed(ctx, order_id, due[0], exc)
                raise
            except Exception as exc:
                log.exception("step %s of %s failed unexpectedly", due[0], order_id)
                error = InternalError(f"internal error: {type(exc).__name__}: {str(exc)[:300]}")
                self._step_failed(ctx, order_id, due[0], error)
                raise error from exc
            if change.error is not None:
                self._step_failed(ctx, order_id, due[0], change.error)
                raise change.error
            rec = change.rec
        return None

    def _settle_due(self, ctx: StepContext, rec: OrderRecord) -> None:
        """Nothing due now: clear a due time someone else set (a poll, tracking) and say what
        the order waits for; a hold keeps its retry time."""
        before = (rec.due_at, rec.waiting_for)
        schedule(
            rec,
            now=self.clock(),
            auto_approve=ctx.tenant.settings.auto_approve,
            split_rules=ctx.tenant.settings.split_rules.active,
        )
        if (rec.due_at, rec.waiting_for) != before:
            with contextlib.suppress(CasMismatch):
                ctx.save(rec)

    def _step_failed(self, ctx: StepContext, order_id: str, step: Step, exc: KervanError) -> None:
        def change(body: dict) -> dict:
            rec = OrderRecord.from_body(body)
            rec.attempts += 1
            rec.last_error = f"{step}: {exc.message}"
            ctx.note(
                rec, str(step), "failed", exc.message, request_id=getattr(exc, "request_id", None)
            )
            if (
                not exc.retryable
                and not isinstance(exc, HoldError)
                and rec.attempts >= MAX_STEP_FAILURES
            ):
                rec.fail(rec.last_error or exc.message)
            if rec.order.state is OrderState.FAILED:  # a person fixes the cause and retries
                rec.due_at, rec.waiting_for = None, Waiting.OPERATOR.value
            else:
                rec.due_at = steps.ctx_backoff(ctx.clock(), rec.attempts)
            return rec.to_body()

        ctx.store.update(ORDER, order_id, change)

    async def cancel(self, tenant_id: str, order_id: str, actor: str) -> OrderState | None:
        """A person cancels: mark it cancelled at source and run the cancel step."""
        ctx = self.context(tenant_id, actor)

        def change(body: dict) -> dict:
            rec = OrderRecord.from_body(body)
            check_action(rec, Action.CANCEL)
            if rec.order.state is OrderState.FAILED:  # given up on: undo what it had done
                rec.order.state, rec.failed_from = rec.failed_from or OrderState.RECEIVED, None
                rec.attempts = 0
            rec.order.source_cancelled = True
            rec.due_at, rec.waiting_for = self.clock(), None
            ctx.note(rec, "cancel", "info", "cancel requested")
            return rec.to_body()

        ctx.store.update(ORDER, order_id, change)
        return await self.advance(tenant_id, order_id)

    async def split(
        self,
        tenant_id: str,
        order_id: str,
        groups: list[list[str]] | None,
        actor: str,
        parcels: list[dict[str, int]] | None = None,
    ) -> RemoteRef:
        """Ask the source to split the package into ``groups`` of line ids, or into
        ``parcels`` of ``{line id: quantity}`` (one line's units may travel apart). The new
        packages (and the original, marked superseded) arrive with the next poll."""
        if (groups is None) == (parcels is None):
            raise InvalidInputError("give either groups of line ids or parcels by quantity")
        ctx = self.context(tenant_id, actor)
        rec = shipping.load_record(ctx, order_id)
        if rec is None:
            raise NotFoundError(f"order {order_id!r} not found")
        check_action(rec, Action.SPLIT)
        problem = (
            parcel_problem(rec, parcels)
            if parcels is not None
            else split_problem(rec, groups or [])
        )
        if problem:
            raise InvalidInputError(f"cannot split {order_id}: {problem}")
        source = ctx.connector(rec.order.connection_id, OrderSource, "order source")
        plan: list[list[str]] | list[dict[str, int]]
        if parcels is not None:
            plan, ref = parcels, await source.split_package_by_quantity(rec.order, parcels)
        else:
            plan, ref = groups or [], await source.split_package(rec.order, groups or [])
        ctx.store.update(ORDER, order_id, _note_split(ctx, plan, ref))
        return ref

    async def retry(self, tenant_id: str, order_id: str, actor: str) -> OrderState | None:
        """Resume a failed order where it stopped, once a person has fixed the cause.

        An order whose invoice was rejected builds it again from the order with the same
        number (and a new UUID) and sends it: the number still reaches GİB once."""
        ctx = self.context(tenant_id, actor)
        rec = shipping.load_record(ctx, order_id)
        if rec is None:
            raise NotFoundError(f"order {order_id!r} not found")
        check_action(rec, Action.RETRY)
        assert rec.failed_from is not None  # check_action: it failed
        rec.order.state, rec.failed_from = rec.failed_from, None
        rec.attempts, rec.due_at, rec.waiting_for = 0, self.clock(), None
        ctx.note(rec, "retry", "ok", f"resumed from {rec.order.state} (was: {rec.last_error})")
        ctx.save(rec)
        return await self.advance(tenant_id, order_id)

    async def approve(self, tenant_id: str, order_id: str, actor: str) -> OrderState | None:
        """A person approves the order for tenants that do not auto-approve; then advance it."""
        ctx = self.context(tenant_id, actor)

        def change(body: dict) -> dict:
            rec = OrderRecord.from_body(body)
            check_action(rec, Action.APPROVE, auto_approve=ctx.tenant.settings.auto_approve)
            rec.flags.approved = True
            rec.due_at, rec.waiting_for = self.clock(), None
            ctx.note(rec, "approve", "ok", "approved")
            return rec.to_body()

        ctx.store.update(ORDER, order_id, change)
        return await self.advance(tenant_id, order_id)

    def due_orders(self, tenant_id: str, limit: int = 1000) -> list[str]:
        """Orders whose next step is due now (what the reconciler re-enqueues)."""
        ts = self.store.tenant(tenant_id)
        # keys from the due_at index: no order body is read or parsed
        return ts.keys(
            Query(
                ORDER,
                range=("due_at", None, sortable(self.clock())),
                order_by="due_at",
                limit=limit,
            )
        )

    # -- webhooks -----------------------------------------------------------------------------

    def receive_webhook(
        self, tenant_id: str, connection_id: str, headers: dict[str, str], body: bytes
    ) -> str:
        """Verify and persist a webhook payload (process it with :meth:`process_webhook`)."""
        ctx = self.context(tenant_id)
        source = ctx.connector(connection_id, OrderSource, "order source")
        return inbox.receive(ctx.store, source, connection_id, headers, body, self.clock())

    def process_webhook(self, tenant_id: str, key: str, connection_id: str) -> IngestResult:
        ctx = self.context(tenant_id)
        source = ctx.connector(connection_id, OrderSource, "order source")
        return inbox.process(ctx.store, source, key, self.clock())

    def pending_webhooks(self, tenant_id: str) -> list[tuple[str, str]]:
        return inbox.pending(self.store.tenant(tenant_id))

    # -- stock --------------------------------------------------------------------------------

    def set_stock(
        self, tenant_id: str, product_id: str, on_hand: int, barcodes: list[str] | None = None
    ) -> list[str]:
        """Set a product's on-hand figure; return held orders that may now proceed."""
        ts = self.store.tenant(tenant_id)
        with ts.transaction() as tx:
            stock.set_on_hand(tx, product_id, on_hand, barcodes or [], self.clock())
        return self.wake_held(tenant_id)

    def wake_held(self, tenant_id: str) -> list[str]:
        """Orders held for stock are due again (stock arrived); return their ids."""
        ts = self.store.tenant(tenant_id)
        held = ts.query(Query(ORDER, {"state": OrderState.ON_HOLD.value}))
        woken = []
        for doc in held:
            if doc.body.get("hold_step") == "reserve":
                ts.update(ORDER, doc.key, _due_now(self.clock()))
                woken.append(doc.key)
        return woken

    # -- carriers and documents ---------------------------------------------------------------

    async def track(self, tenant_id: str, connection_id: str) -> list[str]:
        """Poll a carrier for active shipments; return orders that moved."""
        ctx = self.context(tenant_id)
        carrier = ctx.connector(connection_id, Carrier, "carrier")
        active = shipping.active_shipments(ctx, connection_id)
        if not active:
            return []
        try:
            events = await carrier.track([s.cargo_key for s in active])
        except KervanError as exc:
            self.health.failure(tenant_id, connection_id, exc.message)
            raise
        self.health.success(tenant_id, connection_id)
        moved = []
        for shipment in active:
            new = events.get(shipment.cargo_key, [])
            if new and tracking.follow(ctx, shipment.id, new):
                moved.append(shipment.order_id)
        return moved

    async def marketplace_label(self, tenant_id: str, shipment_id: str) -> bool:
        """Fetch the label of a parcel the marketplace booked (on first print); False when
        there is none to fetch."""
        ctx = self.context(tenant_id)
        doc = ctx.store.get(SHIPMENT, shipment_id)
        rec = shipping.load_record(ctx, doc.body["order_id"]) if doc else None
        if rec is None:
            return False
        return await shipping.marketplace_label(ctx, rec)

    async def fetch_missing_labels(self, tenant_id: str, concurrency: int = 8) -> int:
        """What a packing station's first print does for every shipment the marketplace
        booked whose label was not fetched yet; returns how many labels were fetched.

        The shipments come from the ``label_due`` list (written when the marketplace books,
        removed when its label is kept or none will come), as keys: the sweep's cost follows
        the labels still missing, not every shipment ever booked."""
        ts = self.store.tenant(tenant_id)
        todo = []
        for due in ts.iter_query(Query(LABEL_DUE)):
            if not has_label(ts, due.body["order_id"]):
                todo.append(due.key)
            else:  # kept, and the process stopped before the entry went: it goes now
                with contextlib.suppress(DocumentNotFound):
                    ts.remove(LABEL_DUE, due.key)
        fetched = 0
        for i in range(0, len(todo), concurrency):
            chunk = todo[i : i + concurrency]
            done = await asyncio.gather(*(self.marketplace_label(tenant_id, s) for s in chunk))
            fetched += sum(done)
        return fetched

    async def poll_documents(self, tenant_id: str, limit: int = 500) -> list[str]:
        """Ask the integrator about queued invoices, and about TICARIFATURA invoices whose
        buyer may still answer (KABUL or RED, within 8 days); return orders whose invoice
        moved."""
        ctx = self.context(tenant_id)
        issuer = ctx.connector(
            ctx.tenant.settings.default_issuer_connection, DocumentIssuer, "issuer"
        )
        docs = ctx.store.query(Query(INVOICE, {"status": DocumentStatus.QUEUED.value}, limit=limit))
        queued = {d.key for d in docs}
        docs += [d for d in self._answer_pending(ctx, limit) if d.key not in queued]
        moved = []
        for doc in docs:
            invoice = Invoice.model_validate(doc.body)
            try:
                sub = await issuer.status(invoice.kind, invoice.uuid)
            except KervanError as exc:
                self.health.failure(tenant_id, issuer.context.connection_id, exc.message)
                raise
            if sub.status is invoice.status and sub.answer is None:
                continue
            if tracking.invoice_answered(ctx, invoice, sub.status, sub.detail, sub.answer):
                moved.append(invoice.order_id or "")
        if docs:
            self.health.success(tenant_id, issuer.context.connection_id)
        try:  # a cancelled e-Fatura's return document: the buyer's IADE, if it has arrived
            moved += await fiscal_items.find_return_documents(ctx.store, issuer, ctx.clock())
        except KervanError as exc:  # the queued invoices above matter more: note it, go on
            self.health.failure(tenant_id, issuer.context.connection_id, exc.message)
        return [m for m in moved if m]

    def _answer_pending(self, ctx: StepContext, limit: int) -> list[Any]:
        """Accepted TICARIFATURA invoices issued within the answer window, not answered."""
        since = (ctx.clock() - ANSWER_WINDOW).astimezone(invoice_steps.ISTANBUL).isoformat()
        docs = ctx.store.query(
            Query(
                INVOICE,
                {"status": DocumentStatus.ACCEPTED.value},
                range=("issued_at", since, None),
                limit=limit,
            )
        )
        return [
            d for d in docs if d.body.get("profile") == "TICARIFATURA" and not d.body.get("answer")
        ]


#: how long a TICARIFATURA's receiver may answer it (KABUL or RED) through the system
ANSWER_WINDOW = timedelta(days=8)


def _due_now(now: datetime) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A store ``update`` change: look at the order now (the next advance plans it)."""

    def change(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "due_at": sortable(now), "waiting_for": None}

    return change


def _note_split(
    ctx: StepContext, plan: list[list[str]] | list[dict[str, int]], ref: RemoteRef
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(body: dict[str, Any]) -> dict[str, Any]:
        rec = OrderRecord.from_body(body)
        shipping.note_split(ctx, rec, plan, ref, f"by {ctx.actor}")
        return rec.to_body()

    return change
