"""What a tenant's store holds, summed up for a person: orders by state, documents by kind and
status, labels, holds and failures (:func:`summarize`), and every document and label written
out as files (:func:`export_all`).

Public (``kervan.reports``) so a tool that drives a Runtime, such as ``kervan demo``, can report
without knowing how the engine stores its records.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .claims.fiscal import VOUCHER, voucher_pdf_key
from .claims.parts import DESPATCH, PART_SHIPMENT
from .claims.record import CLAIM
from .documents import draw_label_pdf, has_label, label_key, pdf_key, xml_key
from .domain import DespatchAdvice, Invoice, OrderState
from .engine import quarantine
from .engine.records import (
    DEAD_LETTER,
    INVOICE,
    LISTING,
    ORDER,
    PRODUCT,
    SHIPMENT,
    STOCK_DUE,
    OrderRecord,
)
from .erp.flow import posting_counts
from .errors import KervanError
from .roles import Connector, DocumentIssuer
from .runtime import Runtime
from .store.port import Query, TenantStore


@dataclass
class Summary:
    orders: int = 0
    orders_by_state: dict[str, int] = field(default_factory=dict)
    documents_by_kind: dict[str, int] = field(default_factory=dict)
    documents_by_status: dict[str, int] = field(default_factory=dict)
    labels: int = 0
    shipments_by_status: dict[str, int] = field(default_factory=dict)
    cancellations: int = 0
    #: packages split into others (the split rules or a person); each ends ``cancelled``
    splits: int = 0
    held: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    #: remote records that could not be mapped, kept in quarantine (id, connection, reason)
    problems: list[dict[str, str]] = field(default_factory=list)
    invoices: list[dict[str, str]] = field(default_factory=list)
    #: product cards, their channel listings and the pushes that fed them
    catalog: dict[str, int] = field(default_factory=dict)
    #: postings recorded in the tenant's ERP connections, by kind (kervan.erp)
    erp: dict[str, int] = field(default_factory=dict)
    #: returns (claims) by outcome and by fiscal document, and part shipments by kind
    returns: dict[str, Any] = field(default_factory=dict)
    #: the floor's picking round and packing session, when the caller ran one (kervan demo)
    floor: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def summarize(runtime: Runtime, tenant_id: str) -> Summary:
    ts = runtime.store.tenant(tenant_id)
    s = Summary()
    records = [OrderRecord.from_body(d.body) for d in ts.iter_query(Query(ORDER))]
    s.orders = len(records)
    s.orders_by_state = dict(Counter(r.order.state.value for r in records))
    # a package split apart ends cancelled too, but nobody cancelled anything
    s.splits = sum(1 for r in records if r.order.superseded)
    s.cancellations = s.orders_by_state.get(OrderState.CANCELLED.value, 0) - s.splits
    for r in records:
        if r.order.state is OrderState.ON_HOLD:
            s.held.append({"order": r.order.id, "reason": r.order.hold_reason or ""})
        if r.order.state is OrderState.FAILED:
            s.failures.append({"order": r.order.id, "error": r.last_error or ""})
    invoices = [Invoice.model_validate(d.body) for d in ts.iter_query(Query(INVOICE))]
    s.documents_by_kind = dict(Counter(i.kind.value for i in invoices))
    s.documents_by_status = dict(Counter(i.status.value for i in invoices))
    s.invoices = [
        {
            "number": i.number or "",
            "kind": i.kind.value,
            "profile": i.profile,
            "status": i.status.value,
            "buyer": i.buyer.display_name,
            "total": str(i.totals.payable),
            "order": i.order_id or "",
        }
        for i in sorted(invoices, key=lambda i: i.number or "")
    ]
    shipments = list(ts.iter_query(Query(SHIPMENT)))
    s.shipments_by_status = dict(Counter(d.body["status"] for d in shipments))
    s.labels = sum(1 for d in shipments if has_label(ts, d.body["order_id"]))
    for d in ts.iter_query(Query(DEAD_LETTER)):
        s.failures.append({"job": d.body["actor"], "error": d.body["error"]})
    s.problems = [
        {"id": p.id, "connection": p.connection_id, "reason": p.reason}
        for p in quarantine.listing(ts, status=quarantine.OPEN, limit=1000)
    ]
    s.catalog = _catalog(ts)
    s.erp = posting_counts(ts)
    s.returns = _returns(ts)
    return s


def _catalog(ts: TenantStore) -> dict[str, int]:
    cards = [d.body for d in ts.iter_query(Query(PRODUCT))]
    listings = [d.body for d in ts.iter_query(Query(LISTING))]
    return {
        "cards": sum(1 for c in cards if not c.get("merged_into")),
        "merged_cards": sum(1 for c in cards if c.get("merged_into")),
        "listings": len(listings),
        "channels": len({item["connection_id"] for item in listings}),
        "listings_pushed": sum(
            1 for item in listings if (item.get("pushed") or {}).get("at") and item.get("last_push")
        ),
        "push_failures": sum(
            1 for item in listings if not (item.get("last_push") or {}).get("ok", True)
        ),
        "flagged": sum(1 for item in listings if item.get("flagged")),
        "waiting_push": ts.count(Query(STOCK_DUE)),
    }


def _returns(ts: TenantStore) -> dict[str, Any]:
    claims = [d.body for d in ts.iter_query(Query(CLAIM))]
    parts = [d.body for d in ts.iter_query(Query(PART_SHIPMENT))]
    return {
        "claims": len(claims),
        "by_outcome": dict(Counter(c["state"] for c in claims)),
        "by_document": dict(
            Counter((c.get("document") or {}).get("route", "none yet") for c in claims)
        ),
        "expense_vouchers": ts.count(Query(VOUCHER)),
        "part_shipments": dict(Counter(p["kind"] for p in parts)),
        "despatch_advices": ts.count(Query(DESPATCH)),
    }


def _export_returns(
    ts: TenantStore,
    issuer: Any,
    connector: Callable[[str | None], Connector | None],
    out: Path,
    counts: Counter[str],
) -> None:
    """Gider pusulası PDFs, e-İrsaliye XMLs and PDFs, and the labels of exchanges and parts."""
    for doc in ts.iter_query(Query(VOUCHER)):
        blob = ts.get_blob(voucher_pdf_key(doc.body["claim_id"]))
        if blob:
            _write(out / "returns" / f"{doc.body['number']}.pdf", blob[0])
            counts["voucher_pdf"] += 1
    for doc in ts.iter_query(Query(DESPATCH)):
        despatch = DespatchAdvice.model_validate(doc.body)
        xml = ts.get_blob(xml_key(despatch.uuid))
        if xml:
            _write(out / "returns" / f"{despatch.number}.xml", xml[0])
            counts["despatch_xml"] += 1
        data = _render(issuer, despatch)
        if data:
            _write(out / "returns" / f"{despatch.number}.pdf", data)
            counts["despatch_pdf"] += 1
    for doc in ts.iter_query(Query(PART_SHIPMENT)):
        if doc.body.get("cargo_key"):
            stem = out / "returns" / "labels" / doc.body["cargo_key"]
            for ext in _export_label(
                ts, connector, doc.key, doc.body.get("carrier_connection"), stem
            ):
                counts[f"part_label_{ext}"] += 1


def _export_label(
    ts: TenantStore,
    connector: Callable[[str | None], Connector | None],
    owner: str,
    connection_id: str | None,
    stem: Path,
) -> list[str]:
    """Write a label's ZPL and PDF as ``stem.zpl`` / ``stem.pdf``, the PDF drawn now (and
    kept) when it was never printed; the formats written."""
    written = []
    zpl = ts.get_blob(label_key(owner, "zpl"))
    if zpl:
        _write(stem.parent / f"{stem.name}.zpl", zpl[0])
        written.append("zpl")
    pdf = draw_label_pdf(ts, owner, connector(connection_id))
    if pdf:
        _write(stem.parent / f"{stem.name}.pdf", pdf)
        written.append("pdf")
    return written


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def export_all(runtime: Runtime, tenant_id: str, out: Path, summary: Summary) -> dict[str, int]:
    """Write every document (XML, PDF), every label (ZPL, PDF) and summary.json to ``out``."""
    ts = runtime.store.tenant(tenant_id)
    tenant = runtime.tenancy.get_tenant(tenant_id)
    issuer: Any = None
    if tenant and tenant.settings.default_issuer_connection:
        issuer = runtime.connectors.get(tenant_id, tenant.settings.default_issuer_connection)
    counts: Counter[str] = Counter()
    for doc in ts.iter_query(Query(INVOICE)):
        invoice = Invoice.model_validate(doc.body)
        # a draft has no number until it leaves (an e-Fatura waiting for pickup)
        name = invoice.number or f"draft-{invoice.uuid}"
        xml = ts.get_blob(xml_key(invoice.uuid))
        if xml:
            _write(out / "documents" / f"{name}.xml", xml[0])
            counts["xml"] += 1
        pdf = ts.get_blob(pdf_key(invoice.uuid))
        data = pdf[0] if pdf else _render(issuer, invoice)
        if data:
            _write(out / "documents" / f"{name}.pdf", data)
            counts["pdf"] += 1

    def connector(connection_id: str | None) -> Connector | None:
        try:
            return runtime.connectors.get(tenant_id, connection_id) if connection_id else None
        except KervanError:
            return None

    for doc in ts.iter_query(Query(SHIPMENT)):
        oid, key = doc.body["order_id"], doc.body["cargo_key"]
        conn = doc.body.get("connection_id")
        for ext in _export_label(ts, connector, oid, conn, out / "labels" / key):
            counts[f"label_{ext}"] += 1
    _export_returns(ts, issuer, connector, out, counts)
    (out / "summary.json").write_text(summary.to_json(), encoding="utf-8")
    return dict(counts)


def _render(issuer: Any, invoice: Invoice | DespatchAdvice) -> bytes | None:
    if not isinstance(issuer, DocumentIssuer):
        return None
    try:
        return issuer.render_pdf(invoice)
    except KervanError:
        return None
