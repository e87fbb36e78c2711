"""The files behind documents: an invoice's XML, PDF and HTML, a shipment's label.

One owner for where those files are kept (the blob key names below) and for where a missing
one comes from (the issuer, the marketplace), so the API and reports ask for a file and never
build a key or look up a connector themselves.

Where each file comes from:

- **XML**: the UBL-TR the engine built when it issued the invoice, kept as it left; none before.
- **PDF**: the integrator's rendering, once the document has been submitted (fetched on first
  ask and kept). Before that — or when the integrator offers none or cannot be reached — the
  tenant's default issuer renders it locally on the spot; a local rendering is not kept, so it
  never stands in for the integrator's copy later.
- **HTML**: the integrator's rendering of a submitted document (fetched on first ask, kept).
- **Label**: what the remote gave, as it gave it (the carrier's booking answer; a parcel the
  marketplace booked has its label fetched from the marketplace on first print, through
  ``fetch_label``, the engine's): ZPL, the carrier's own PDF when it returns one, and the
  connector's render data when it draws the label itself. A PDF Kervan draws (from the ZPL or
  from those data) is drawn the first time someone asks for ``.pdf``, by the connector that
  gave the label (its ``label_pdf``), and kept, so each label is drawn once and never on the
  order's path.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .domain import DocumentStatus, Invoice, Label
from .errors import KervanError, NotFoundError, RemoteError, UnsupportedOperationError
from .roles import Carrier, Connector, DocumentIssuer, OrderSource
from .store.port import Store, TenantStore

if TYPE_CHECKING:
    from .engine.context import ConnectorProvider, TenantDirectory

log = logging.getLogger("kervan.documents")

#: the formats a label is handed out in
LABEL_FORMATS = ("zpl", "pdf")
#: the connector's data to draw a label's PDF from (``Label.render_data``), kept as JSON
LABEL_DATA = "data"
PDF = "application/pdf"
XML = "application/xml"
HTML = "text/html; charset=utf-8"
ZPL = "text/plain"
JSON = "application/json"
LABEL_MEDIA_TYPES = {"zpl": ZPL, "pdf": PDF}

#: the integrator holds the document from its submission on (and so can render it)
SUBMITTED = frozenset(
    {
        DocumentStatus.QUEUED,
        DocumentStatus.ACCEPTED,
        DocumentStatus.REJECTED,
        DocumentStatus.CANCELLED,
    }
)


# -- where files are kept (blob keys in the tenant's store) -------------------------------------


def xml_key(uuid: str) -> str:
    """The UBL-TR XML of a document (by its UUID, the ETTN), kept when it is issued."""
    return f"xml:{uuid}"


def pdf_key(uuid: str) -> str:
    """The integrator's PDF of a document."""
    return f"pdf:{uuid}"


def html_key(uuid: str) -> str:
    """The integrator's HTML of a document."""
    return f"html:{uuid}"


def label_key(order_id: str, fmt: str) -> str:
    """An order's (or a part shipment's) shipping label in ``fmt`` (``zpl`` or ``pdf``), or
    its render data (:data:`LABEL_DATA`)."""
    return f"label:{order_id}:{fmt}"


def has_label(store: TenantStore, order_id: str) -> bool:
    """Whether an order has a label kept, in any format: a label kept as ZPL only is a label
    (its PDF is drawn when first printed)."""
    return any(store.get_blob(label_key(order_id, fmt)) for fmt in LABEL_FORMATS)


def label_blobs(owner: str, label: Label) -> list[tuple[str, bytes, str]]:
    """A label as the blobs to keep, ``label:<owner>:zpl`` / ``:pdf`` / ``:data`` (the parts
    it has): as the remote gave it, nothing drawn."""
    blobs = []
    if label.zpl:
        blobs.append((label_key(owner, "zpl"), label.zpl.encode(), ZPL))
    if label.pdf:
        blobs.append((label_key(owner, "pdf"), label.pdf, PDF))
    if label.render_data:
        data = json.dumps(label.render_data, ensure_ascii=False, separators=(",", ":"))
        blobs.append((label_key(owner, LABEL_DATA), data.encode(), JSON))
    return blobs


def kept_label(store: TenantStore, owner: str) -> Label | None:
    """The label kept for ``owner`` (an order id or a part shipment's key), or None."""
    parts = {fmt: store.get_blob(label_key(owner, fmt)) for fmt in (*LABEL_FORMATS, LABEL_DATA)}
    if parts["zpl"] is None and parts["pdf"] is None:
        return None
    data = parts[LABEL_DATA]
    return Label(
        zpl=parts["zpl"][0].decode() if parts["zpl"] else "",
        pdf=parts["pdf"][0] if parts["pdf"] else b"",
        render_data=json.loads(data[0]) if data else None,
    )


