"""The gate before anything leaves: GİB's XSD and schematron, plus our own arithmetic.

GİB's rules run offline through ``efatura-kontrol`` (its XSDs, code lists and the schematron
compiled for Saxon). Its arithmetic findings are only warnings and it lets a wrong
``LineCountNumeric`` pass, so our own checks (:func:`kervan.invoicing.check_arithmetic` on
the parsed document, and the line count on the XML) run too and their findings are errors.

Saxon costs ~0.6 s to warm up: one process-wide :class:`Validator` is created lazily and
reused; a lock serialises Saxon calls because its processor is not safe across threads.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from kervan.domain import DespatchAdvice, Invoice
from kervan.errors import InvalidInputError
from kervan.invoicing import check_arithmetic
from lxml import etree

from .xmlutil import CAC, CBC, NS, text_of

ARITHMETIC = "kervan-arithmetic"
LINE_COUNT = "kervan-line-count"


@dataclass(frozen=True)
class Issue:
    """One finding: the rule that fired, the element it points at, and the message."""

    rule: str
    element: str | None
    message: str
    source: str = "schematron"  # xml | xsd | schematron | arithmetic

    def as_dict(self) -> dict[str, str | None]:
        return {"rule": self.rule, "element": self.element, "message": self.message}


@dataclass
class ValidationReport:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.ok:
            return "valid"
        first = self.errors[0]
        more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return f"{first.rule} at {first.element or '?'}: {first.message}{more}"


class DocumentInvalid(InvalidInputError):
    """A document failed validation; ``issues`` name each rule and element."""

    code = "document_invalid"

    def __init__(self, report: ValidationReport, number: str | None = None) -> None:
        label = f"document {number}" if number else "document"
        super().__init__(
            f"{label} is not valid: {report.summary()}",
            errors=[i.as_dict() for i in report.errors],
        )
        self.report = report
        self.issues = report.errors


_PREFIXES = {uri: prefix for prefix, uri in NS.items() if prefix in ("cac", "cbc", "ext")}
_STEP = re.compile(r"Q\{([^}]*)\}([A-Za-z0-9_]+)")
_FIRST_ELEMENT = re.compile(r"(?:cac|cbc):[A-Za-z]+(?:/(?:cac|cbc):[A-Za-z]+)*")


def _element_of(location: str | None, test: str | None) -> str | None:
    """A readable element path for a finding: SVRL's ``/Q{ns}Invoice[1]/Q{cbc}ID[1]`` becomes
    ``/Invoice[1]/cbc:ID[1]``; a rule placed on the root names the first element its test
    reads (``InvoiceIDCheck-1`` → ``/Invoice[1]/cbc:ID``)."""
    if not location:
        return None

    def step(m: re.Match[str]) -> str:
        prefix = _PREFIXES.get(m.group(1))
        return f"{prefix}:{m.group(2)}" if prefix else m.group(2)

    pretty = _STEP.sub(step, location)
    if pretty.count("/") == 1 and test:
        found = _FIRST_ELEMENT.search(test)
        if found:
            pretty = f"{pretty}/{found.group(0)}"
    return pretty


def _line_count_issues(root: etree._Element) -> list[Issue]:
    tag = "InvoiceLine" if root.find(CAC + "InvoiceLine") is not None else "DespatchLine"
    lines = sum(1 for _ in root.iterchildren(CAC + tag))
    declared = text_of(root, CBC + "LineCountNumeric")
    if declared is not None and declared.isdigit() and int(declared) == lines:
        return []
    if declared is None and tag == "DespatchLine":
        return []  # optional on a despatch advice
    return [
        Issue(
            LINE_COUNT,
            "cbc:LineCountNumeric",
            f"LineCountNumeric is {declared}, the document has {lines} {tag} elements",
            "arithmetic",
        )
    ]


def _arithmetic_issues(xml: bytes) -> list[Issue]:
    from .parse import parse  # local import: parse imports the builders

    try:
        root = etree.fromstring(xml)
        issues = _line_count_issues(root)
        document = parse(xml)
    except (etree.XMLSyntaxError, InvalidInputError, ValueError) as exc:
        return [Issue("kervan-parse", None, f"cannot read the document back: {exc}", "xml")]
    if isinstance(document, Invoice):
        for message in check_arithmetic(document):
            element, _, detail = message.partition(": ")
            issues.append(Issue(ARITHMETIC, element, detail or message, "arithmetic"))
    return issues


class Validator:
    """XSD + GİB schematron (efatura-kontrol) + our arithmetic. Create once, reuse."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = False

    def warm_up(self) -> None:
        """Compile the schematron and load the XSDs now (otherwise on first use)."""
        from efatura_kontrol import kontrol

        with self._lock:
            if not self._ready:
                kontrol.hazirla()
                self._ready = True

    def _gib(self, xml: bytes) -> ValidationReport:
        from efatura_kontrol.kontrol import kontrol_et

        self.warm_up()
        with self._lock:
            result = kontrol_et(xml)
        report = ValidationReport()
        for finding in result.bulgular:
            element = _element_of(finding.konum, finding.kural)
            issue = Issue(finding.kod, element, finding.mesaj, finding.kaynak)
            if finding.seviye == "hata":
                report.errors.append(issue)
            elif finding.seviye == "uyari":
                report.warnings.append(issue)
        return report

    def validate(self, xml: bytes, *, arithmetic: bool = True) -> ValidationReport:
        """GİB's rules, then (unless ``arithmetic=False``) our stricter arithmetic on the
        document read back; an integrator checks GİB's rules only."""
        report = self._gib(xml)
        if arithmetic:
            report.errors.extend(_arithmetic_issues(xml))
        return report


_default: Validator | None = None
_default_lock = threading.Lock()


def default_validator() -> Validator:
    """The process-wide validator (created on first call)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Validator()
        return _default


def validate(xml: bytes, *, arithmetic: bool = True) -> ValidationReport:
    """Check ``xml`` against GİB's XSD and schematron and (by default) our arithmetic."""
    return default_validator().validate(xml, arithmetic=arithmetic)


def check_domain(document: Invoice | DespatchAdvice) -> ValidationReport:
    """Cheap checks on the domain object, before any XML is built."""
    report = ValidationReport()
    if isinstance(document, Invoice):
        for message in check_arithmetic(document):
            element, _, detail = message.partition(": ")
            report.errors.append(Issue(ARITHMETIC, element, detail or message, "arithmetic"))
    return report
