"""GİB's full rules once per sales invoice, through the real Nilvera connector: the draft is
validated in full, the numbered invoice that leaves gets the XSD and the numbering checks."""

from __future__ import annotations

from collections import Counter

import kervan_ubltr
from kervan.domain import DocumentKind

from .conftest import COMPANY, FOREIGN, PERSON, make_order


def test_each_sales_invoice_is_validated_in_full_once(flow, monkeypatch):
    counts: Counter[str] = Counter()
    full, numbered = kervan_ubltr.validate, kervan_ubltr.check_numbered

    def validate(xml, **kw):
        if kw.get("line_count"):  # build_valid's (the Nilvera sandbox validates too)
            counts["full"] += 1
        return full(xml, **kw)

    def check_numbered(xml, **kw):
        report = numbered(xml, **kw)
        counts["numbered ok" if report.ok else "numbered failed"] += 1
        return report

    monkeypatch.setattr(kervan_ubltr, "validate", validate)
    monkeypatch.setattr(kervan_ubltr, "check_numbered", check_numbered)
    flow.seed(
        [
            make_order("5101", PERSON),
            make_order("5102", COMPANY),
            make_order("5103", FOREIGN, "p-kazak"),
        ],
        registered={COMPANY.tax_id: "urn:mail:defaultpk@ege.example"},
    )
    flow.poll()
    flow.pickup()
    kinds = {flow.record(p).invoice_kind for p in ("5101", "5102", "5103")}
    assert kinds == {DocumentKind.EARSIV, DocumentKind.EFATURA, DocumentKind.EXPORT}
    for invoice in flow.invoices():
        assert flow.nilvera.document_count(invoice["uuid"]) == 1, invoice["number"]
    assert counts == {"full": 3, "numbered ok": 3}
