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
- **Label**: what the booking kept (ZPL and/or PDF); a parcel the marketplace booked has its
  label fetched from the marketplace on first print (``fetch_label``, the engine's).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .domain import DocumentStatus, Invoice
from .errors import NotFoundError, RemoteError, UnsupportedOperationError
from .roles import DocumentIssuer
from .store.port import Store, TenantStore

if TYPE_CHECKING:
    from .engine.context import ConnectorProvider, TenantDirectory

log = logging.getLogger("kervan.documents")

LABEL_FORMATS = ("zpl", "pdf")
PDF = "application/pdf"
XML = "application/xml"
HTML = "text/html; charset=utf-8"
ZPL = "text/plain"
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
    """An order's shipping label in ``fmt`` (``zpl`` or ``pdf``)."""
    return f"label:{order_id}:{fmt}"


def has_label(store: TenantStore, order_id: str) -> bool:
    """Whether an order has a label kept, in any format."""
    return any(store.get_blob(label_key(order_id, fmt)) for fmt in LABEL_FORMATS)


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
        """The shipment's label in ``fmt``; a marketplace-booked parcel's is fetched from the
        marketplace the first time it is asked for."""
        from .engine.records import SHIPMENT  # lazily: the engine may import this module

        if fmt not in LABEL_FORMATS:
            raise NotFoundError(f"labels come as {' or '.join('.' + f for f in LABEL_FORMATS)}")
        ts = self.store.tenant(tenant_id)
        doc = ts.get(SHIPMENT, shipment_id)
        if doc is None:
            raise NotFoundError(f"shipment {shipment_id!r} not found")
        key = label_key(doc.body["order_id"], fmt)
        kept = ts.get_blob(key)
        if kept is None and self.fetch_label and await self.fetch_label(tenant_id, shipment_id):
            kept = ts.get_blob(key)
        if kept is None:
            raise NotFoundError(f"no {fmt} label for shipment {shipment_id!r}")
        name = f"label-{shipment_id.replace(':', '-')}.{fmt}"
        return DocumentFile(kept[0], LABEL_MEDIA_TYPES[fmt], name)

    def _issuer(self, tenant_id: str, purpose: str) -> DocumentIssuer:
        conn_id = self.tenants.get(tenant_id).settings.default_issuer_connection
        if not conn_id:
            raise NotFoundError(f"no issuer connection to {purpose}")
        issuer = self.connectors.get(tenant_id, conn_id)
        if not isinstance(issuer, DocumentIssuer):
            raise NotFoundError(f"connection {conn_id} is not a document issuer")
        return issuer


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
