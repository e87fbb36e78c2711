"""The returns desk (``/v1/returns``): the approval queue, a claim with its timeline, scan,
photos, receive, approve or reject, a return that came with no request, the buyer's return
document recorded by hand, retry, the gider pusulası PDF, and a claims sync.

Routes call :class:`kervan.claims.Returns` (``Runtime.returns``) and nothing under it but the
record's names. The flows are open to the returns clerk and the tenant admin, and to nobody
else (issue 20: "the flows are open to it, to tenant admins and to nobody else"); a claims
sync, which calls the marketplace for every open claim, to the tenant admin.

The actor of every action is the API key's user (``user:{id}``): the staff reports read who
received, approved or rejected what from the claim's timeline. An action that is followed by
a marketplace call (approve, reject, retry, a return with no request) runs that call inside
the request; when it fails the action still stands, the failure is on the claim's timeline
(and retried when it is retryable), and the answer says so in ``error``.

Claim ids are ``{connection}:{marketplace claim id}``: the colon is an ordinary character in
a path segment (``GET /v1/returns/trendyol:8a1f.../``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile

from ..claims import ClaimRecord, ClaimState, Inspection, Returns
from ..claims.fiscal import EXPENSE_VOUCHER, voucher_pdf_key
from ..domain import Role
from ..engine.records import ORDER, OrderRecord
from ..errors import ClaimStateError, InvalidInputError, KervanError, NotFoundError
from . import claim_photos
from .auth import ADMINS, Caller, allow, caller, endpoint, roles_extra
from .claim_photos import MAX_PHOTOS_BODY, MAX_PHOTOS_PER_REQUEST, SIGNATURES
from .loop import on_engine_loop
from .openapi import REMOTE, error_response
from .schemas_returns import (
    ActionOut,
    ApproveIn,
    ClaimOut,
    ClaimRow,
    DocumentIn,
    PhotosOut,
    ReceiveIn,
    RejectIn,
    ScanIn,
    ScanOut,
    SyncOut,
    UnrequestedIn,
    claim_out,
    claim_row,
)

router = APIRouter()

#: who works the returns desk (issue 20): the returns clerk and the tenant admin, nobody else
RETURNS = (Role.TENANT_ADMIN, Role.RETURNS_CLERK)
MAX_PAGE = 500
CLAIM_STATE: dict[int | str, dict[str, Any]] = {
    409: error_response(
        "The claim is not where the action needs it (code claim_state; detail.claim_id, "
        "detail.state): deciding before the parcel was received, changing a decided "
        "receipt, deciding a line twice the other way, retrying a claim that has not failed"
    ),
    503: error_response("The claim kept changing meanwhile: try again (code cas_mismatch)"),
}
PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the gider pusulası as PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _returns(request: Request) -> Returns:
    found: Returns = request.app.state.runtime.returns
    return found


def _actor(c: Caller) -> str:
    return f"user:{c.principal.user_id}"


def _out(rec: ClaimRecord) -> dict[str, Any]:
    doc = rec.document
    has_pdf = doc is not None and doc.route == EXPENSE_VOUCHER and doc.status == "done"
    return claim_out(rec, has_pdf)


async def _advanced(request: Request, tenant: str, key: str) -> dict[str, Any]:
    """Run what is due for the claim now; a failure is reported, the action before it stays."""
    returns = _returns(request)
    try:
        rec = await on_engine_loop(request, returns.advance(tenant, key))
    except NotFoundError:
        raise
    except KervanError as exc:
        return _failed(returns.get(tenant, key), exc)
    return {"claim": _out(rec), "error": None}


def _failed(rec: ClaimRecord, exc: KervanError) -> dict[str, Any]:
    error = {"code": exc.code, "message": exc.message, "retryable": exc.retryable}
    return {"claim": _out(rec), "error": error}


# -- reading ---------------------------------------------------------------------------------


@endpoint(router, "get", "/returns/queue", RETURNS, response_model=list[ClaimRow])
def returns_queue(
    request: Request,
    state: list[ClaimState] | None = Query(
        None, description="states to list (repeat it; default requested and received)"
    ),
    limit: int = Query(200, ge=1, le=MAX_PAGE),
) -> list[dict[str, Any]]:
    """The approval queue: open claims with their order, lines (the customer's reason and
    note each), the marketplace's deadline (``respond_by``) and warnings, the nearest
    deadline first (a claim with none last)."""
    recs = _returns(request).queue(caller(request).tenant, state, limit=limit)
    return [claim_row(r) for r in recs]


@endpoint(router, "get", "/returns/{claim_id}", RETURNS, response_model=ClaimOut)
def get_return(request: Request, claim_id: str) -> dict[str, Any]:
    """One claim with its receipt, decisions, document, warnings and timeline (oldest
    first: who received, approved or rejected what, and when)."""
    return _out(_returns(request).get(caller(request).tenant, claim_id))


@endpoint(
    router,
    "get",
    "/returns/{claim_id}/voucher.pdf",
    RETURNS,
    response_class=Response,
    responses=PDF,
)
def voucher_pdf(request: Request, claim_id: str) -> Response:
    """The gider pusulası Kervan issued for the return (a private person's refund); 404 when
    the return has none (another document route, or not issued yet)."""
    tenant = caller(request).tenant
    rec = _returns(request).get(tenant, claim_id)
    found = request.app.state.runtime.store.tenant(tenant).get_blob(voucher_pdf_key(claim_id))
    if found is None:
        raise NotFoundError(
            f"claim {claim_id} has no gider pusulası"
            + (f" (its document: {rec.document.route})" if rec.document else " (not issued yet)")
        )
    number = rec.document.number if rec.document and rec.document.number else "gider-pusulasi"
    headers = {"Content-Disposition": f'inline; filename="{number}.pdf"'}
    return Response(found[0], media_type="application/pdf", headers=headers)


# -- the desk --------------------------------------------------------------------------------


@endpoint(router, "post", "/returns/scan", RETURNS, response_model=ScanOut)
def scan(request: Request, body: ScanIn) -> dict[str, Any]:
    """What a scanned code finds: a claim (by the return's cargo barcode or tracking number,
    a carrier return code, or the claim id), else the order (its shipping label, tracking
    number or order number) with no open claim: receive it as a return with no request.
    404 when nothing matches."""
    found = _returns(request).scan(caller(request).tenant, body.code)
    order = None
    if found.order is not None:
        o = found.order.order
        order = {
            "id": o.id,
            "order_number": o.order_number,
            "package_id": o.package_id,
            "connection_id": o.connection_id,
            "buyer": o.buyer.display_name,
            "lines": [
                {
                    "line_id": ln.line_id,
                    "barcode": ln.barcode,
                    "name": ln.name,
                    "quantity": str(ln.quantity),
                }
                for ln in o.lines
            ],
        }
    return {
        "code": found.code,
        "found": "claim" if found.claim is not None else "order",
        "claim": _out(found.claim) if found.claim is not None else None,
        "order": order,
        "candidates": found.candidates,
    }


@router.post(
    "/returns/{claim_id}/photos",
    dependencies=[Depends(allow(*RETURNS))],
    openapi_extra=roles_extra(*RETURNS)
    | {
        "x-max-body-bytes": MAX_PHOTOS_BODY,
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "encoding": {"files": {"contentType": ", ".join(SIGNATURES)}}
                }
            }
        },
    },
    response_model=PhotosOut,
    status_code=201,
)
async def upload_photos(
    request: Request,
    claim_id: str,
    files: list[UploadFile] = File(
        default=[],
        description=f"1 to {MAX_PHOTOS_PER_REQUEST} photos, image/jpeg or image/png, "
        "at most 10 MB each",
    ),
) -> dict[str, Any]:
    """Keep the clerk's photos of a returned item; the answer's keys go in the receipt's
    ``lines[].photos`` (a rejection sends them to the marketplace). Each file must be JPEG
    or PNG, as declared and as its first bytes say, and at most 10 MB: 422 names the file.
    One request's body may be 24 MiB (``x-max-body-bytes``; 413 over it): send big photos
    one by one. A retried upload keeps the photos again under new keys."""
    tenant = caller(request).tenant
    _returns(request).get(tenant, claim_id)  # 404 for a claim that is not there
    if not files or len(files) > MAX_PHOTOS_PER_REQUEST:
        raise InvalidInputError(f"send 1 to {MAX_PHOTOS_PER_REQUEST} photos as 'files'")
    photos = [await claim_photos.read(i, f) for i, f in enumerate(files)]
    ts = request.app.state.runtime.store.tenant(tenant)
    return {"photos": claim_photos.keep(ts, claim_id, photos)}


@endpoint(
    router,
    "post",
    "/returns/{claim_id}/receive",
    RETURNS,
    response_model=ClaimOut,
    responses=CLAIM_STATE,
)
def receive(request: Request, claim_id: str, body: ReceiveIn) -> dict[str, Any]:
    """Record what the clerk found, line by line (every line of the claim, each once): its
    condition, reason, return warehouse and photos. The same receipt sent again changes
    nothing; a different one replaces it until the claim is decided (then 409)."""
    c = caller(request)
    ts = request.app.state.runtime.store.tenant(c.tenant)
    seen = Counter(line.line_id for line in body.lines)
    twice = sorted(i for i, n in seen.items() if n > 1)
    if twice:
        raise InvalidInputError(f"each claim line once: {', '.join(twice)} sent more than once")
    for i, line in enumerate(body.lines):
        claim_photos.check(ts, claim_id, line.photos, ["body", "lines", str(i), "photos"])
    lines = [Inspection.model_validate(line.model_dump()) for line in body.lines]
    rec = _returns(request).receive(
        c.tenant, claim_id, by=_actor(c), scanned=body.scanned, lines=lines, station=body.station
    )
    return _out(rec)


@endpoint(
    router,
    "post",
    "/returns/{claim_id}/approve",
    RETURNS,
    response_model=ActionOut,
    responses=CLAIM_STATE,
)
async def approve(request: Request, claim_id: str, body: ApproveIn) -> dict[str, Any]:
    """Approve the lines (default: every line not decided yet) of a received claim: the
    approval goes to the marketplace in this request, then sellable units go back to stock
    and the return's fiscal document is issued (or awaited). Sent again, nothing changes."""
    c = caller(request)
    _decide(request, c, claim_id, "approve", body.line_ids, description=body.description)
    return await _advanced(request, c.tenant, claim_id)


@endpoint(
    router,
    "post",
    "/returns/{claim_id}/reject",
    RETURNS,
    response_model=ActionOut,
    responses=CLAIM_STATE,
)
async def reject(request: Request, claim_id: str, body: RejectIn) -> dict[str, Any]:
    """Reject the lines (default: every line not decided yet) of a received claim: the
    rejection goes to the marketplace in this request with the reason code, the
    description, the clerk's photos of those lines and Kervan's packing evidence for the
    order. The marketplace then decides (the claim is ``disputed``)."""
    c = caller(request)
    _decide(
        request,
        c,
        claim_id,
        "reject",
        body.line_ids,
        reason_code=body.reason_code,
        description=body.description,
    )
    return await _advanced(request, c.tenant, claim_id)


def _decide(
    request: Request,
    c: Caller,
    claim_id: str,
    action: str,
    line_ids: list[str] | None,
    **kw: Any,
) -> None:
    """Record the decision. The same decision sent again after the claim was settled (a
    handheld that lost the answer) is not a conflict: ``Returns.decide`` refuses any decision
    on a final claim first, so the resend is recognised here (every line asked for was
    decided ``action``; no lines named: every line was decided)."""
    returns = _returns(request)
    try:
        returns.decide(c.tenant, claim_id, action, by=_actor(c), line_ids=line_ids, **kw)
    except ClaimStateError:
        rec = returns.get(c.tenant, claim_id)
        decided = set(rec.decided("approve")) | set(rec.decided("reject"))
        if line_ids is None:
            same = decided >= {ln.id for ln in rec.claim.lines}
        else:
            same = set(line_ids) <= set(rec.decided(action))
        if not same or not rec.decisions:
            raise


@endpoint(
    router,
    "post",
    "/returns/{claim_id}/retry",
    RETURNS,
    response_model=ActionOut,
    responses=CLAIM_STATE,
)
async def retry(request: Request, claim_id: str) -> dict[str, Any]:
    """Resume a failed claim (after fixing what its ``last_error`` names): its due step
    runs again in this request. 409 for a claim that has not failed."""
    c = caller(request)
    _returns(request).retry(c.tenant, claim_id, _actor(c))
    return await _advanced(request, c.tenant, claim_id)


@endpoint(
    router,
    "post",
    "/returns/{claim_id}/document",
    RETURNS,
    response_model=ClaimOut,
    responses=CLAIM_STATE,
)
def record_document(request: Request, claim_id: str, body: DocumentIn) -> dict[str, Any]:
    """Close a return that waits for the buyer's return invoice with one that came another
    way (a paper invoice, an IADE seen outside Kervan). The same reference again changes
    nothing; 409 for a return that waits for no document."""
    c = caller(request)
    rec = _returns(request).record_document(
        c.tenant,
        claim_id,
        reference=body.reference,
        how=body.how,
        by=_actor(c),
        note_text=body.note,
    )
    return _out(rec)


@endpoint(
    router,
    "post",
    "/returns/unrequested",
    RETURNS,
    response_model=ActionOut,
    status_code=201,
    responses=REMOTE,
)
async def receive_unrequested(request: Request, body: UnrequestedIn) -> dict[str, Any]:
    """A parcel came back with no return request: receive it as a return of ``lines``
    (default the whole order), approve it, and open the claim at the marketplace in this
    request; when the marketplace later reports a claim for it, the two are matched, never
    duplicated. Sent again with the same scan and lines, it is the same return."""
    c = caller(request)
    inspections = {
        line_id: Inspection(line_id=line_id, **found.model_dump())
        for line_id, found in (body.inspections or {}).items()
    }
    returns = _returns(request)
    try:
        rec = await on_engine_loop(
            request,
            returns.open_return(
                c.tenant,
                body.order_id,
                by=_actor(c),
                scanned=body.scanned,
                lines=body.lines,
                inspections=inspections or None,
                station=body.station,
                **({"note_text": body.note} if body.note else {}),
            ),
        )
    except KervanError as exc:
        opened = _opened(returns, c.tenant, body)
        if opened is None:
            raise
        return _failed(opened, exc)
    return {"claim": _out(rec), "error": None}


def _opened(returns: Returns, tenant: str, body: UnrequestedIn) -> ClaimRecord | None:
    """The return ``body`` opened, if it was recorded before a later step failed (the
    service keys it on the order, the scan and the units; this finds it by the same)."""
    doc = returns.engine.store.tenant(tenant).get(ORDER, body.order_id)
    if doc is None:
        return None
    lines = OrderRecord.from_body(doc.body).order.lines
    units = body.lines or {ln.line_id: int(ln.quantity) for ln in lines}
    for rec in returns.for_order(tenant, body.order_id):
        got = Counter(ln.order_line_id for ln in rec.claim.lines)
        if (
            rec.claim.opened_by == "seller"
            and rec.receipt is not None
            and rec.receipt.scanned == body.scanned
            and got == Counter(units)
        ):
            return rec
    return None


@endpoint(router, "post", "/returns/sync", ADMINS, response_model=SyncOut, responses=REMOTE)
async def sync(
    request: Request,
    connection_id: str = Query(description="the marketplace connection to read claims from"),
) -> dict[str, Any]:
    """Read the connection's claims now (the scheduler does it on its own): new ones join
    the queue, a return Kervan opened is matched to its claim, known ones take the
    marketplace's statuses, and each is advanced."""
    tenant = caller(request).tenant
    request.app.state.runtime.connections.require(tenant, connection_id)
    result = await on_engine_loop(request, _returns(request).sync(tenant, connection_id))
    return {
        "new": result.new,
        "changed": result.changed,
        "matched": result.matched,
        "problems": result.problems,
    }
