"""Namespaces, element helpers and value formatting shared by the builders and the parser."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import TypeAlias

from lxml import etree

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "desp": "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
}
CAC = "{" + NS["cac"] + "}"
CBC = "{" + NS["cbc"] + "}"
EXT = "{" + NS["ext"] + "}"
#: the element the integrator replaces with its XAdES ``ds:Signature`` when it signs
PLACEHOLDER_NS = "urn:kervan:ubltr:unsigned"
PLACEHOLDER = "{" + PLACEHOLDER_NS + "}SignaturePlaceholder"

UBL_VERSION = "2.1"
CUSTOMIZATION = "TR1.2"
#: Turkey has kept UTC+3 all year since 2016; GİB dates and times are Turkish local time
TURKEY = timezone(timedelta(hours=3), "TRT")

Element: TypeAlias = etree._Element


def new_root(tag: str, nsmap: dict[str | None, str]) -> Element:
    return etree.Element(tag, nsmap=nsmap)


_SubElement = etree.SubElement


def sub(parent: Element, tag: str, text: str | None = None, **attrs: str) -> Element:
    """Append ``tag`` (a Clark name) to ``parent`` with optional text and attributes."""
    el = _SubElement(parent, tag, attrs) if attrs else _SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


# cbc/cac/amount call lxml directly: they run ~100 times per invoice (the build hot path)


def cbc(parent: Element, name: str, text: str | None = None, **attrs: str) -> Element:
    el = _SubElement(parent, CBC + name, attrs) if attrs else _SubElement(parent, CBC + name)
    if text is not None:
        el.text = text
    return el


def cac(parent: Element, name: str) -> Element:
    return _SubElement(parent, CAC + name)


def amount(parent: Element, name: str, value: Decimal, currency: str) -> Element:
    """A monetary ``cbc`` element: two decimals and ``currencyID``."""
    el = _SubElement(parent, CBC + name, {"currencyID": currency})
    el.text = f"{value:.2f}"
    return el


def number(value: Decimal) -> str:
    """A plain decimal without exponent (``1E+1`` would fail GİB's patterns)."""
    text = format(value, "f")
    return text


def local(dt: datetime) -> datetime:
    """``dt`` in Turkish local time (a naive datetime is taken as Turkish local already)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=TURKEY)
    return dt.astimezone(TURKEY)


def date_text(d: date) -> str:
    return d.isoformat()


def time_text(dt: datetime) -> str:
    return local(dt).strftime("%H:%M:%S")


def combine(d: str, t: str | None) -> datetime:
    """Inverse of :func:`date_text` + :func:`time_text` (result in Turkish local time)."""
    day = date.fromisoformat(d.strip())
    clock = time.fromisoformat(t.strip()[:8]) if t else time(0, 0)
    return datetime.combine(day, clock, tzinfo=TURKEY).astimezone(UTC)


def text_of(el: Element | None, path: str) -> str | None:
    """Stripped text at ``path`` below ``el`` (Clark-name path), ``None`` when absent/empty."""
    if el is None:
        return None
    found = el.find(path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def path(*parts: str) -> str:
    """``path("cac:Party", "cbc:ID")`` → a Clark-name path for ``find``."""
    out = []
    for part in parts:
        prefix, _, name = part.partition(":")
        out.append("{" + NS[prefix] + "}" + name)
    return "/".join(out)


def extensions_placeholder(root: Element) -> None:
    """``ext:UBLExtensions`` with a placeholder the integrator swaps for its signature.

    GİB's XSD requires ``UBLExtensions`` and one element from a foreign namespace inside
    ``ExtensionContent``; an empty one fails. The placeholder validates (lax content) and
    names what is missing; integrators that sign server-side replace the whole block.
    """
    ext = sub(root, EXT + "UBLExtensions")
    content = sub(sub(ext, EXT + "UBLExtension"), EXT + "ExtensionContent")
    sub(content, PLACEHOLDER)


def serialize(root: Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
