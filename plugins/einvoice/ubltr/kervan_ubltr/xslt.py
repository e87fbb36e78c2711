"""The invoice's own view: Kervan's XSLT, embedded in the XML the way GİB's guide describes.

UBL-TR lets a document carry the stylesheet that shows it, as a ``cac:AdditionalDocumentReference``
whose ``cbc:DocumentType`` is ``XSLT`` and whose ``cac:Attachment`` holds the stylesheet base64
in ``cbc:EmbeddedDocumentBinaryObject`` (``mimeCode="application/xml"``, ``encodingCode="Base64"``,
``characterSetCode="UTF-8"``, ``filename="<number>.xslt"``). GİB's portal and the integrators'
viewers use it when present and fall back to their own layout otherwise, which is why the
same invoice looked different in every viewer before. The stylesheet is generated from the
printed copy's tables (:mod:`kervan_ubltr.render.stylesheet`) and read here as bytes, so the
builder never imports the PDF stack.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from kervan.xml import parse_untrusted
from lxml import etree

from .xmlutil import CAC, CBC, Element, cac, cbc

STYLESHEET = Path(__file__).parent / "assets" / "invoice.xslt"
#: our own cap on the stylesheet (bytes, before base64). Nilvera documents no XSLT or XML size
#: limit that we could find; GİB-side viewers handle stylesheets of a few hundred KB. Keeping
#: ours small keeps every stored and sent invoice small (base64 adds a third).
STYLESHEET_BUDGET = 64 * 1024
XSLT = "XSLT"


@functools.cache
def stylesheet() -> bytes:
    """The stylesheet's bytes (UTF-8), read once."""
    data = STYLESHEET.read_bytes()
    if len(data) > STYLESHEET_BUDGET:  # a packaging error, not bad input
        raise RuntimeError(f"{STYLESHEET.name} is {len(data)} bytes, over {STYLESHEET_BUDGET}")
    return data


@functools.cache
def _encoded() -> str:
    return base64.b64encode(stylesheet()).decode("ascii")


def embed(root: Element, number: str, issue_date: str) -> None:
    """Append the stylesheet's ``cac:AdditionalDocumentReference`` to ``root``."""
    ref = cac(root, "AdditionalDocumentReference")
    cbc(ref, "ID", number)
    cbc(ref, "IssueDate", issue_date)
    cbc(ref, "DocumentType", XSLT)
    cbc(
        cac(ref, "Attachment"),
        "EmbeddedDocumentBinaryObject",
        _encoded(),
        characterSetCode="UTF-8",
        encodingCode="Base64",
        filename=f"{number}.xslt",
        mimeCode="application/xml",
    )


#: what :func:`elide_own_stylesheet` leaves in place of the stylesheet: valid base64 (of
#: ``<elided/>``), so the XSD's ``xs:base64Binary`` still has something to check
ELIDED = base64.b64encode(b"<elided/>").decode("ascii")


def elide_own_stylesheet(root: Element) -> bool:
    """Replace the text of ``root``'s embedded stylesheet with :data:`ELIDED` when it is
    exactly Kervan's own (:func:`embed`'s base64, byte for byte); ``True`` if it did.

    For the checks of XML built here: GİB's schematron has no rule that reads an
    attachment's content, and the XSD only checks it is base64, which Kervan's own
    stylesheet, encoded here, always is. Saxon parsing its ~31 KB of text cost ~0.5-1 ms of a
    ~3.3 ms check. Any other content (changed by one character, or another stylesheet) stays
    for the checks to judge."""
    for ref in root.iterchildren(CAC + "AdditionalDocumentReference"):
        if (ref.findtext(CBC + "DocumentType") or "").strip() != XSLT:
            continue
        blob = ref.find(f"{CAC}Attachment/{CBC}EmbeddedDocumentBinaryObject")
        if blob is not None and blob.text == _encoded():
            blob.text = ELIDED
            return True
    return False


def embedded_stylesheet(xml: bytes) -> bytes | None:
    """The stylesheet a UBL-TR document carries, decoded; ``None`` if it carries none."""
    root = parse_untrusted(xml, source="the UBL document")
    for ref in root.iterfind(CAC + "AdditionalDocumentReference"):
        if (ref.findtext(CBC + "DocumentType") or "").strip() != XSLT:
            continue
        blob = ref.find(f"{CAC}Attachment/{CBC}EmbeddedDocumentBinaryObject")
        if blob is not None and blob.text:
            return base64.b64decode(blob.text)
    return None


def view_html(xml: bytes) -> str:
    """The HTML page the document's own stylesheet makes of it, as another viewer shows it.

    Raises ``ValueError`` if the document carries no stylesheet. Only for documents Kervan
    built or checked: the stylesheet is run with lxml's default access control off for
    files and network (``XSLTAccessControl.DENY_ALL``)."""
    sheet = embedded_stylesheet(xml)
    if sheet is None:
        raise ValueError("the document carries no XSLT (AdditionalDocumentReference/XSLT)")
    access = etree.XSLTAccessControl.DENY_ALL
    transform = etree.XSLT(
        parse_untrusted(sheet, source="the embedded XSLT"), access_control=access
    )
    return str(transform(parse_untrusted(xml, source="the UBL document")))