def draw_label_pdf(store: TenantStore, owner: str, connector: Connector | None) -> bytes | None:
    """The label's PDF: kept, or drawn now by ``connector`` (the one that gave the label) and
    kept. None when no label is kept or none can be drawn (the reason is logged). For callers
    off the engine loop (an export); the API goes through :meth:`Documents.label`."""
    kept = store.get_blob(label_key(owner, "pdf"))
    if kept is not None:
        return kept[0]
    label = kept_label(store, owner)
    if label is None or connector is None:
        return None
    try:
        pdf = _draw(connector, label, owner)
    except NotFoundError as exc:
        log.warning("%s", exc.message)
        return None
    if pdf is not None:
        store.put_blob(label_key(owner, "pdf"), pdf, PDF)
    return pdf


def _draw(connector: Connector, label: Label, owner: str) -> bytes | None:
    """The connector's PDF of ``label``; None when it draws none; NotFoundError saying why
    when it cannot draw this one."""
    if not isinstance(connector, Carrier | OrderSource):
        return None
    try:
        return connector.label_pdf(label)
    except UnsupportedOperationError:
        return None
    except KervanError as exc:
        raise NotFoundError(
            f"the label of {owner} cannot be drawn as PDF ({exc.message}); print its .zpl"
        ) from exc


# -- the service ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentFile:
    """A file to hand out: its bytes, media type, and the name to save it under."""

    data: bytes
    media_type: str
    filename: str
    #: ``inline`` (show it: a PDF, a label) or ``attachment`` (save it: XML, HTML)
    disposition: str = "inline"


#: ``(tenant, shipment id) → whether a label was fetched and kept`` (Engine.marketplace_label)
LabelFetcher = Callable[[str, str], Awaitable[bool]]


