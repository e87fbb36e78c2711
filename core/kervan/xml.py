"""Reading XML that someone else wrote: one hardened lxml parser for every XML input.

Every XML document Kervan reads (an uploaded invoice, a carrier's SOAP answer, a request to a
sandbox) comes from outside and goes through :func:`parse_untrusted`:

- **no DTD at all.** UBL-TR documents never carry one and SOAP forbids it ("A SOAP message
  MUST NOT contain a Document Type Declaration", SOAP 1.1 §3). A document with a
  ``<!DOCTYPE`` is refused, so entity tricks (XXE, external parameter entities, billion
  laughs) have nothing to stand on;
- **no entity resolution, no network, no external loads:** the parser substitutes no entity,
  loads no external DTD or entity, and a resolver refuses anything libxml2 would fetch
  (``file:`` included), so even a parser bug cannot read a file or call out;
- **bounded:** the input is refused past ``max_bytes`` before parsing, and libxml2's own
  limits stay on (``huge_tree`` off: nesting depth, text node and name sizes).

Callers get the parsed root and, when the document must go on to something else (an XSD,
Saxon's schematron), :func:`reserialise` of that tree: the next tool never sees the raw
bytes, so it cannot be tricked by what the first parse refused.
"""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

from .errors import InvalidInputError

#: the default size limit: far above a real document (a 1,000-line e-Fatura is ~2 MB) and far
#: below what would hurt a worker
DEFAULT_MAX_XML_BYTES = 10 * 1024 * 1024

__all__ = [
    "DEFAULT_MAX_XML_BYTES",
    "UntrustedXmlError",
    "parse_untrusted",
    "reserialise",
]


class UntrustedXmlError(InvalidInputError):
    """XML that :func:`parse_untrusted` refused: malformed, too large, or carrying a DTD.

    ``reason`` is one of ``malformed``, ``too_large``, ``dtd``, ``external``, ``empty``;
    ``line`` is where libxml2 stopped, when it says. The message names the source and the
    reason, never the document's content beyond libxml2's short diagnosis.
    """

    code = "xml_rejected"

    def __init__(self, message: str, *, reason: str, line: int | None = None) -> None:
        super().__init__(message, errors=[{"reason": reason, "line": line}])
        self.reason = reason
        self.line = line


class _Refuse(etree.Resolver):
    """Every external load (DTD, entity, XInclude...) libxml2 asks for: answered empty and
    remembered, so the parse fails as hostile instead of quietly reading a file."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        self.asked.append(str(system_url or public_id or "?"))
        return self.resolve_string("", context)


_local = threading.local()


def _parser() -> tuple[etree.XMLParser, _Refuse]:
    """This thread's parser (lxml advises one parser per thread rather than a shared one)."""
    found = getattr(_local, "parser", None)
    if found is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            attribute_defaults=False,
            huge_tree=False,
            remove_comments=False,
            collect_ids=False,
        )
        refuse = _Refuse()
        parser.resolvers.add(refuse)
        found = _local.parser = (parser, refuse)
    return found


def parse_untrusted(
    data: bytes | str, *, max_bytes: int = DEFAULT_MAX_XML_BYTES, source: str = "the document"
) -> etree._Element:
    """Parse XML from outside with the hardened parser; return the root element.

    ``source`` names where it came from in error messages ("yurtici's answer", "the
    uploaded invoice"). A ``str`` is read as UTF-8 whatever its declaration says.

    Raises :class:`UntrustedXmlError` (an :class:`~kervan.errors.InvalidInputError`) for an
    empty, oversized, malformed document, or one with a DTD; a caller that reads a remote's
    answer turns it into :class:`~kervan.errors.InvalidResponseError`.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise UntrustedXmlError(
            f"{source} is {len(raw):,} bytes, over the {max_bytes:,}-byte limit for XML",
            reason="too_large",
        )
    if not raw.strip():
        raise UntrustedXmlError(f"{source} is empty", reason="empty")
    parser, refuse = _parser()
    refuse.asked.clear()
    try:
        if isinstance(data, str):
            root = etree.fromstring(_without_declaration(raw), parser)
        else:
            root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise _refused(source, refuse, exc.msg, exc.lineno) from None
    except ValueError as exc:  # lxml refuses some inputs before libxml2 sees them
        raise UntrustedXmlError(
            f"{source} is not XML lxml can read: {exc}", reason="malformed"
        ) from None
    if refuse.asked:
        raise _refused(source, refuse, "", None)
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UntrustedXmlError(
            f"{source} has a document type declaration (<!DOCTYPE>); Kervan reads no DTD in "
            "XML from outside (entity and external-load attacks need one)",
            reason="dtd",
        )
    return root


def _without_declaration(raw: bytes) -> bytes:
    """A ``str`` is already decoded: drop an ``encoding=`` in its declaration, which would
    otherwise make libxml2 decode the UTF-8 bytes a second time, wrongly."""
    if raw.lstrip().startswith(b"<?xml"):
        end = raw.find(b"?>")
        if end != -1:
            return raw[end + 2 :]
    return raw


def _refused(source: str, refuse: _Refuse, msg: str, line: int | None) -> UntrustedXmlError:
    if refuse.asked:
        return UntrustedXmlError(
            f"{source} asks to load an external resource; Kervan loads none from XML",
            reason="external",
            line=line,
        )
    return UntrustedXmlError(
        f"{source} is not well-formed XML: {msg}", reason="malformed", line=line
    )


def reserialise(root: etree._Element) -> bytes:
    """``root``'s document as UTF-8 bytes with an XML declaration and no DTD: what goes on to
    an XSD, Saxon or storage after :func:`parse_untrusted` read it."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
