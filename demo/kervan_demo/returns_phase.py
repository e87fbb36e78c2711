"""The demo's returns desk: after delivery, one return of each kind, through the sandboxes.

1. a buyer's request, received by scan and approved: a gider pusulası, stock back;
2. a buyer's request rejected with a photo and the packing evidence (a dispute at Trendyol);
3. a parcel that came back with no request: received, opened at Trendyol, matched later;
4. a registered buyer's return: approved, then the buyer's IADE arrives at Nilvera;
5. an exchange: the returned item is replaced, with a transport-only e-İrsaliye and a label;
6. a missing part sent on its own, with its e-İrsaliye;
7. a whole e-Arşiv return inside its cancellation window, for a tenant that chose to cancel.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from kervan import Runtime
from kervan.claims import ClaimRecord, Inspection
from kervan.claims.evidence import PACK_LOG, record_pack_scan
from kervan.domain import DocumentKind

TENANT = "demo"
CLERK = "demo-returns-clerk"


def _photo() -> bytes:
    """A small JPEG, as a phone camera at the returns desk would send."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buf, "JPEG")
    return buf.getvalue()


class ReturnsPhase:
    def __init__(self, runtime: Runtime, sandboxes: dict[str, Any], say: Callable[[str], None]):
        self.rt, self.sb, self.say = runtime, sandboxes, say
        assert runtime.jobs is not None
        self.run = runtime.jobs.loop.run
        self.returns = runtime.returns
        self.ts = runtime.store.tenant(TENANT)

    def _delivered(self) -> tuple[list[Any], list[Any]]:
        """Delivered orders of the main Trendyol store: (e-Arşiv to a person, e-Fatura)."""
        recs = self.returns.delivered_orders(TENANT, "trendyol")
        recs = [r for r in recs if not r.order.micro_export]
        persons = [r for r in recs if r.invoice_kind is DocumentKind.EARSIV]
        companies = [r for r in recs if r.invoice_kind is DocumentKind.EFATURA]
        return persons, companies

    def _claim(self, rec: Any) -> str:
        """The buyer asks for the return and the parcel reaches the warehouse; Kervan polls."""
        trendyol = self.sb["trendyol"]
        claim_id = trendyol.open_customer_claim(int(rec.order.package_id))
        trendyol.claim_arrives(claim_id)
        self.run(self.returns.sync(TENANT, "trendyol"))
        return f"trendyol:{claim_id}"

    def _receive(
        self, key: str, condition: str = "sellable", photos: list[str] | None = None
    ) -> ClaimRecord:
        rec = self.returns.get(TENANT, key)
        scanned = self.returns.scan(TENANT, rec.claim.cargo_tracking_number or key)
        assert scanned.claim is not None and scanned.claim.key == key
        lines = [
            Inspection(line_id=ln.id, condition=condition, photos=photos or [])
            for ln in rec.claim.lines
        ]
        return self.returns.receive(
            TENANT, key, by=CLERK, scanned=scanned.code, lines=lines, station="iade-1"
        )

    def _approve(self, key: str) -> ClaimRecord:
        self.returns.decide(TENANT, key, "approve", by=CLERK)
        return self.run(self.returns.advance(TENANT, key))

    def run_all(self) -> None:
        persons, companies = self._delivered()
        done = 0
        if persons:
            rec = persons.pop(0)
            key = self._claim(rec)
            self._receive(key)
            out = self._approve(key)
            self.say(f"  {rec.order.order_number}: approved; {_doc(out)}")
            done += 1
        if persons:
            rec = persons.pop(0)
            if self.ts.get(PACK_LOG, rec.order.id) is None:  # not packed at Kervan's station
                record_pack_scan(
                    self.ts,
                    rec.order.id,
                    scan_id=f"demo-pack-{rec.order.id}",
                    barcode=rec.order.lines[0].barcode,
                    packer="demo-packer",
                    station="paket-1",
                    at=rec.order.ordered_at,
                    order_number=rec.order.order_number,
                )
            key = self._claim(rec)
            photo = f"claim-photo:{key}:1"
            self.ts.put_blob(photo, _photo(), "image/jpeg")
            self._receive(key, "damaged", [photo])
            self.returns.decide(
                TENANT,
                key,
                "reject",
                by=CLERK,
                reason_code="51",
                description="Ürün kullanılmış olarak geldi; fotoğraf ve paketleme kaydı ektedir.",
            )
            out = self.run(self.returns.advance(TENANT, key))
            self.say(
                f"  {rec.order.order_number}: rejected with a photo and the packing evidence ({out.state})"
            )
            done += 1
        if persons:
            rec = persons.pop(0)
            out = self.run(
                self.returns.open_return(
                    TENANT, rec.order.id, by=CLERK, scanned=rec.order.order_number
                )
            )
            self.sb["trendyol"].claim_arrives(out.claim.external_id)
            self.run(self.returns.sync(TENANT, "trendyol"))
            out = self.returns.get(TENANT, out.key)
            self.say(
                f"  {rec.order.order_number}: came back with no request; claim "
                f"{out.claim.external_id} opened at Trendyol and matched; {_doc(out)}"
            )
            done += 1
        if companies:
            rec = companies.pop(0)
            key = self._claim(rec)
            self._receive(key)
            out = self._approve(key)
            sale = self.returns.sales_invoice(TENANT, rec)
            assert sale is not None
            self.sb["nilvera"].deliver_buyer_return(sale.uuid)
            self.run(self.returns.find_return_invoices(TENANT))
            out = self.returns.get(TENANT, key)
            self.say(f"  {rec.order.order_number}: registered buyer; {_doc(out)}")
            done += 1
        if persons:
            rec = persons.pop(0)
            key = self._claim(rec)
            self._receive(key)
            self._approve(key)
            line = rec.order.lines[0]
            part = self.run(
                self.returns.parts.ship(
                    TENANT,
                    rec.order.id,
                    kind="exchange",
                    lines={line.line_id: 1},
                    request_id=f"exchange-{key}",
                    by=CLERK,
                    claim_id=key,
                )
            )
            self.say(
                f"  {rec.order.order_number}: exchanged; e-İrsaliye {part.despatch_number}, "
                f"tracking {part.tracking_number}"
            )
            done += 1
        if persons:
            rec = persons.pop(0)
            part = self.run(
                self.returns.parts.ship(
                    TENANT,
                    rec.order.id,
                    kind="missing_part",
                    lines={rec.order.lines[0].line_id: 1},
                    request_id=f"part-{rec.order.id}",
                    by=CLERK,
                    note="eksik parça",
                )
            )
            self.say(
                f"  {rec.order.order_number}: missing part sent; e-İrsaliye "
                f"{part.despatch_number}, tracking {part.tracking_number}"
            )
            done += 1
        if persons:
            rec = persons.pop(0)
            tenant = self.rt.tenancy.get_tenant(TENANT)
            assert tenant is not None
            before = tenant.settings.returns_earsiv
            tenant.settings.returns_earsiv = "cancel_invoice"
            self.rt.tenancy.update_tenant(tenant)
            try:
                key = self._claim(rec)
                self._receive(key)
                out = self._approve(key)
            finally:
                tenant.settings.returns_earsiv = before
                self.rt.tenancy.update_tenant(tenant)
            self.say(f"  {rec.order.order_number}: returned whole in its window; {_doc(out)}")
            done += 1
        self.say(f"  {done} returns handled")


def _doc(rec: ClaimRecord) -> str:
    doc = rec.document
    if doc is None:
        return f"no document yet ({rec.state})"
    what = {
        "expense_voucher": f"gider pusulası {doc.number}",
        "buyer_return_invoice": "the buyer's IADE " + (doc.reference or "awaited"),
        "earsiv_cancelled": f"e-Arşiv {doc.number} cancelled",
    }.get(doc.route, doc.route)
    return f"{what} ({rec.state})"