class Documents:
    """Hands out documents' files, fetching or rendering what is not kept yet.

    The ``async`` methods may call connectors: run them on the engine loop (connectors hold
    HTTP clients bound to it). Every lookup is scoped to the tenant named."""

    def __init__(
        self,
        store: Store,
        connectors: ConnectorProvider,
        tenants: TenantDirectory,
        fetch_label: LabelFetcher | None = None,
    ) -> None:
        self.store, self.connectors, self.tenants = store, connectors, tenants
        self.fetch_label = fetch_label

    def invoice(self, tenant_id: str, doc_id: str) -> Invoice:
        from .engine.records import INVOICE  # lazily: the engine may import this module

        doc = self.store.tenant(tenant_id).get(INVOICE, doc_id)
        if doc is None:
            raise NotFoundError(f"document {doc_id!r} not found")
        return Invoice.model_validate(doc.body)

    def xml(self, tenant_id: str, doc_id: str) -> DocumentFile:
        """The document's UBL-TR XML, as issued."""
        invoice = self.invoice(tenant_id, doc_id)
        kept = self.store.tenant(tenant_id).get_blob(xml_key(invoice.uuid))
        if kept is None:
            raise NotFoundError(f"document {doc_id!r} has no XML yet (status {invoice.status})")
        return DocumentFile(kept[0], XML, f"{invoice.number}.xml", "attachment")

    async def pdf(self, tenant_id: str, doc_id: str) -> DocumentFile:
        """The integrator's PDF when it has one, else a local rendering."""
        invoice = self.invoice(tenant_id, doc_id)
        ts = self.store.tenant(tenant_id)
        kept = ts.get_blob(pdf_key(invoice.uuid))
        if kept is not None:
            return _pdf(invoice, kept[0])
        issuer = self._issuer(tenant_id, "render the PDF with")
        if invoice.status in SUBMITTED:
            fetched = await _ask(issuer.fetch_pdf(invoice.kind, invoice.uuid), invoice, "PDF")
            if fetched:
                ts.put_blob(pdf_key(invoice.uuid), fetched, PDF)
                return _pdf(invoice, fetched)
        # rendering takes a while: off the loop, as the engine builds its XML
        return _pdf(invoice, await asyncio.to_thread(issuer.render_pdf, invoice))

    async def html(self, tenant_id: str, doc_id: str) -> DocumentFile:
        """The integrator's HTML rendering (it has one only once the document is submitted)."""
        invoice = self.invoice(tenant_id, doc_id)
        ts = self.store.tenant(tenant_id)
        kept = ts.get_blob(html_key(invoice.uuid))
        if kept is not None:
            return _html(invoice, kept[0])
        if invoice.status not in SUBMITTED:
            raise NotFoundError(
                f"document {doc_id!r} has no HTML until it is submitted (status {invoice.status})"
            )
        issuer = self._issuer(tenant_id, "fetch the HTML from")
        try:
            text = await issuer.fetch_html(invoice.kind, invoice.uuid)
        except UnsupportedOperationError:
            raise NotFoundError(f"the issuer {issuer.key} offers no HTML rendering") from None
        data = text.encode("utf-8")
        ts.put_blob(html_key(invoice.uuid), data, HTML)
        return _html(invoice, data)

    async def label(self, tenant_id: str, shipment_id: str, fmt: str) -> DocumentFile:
        """The shipment's label in ``fmt``. A marketplace-booked parcel's is fetched from the
        marketplace the first time it is asked for (in any format); a PDF Kervan draws is
        drawn the first time it is asked for, and kept."""
        from .engine.records import SHIPMENT  # lazily: the engine may import this module

        _check_format(fmt)
        ts = self.store.tenant(tenant_id)
        doc = ts.get(SHIPMENT, shipment_id)
        if doc is None:
            raise NotFoundError(f"shipment {shipment_id!r} not found")
        owner = doc.body["order_id"]
        if self.fetch_label and not has_label(ts, owner):
            await self.fetch_label(tenant_id, shipment_id)
        data = await self._label_file(tenant_id, owner, doc.body.get("connection_id"), fmt)
        if data is None:
            raise NotFoundError(f"no {fmt} label for shipment {shipment_id!r}")
        name = f"label-{shipment_id.replace(':', '-')}.{fmt}"
        return DocumentFile(data, LABEL_MEDIA_TYPES[fmt], name)

    async def part_label(
        self, tenant_id: str, part: str, connection_id: str | None, fmt: str, what: str
    ) -> bytes:
        """A part shipment's (exchange, missing part) label in ``fmt``, its PDF drawn by its
        carrier connection the first time it is asked for, and kept; ``what`` names the part
        shipment in the 404."""
        _check_format(fmt)
        data = await self._label_file(tenant_id, part, connection_id, fmt)
        if data is None:
            raise NotFoundError(f"{what} has no {fmt} label (not booked yet)")
        return data

    async def _label_file(
        self, tenant_id: str, owner: str, connection_id: str | None, fmt: str
    ) -> bytes | None:
        ts = self.store.tenant(tenant_id)
        kept = ts.get_blob(label_key(owner, fmt))
        if kept is not None:
            return kept[0]
        label = kept_label(ts, owner) if fmt == "pdf" else None
        connector = self._connector(tenant_id, connection_id) if label else None
        if label is None or connector is None:
            return None
        # drawing takes a while (reportlab): off the loop, as invoice PDFs are
        pdf = await asyncio.to_thread(_draw, connector, label, owner)
        if pdf is not None:
            ts.put_blob(label_key(owner, "pdf"), pdf, PDF)
        return pdf

    def _connector(self, tenant_id: str, connection_id: str | None) -> Connector | None:
        if not connection_id:
            return None
        try:
            return self.connectors.get(tenant_id, connection_id)
        except KervanError as exc:  # the connection is gone or disabled: no PDF to draw
            log.warning("no label PDF through connection %s: %s", connection_id, exc.message)
            return None

    def _issuer(self, tenant_id: str, purpose: str) -> DocumentIssuer:
        conn_id = self.tenants.get(tenant_id).settings.default_issuer_connection
        if not conn_id:
            raise NotFoundError(f"no issuer connection to {purpose}")
        issuer = self.connectors.get(tenant_id, conn_id)
        if not isinstance(issuer, DocumentIssuer):
            raise NotFoundError(f"connection {conn_id} is not a document issuer")
        return issuer


def _check_format(fmt: str) -> None:
    if fmt not in LABEL_FORMATS:
        raise NotFoundError(f"labels come as {' or '.join('.' + f for f in LABEL_FORMATS)}")


async def _ask(pending: Awaitable[bytes], invoice: Invoice, what: str) -> bytes | None:
    """The integrator's file, or None when it offers none or cannot give it now (the caller
    renders locally instead: printing must not wait for an integrator)."""
    try:
        return await pending
    except UnsupportedOperationError:
        return None
    except RemoteError as exc:
        log.warning("%s of %s not fetched from the integrator: %s", what, invoice.number, exc)
        return None


def _pdf(invoice: Invoice, data: bytes) -> DocumentFile:
    return DocumentFile(data, PDF, f"{invoice.number}.pdf")


def _html(invoice: Invoice, data: bytes) -> DocumentFile:
    return DocumentFile(data, HTML, f"{invoice.number}.html", "attachment")
