"""The claim steps. Each reads the record, asks the remote, and returns its change
(:class:`~.commit.ClaimChange`); the service commits it with the claim. Every step is safe to
run again: it checks what is done first, and the remote calls are idempotent at the
connector (approving an item already approved, opening a claim already open)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..engine.change import Movement
from ..engine.context import StepContext
from ..engine.records import BARCODE, OrderRecord
from ..errors import InvalidInputError, RemoteRejectedError
from ..roles import ClaimFile, DocumentIssuer, OrderSource
from . import fiscal
from .commit import ClaimChange, note
from .evidence import evidence_files
from .plan import settled_lines, to_approve, to_reject
from .record import CLAIM_REF, ClaimRecord

RETURNED = "returned"


def source_of(ctx: StepContext, rec: ClaimRecord) -> OrderSource:
    return ctx.connector(rec.claim.connection_id, OrderSource, "order source")


async def create_remote(
    ctx: StepContext, rec: ClaimRecord, order: OrderRecord | None
) -> ClaimChange:
    """A return that came with no request: open the claim at the marketplace."""
    if order is None:
        raise InvalidInputError(f"claim {rec.key}: its order is not known to Kervan")
    source = source_of(ctx, rec)
    units: Counter[str] = Counter()
    for line in rec.claim.lines:
        units[line.order_line_id] += int(line.quantity)
    first = rec.claim.lines[0]
    ref = await source.create_claim(
        order.order, dict(units), first.reason.code, first.customer_note
    )
    change = ClaimChange(rec)
    rec.done.remote_created = True
    if ref.remote_id:
        rec.claim = rec.claim.model_copy(update={"external_id": ref.remote_id})
        change.docs.append(
            (CLAIM_REF, f"{rec.claim.connection_id}:{ref.remote_id}", {"claim": rec.key})
        )
    note(
        rec,
        ctx.clock(),
        "create_claim",
        "ok",
        f"claim {ref.remote_id or '(id to come)'} opened at {source.key}",
        actor=source.key,
        request_id=ref.request_id,
    )
    return change


async def approve_remote(ctx: StepContext, rec: ClaimRecord) -> ClaimChange:
    ids = to_approve(rec)
    source = source_of(ctx, rec)
    try:
        ref = await source.approve_claim(rec.claim, ids)
    except RemoteRejectedError as exc:
        return _refused(ctx, rec, "approve_claim", ids, exc)
    rec.done.approved_remote += ids
    note(
        rec,
        ctx.clock(),
        "approve_claim",
        "ok",
        f"{len(ids)} line(s) approved at {source.key}",
        actor=source.key,
        request_id=ref.request_id,
        lines=ids,
    )
    return ClaimChange(rec)


def _refused(
    ctx: StepContext, rec: ClaimRecord, step: str, ids: list[str], exc: RemoteRejectedError
) -> ClaimChange:
    """The marketplace refused to act on items it no longer waits on (it accepted them on
    its own, the buyer cancelled): not a failure of ours. The items are left alone until the
    next poll brings the claim as it stands; the decision stays on record."""
    rec.done.refused = sorted(set(rec.done.refused) | set(ids))
    note(
        rec,
        ctx.clock(),
        step,
        "skipped",
        f"the marketplace refused ({exc.message}); waiting for its current view of the claim",
        lines=ids,
    )
    return ClaimChange(rec)


def _photos(ctx: StepContext, rec: ClaimRecord, ids: list[str]) -> list[ClaimFile]:
    files = []
    for insp in rec.receipt.lines if rec.receipt else []:
        if insp.line_id not in ids:
            continue
        for n, key in enumerate(insp.photos, 1):
            found = ctx.store.get_blob(key)
            if found is not None:
                name = f"{insp.line_id[:40]}-{n}.{_ext(found[1])}"
                files.append(ClaimFile(name=name, data=found[0], content_type=found[1]))
    return files


def _ext(content_type: str) -> str:
    return {"image/png": "png", "application/pdf": "pdf"}.get(content_type, "jpg")


async def reject_remote(ctx: StepContext, rec: ClaimRecord) -> ClaimChange:
    ids = to_reject(rec)
    decision = next(
        d for d in reversed(rec.decisions) if d.action == "reject" and set(ids) & set(d.line_ids)
    )
    files = _photos(ctx, rec, ids)
    evidence = evidence_files(ctx.store, rec.order_id) if rec.order_id else []
    source = source_of(ctx, rec)
    try:
        ref = await source.reject_claim(
            rec.claim,
            ids,
            decision.reason_code or "",
            decision.description or "",
            files + evidence,
        )
    except RemoteRejectedError as exc:
        return _refused(ctx, rec, "reject_claim", ids, exc)
    rec.done.rejected_remote += ids
    note(
        rec,
        ctx.clock(),
        "reject_claim",
        "ok",
        f"{len(ids)} line(s) rejected at {source.key} with {len(files)} photo(s)"
        + (" and the packing evidence" if evidence else " (no packing evidence on record)"),
        actor=source.key,
        request_id=ref.request_id,
        lines=ids,
        files=[f.name for f in files + evidence],
    )
    return ClaimChange(rec)


def restock(ctx: StepContext, rec: ClaimRecord) -> ClaimChange:
    """Sellable returned units back on the shelf of the warehouse the clerk chose; damaged or
    incomplete ones are not (they are written off or repaired outside the ledger)."""
    settled = set(settled_lines(rec))
    found = {i.line_id: i for i in rec.receipt.lines} if rec.receipt else {}
    barcodes = sorted({ln.barcode for ln in rec.claim.lines if ln.id in settled})
    mapping = ctx.store.get_many(BARCODE, barcodes)
    back: Counter[tuple[str, str]] = Counter()
    kept: list[str] = []
    unmanaged: list[str] = []
    for line in rec.claim.lines:
        if line.id not in settled:
            continue
        insp = found.get(line.id)
        if insp is None or insp.condition != "sellable":
            kept.append(f"{line.barcode} ({insp.condition if insp else 'not inspected'})")
            continue
        doc = mapping.get(line.barcode)
        if doc is None:
            unmanaged.append(line.barcode)
            continue
        back[(doc.body["product_id"], insp.warehouse)] += int(line.quantity)
    moves = [
        Movement(product_id=pid, reason=RETURNED, on_hand=qty, ref=rec.key, warehouse=wh)
        for (pid, wh), qty in sorted(back.items())
    ]
    rec.done.restocked = True
    data: dict[str, Any] = {"back": {f"{p}@{w}": q for (p, w), q in sorted(back.items())}}
    if kept:
        data["not_restocked"] = kept
    if unmanaged:
        data["not_stock_managed"] = unmanaged
    note(rec, ctx.clock(), "restock", "ok", f"{sum(back.values())} unit(s) back to stock", **data)
    return ClaimChange(rec, stock=moves)


async def document(ctx: StepContext, rec: ClaimRecord, order: OrderRecord | None) -> ClaimChange:
    if order is None:
        raise InvalidInputError(f"claim {rec.key}: its order is not known to Kervan")
    settings = ctx.tenant.settings
    issuer = None
    if settings.default_issuer_connection:
        issuer = ctx.connector(settings.default_issuer_connection, DocumentIssuer, "issuer")
    return await fiscal.document(
        ctx.store,
        rec,
        order,
        issuer,
        settings.returns_earsiv,
        settings.invoice_series["expense_voucher"],
        ctx.tenant.seller,
        ctx.clock(),
    )
