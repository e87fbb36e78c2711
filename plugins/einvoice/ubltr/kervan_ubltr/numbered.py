"""The check of a numbered invoice whose content GİB's rules already passed as a draft.

The engine validates an invoice in full (GİB's XSD and schematron, our arithmetic) when it
builds the draft under a provisional number, and records the content's digest
(:attr:`kervan.domain.Invoice.checked_digest`). Numbering then changes only the number, the
issue time and the internet sale's send date, which the digest leaves out. When the numbered
invoice's XML is built, the schematron would judge the same content again; what it can judge
differently is only what numbering wrote. So an invoice whose digest still matches gets:

- GİB's XSD on the XML that leaves (lxml, the XSD shipped with ``efatura-kontrol``), Kervan's
  own embedded stylesheet elided (:func:`kervan_ubltr.xslt.elide_own_stylesheet`);
- the rules of GİB's schematron that read what numbering wrote, checked exactly:
  ``InvoiceIDCheck-1`` (``cbc:ID`` matches ``^[A-Z0-9]{3}20[0-9]{2}[0-9]{9}$``), and on
  every ``cbc:IssueDate`` ``TarihBicimi-1`` (a valid ``YYYY-MM-DD``), ``TimeCheck-1`` (not
  after today, by GİB's clock: Europe/Istanbul) and ``TimeCheck-2`` (not before
  2005-01-01); the schematron has no rule on an invoice's ``ActualDespatchDate`` (its
  despatch-date rules are on ``DespatchAdvice``), so the XSD's ``xs:date`` is its check;
- our own: the number's year is the ``IssueDate``'s year (GİB's numbering: three letters,
  the year, nine digits), and the line count.

These are read from the schematron ``efatura-kontrol`` ships (``ekler/sematron/
efatura.sch``, GİB's e-Fatura package 29, schematron of 2026-07-01, from
https://ebelge.gib.gov.tr/efaturamevzuat.html). Anything that fails here is not an error by
itself: :func:`kervan_ubltr.build_valid` then runs the full validation, which decides.
The findings are named as ``efatura-kontrol`` names the schematron's (``sch-TimeCheck-1``).
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lxml import etree

from .validation import GIB_TIMEZONE, Issue, ValidationReport, _line_count_issues, _read
from .xmlutil import CBC
from .xslt import elide_own_stylesheet

#: GİB's InvoiceIDCheck-1
NUMBER = re.compile(r"^[A-Z0-9]{3}20[0-9]{2}[0-9]{9}$")
#: GİB's TimeCheck-2: no IssueDate before this day
FIRST_DAY = date(2005, 1, 1)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ISTANBUL = ZoneInfo(GIB_TIMEZONE)
_xsd_lock = threading.Lock()  # a schema's error_log is per object: one validation at a time


def invoice_schema() -> etree.XMLSchema:
    """GİB's invoice XSD, loaded once per process (~0.14 s of CPU; cached by efatura-kontrol,
    e-Arşiv uses the same XSD)."""
    from efatura_kontrol import xsd

    return xsd.sema("fatura")


def xsd_issues(root: etree._Element) -> list[Issue]:
    """GİB's invoice XSD on ``root``."""
    schema = invoice_schema()
    with _xsd_lock:
        if schema.validate(root):
            return []
        log = list(schema.error_log)
    return [Issue(_xsd_rule(e), e.path or None, e.message, "xsd") for e in log]


def _xsd_rule(entry: etree._LogEntry) -> str:
    """The rule name ``efatura-kontrol`` gives an XSD error (``xsd-elem-content`` ...)."""
    return "xsd-" + entry.type_name.lower().removeprefix("schemav_").replace("_", "-")


def _day(text: str | None) -> date | None:
    text = (text or "").strip()
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def numbering_issues(root: etree._Element, today: date) -> list[Issue]:
    """The checks on what numbering filled in (module doc); ``today`` is Istanbul's date."""
    issues = []
    number = (root.findtext(CBC + "ID") or "").strip()
    if not NUMBER.match(number):
        issues.append(Issue("sch-InvoiceIDCheck-1", "cbc:ID", f"{number!r} is not a GİB number"))
    for element in root.iter(CBC + "IssueDate"):
        day = _day(element.text)
        if day is None:
            issues.append(Issue("sch-TarihBicimi-1", "cbc:IssueDate", f"{element.text!r}"))
        elif day > today:
            issues.append(Issue("sch-TimeCheck-1", "cbc:IssueDate", f"{day} is after {today}"))
        elif day < FIRST_DAY:
            issues.append(Issue("sch-TimeCheck-2", "cbc:IssueDate", f"{day} is before {FIRST_DAY}"))
    issued = _day(root.findtext(CBC + "IssueDate"))
    if NUMBER.match(number) and issued is not None and number[3:7] != str(issued.year):
        message = f"the number's year {number[3:7]} is not the IssueDate's {issued.year}"
        issues.append(Issue("kervan-number-year", "cbc:ID", message, "arithmetic"))
    return issues


def check_numbered(xml: bytes, *, now: datetime | None = None) -> ValidationReport:
    """The checks above on the XML of an invoice whose content passed GİB's rules as a
    draft. ``now`` is for tests; GİB's own check reads the clock as this does."""
    root = _read(xml)
    if isinstance(root, ValidationReport):
        return root
    elide_own_stylesheet(root)  # XML built here: see the function
    today = (now or datetime.now(_ISTANBUL)).astimezone(_ISTANBUL).date()
    issues = [*xsd_issues(root), *numbering_issues(root, today), *_line_count_issues(root)]
    return ValidationReport(errors=issues)
