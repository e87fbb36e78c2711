"""The gate before anything leaves: GİB's XSD and schematron, plus our own arithmetic.

GİB's rules run offline through ``efatura-kontrol`` (its XSDs, code lists and the schematron
compiled for Saxon). Its arithmetic findings are only warnings and it lets a wrong
``LineCountNumeric`` pass, so our own checks (:func:`kervan.invoicing.check_arithmetic` on
the parsed document, and the line count on the XML) run too and their findings are errors.
XML we build ourselves (:func:`kervan_ubltr.build_valid`) skips the read-back: its document's
arithmetic was checked before it was built (:func:`check_domain`), so only the line count
runs on the XML (``validate(xml, arithmetic=False, line_count=True)``), and
``efatura-kontrol``'s own arithmetic, whose findings are warnings, is left out too
(:meth:`Validator.validate_built`).

Saxon costs ~0.6 s to warm up: one process-wide :class:`Validator` is created lazily and
reused; a lock serialises Saxon calls because its processor is not safe across threads.

GİB's schematron costs ~3 ms of CPU per invoice, which a busy engine would otherwise spend on
its one Python thread. On a machine with more than one core the validator therefore runs the
checks in a pool of worker processes (``KERVAN_VALIDATION_PROCESSES``, default 1 there, 0 on
one core): the caller's thread waits without holding the GIL, so the engine's other orders
go on meanwhile (call :func:`validate` from a worker thread to get that). A pool that broke (a
worker killed) is replaced once; after that the check runs here, never skipped.

The document may come from anyone (an uploaded invoice, a sandbox's ``Send/Xml``): it is read
once by :func:`kervan.xml.parse_untrusted` (no DTD, no entities, no external loads, a size
limit), and only that tree's re-serialisation goes on to the XSD and Saxon, which would
otherwise resolve external entities themselves. Malformed or hostile XML gives a report with
an ``xml-…`` error; :func:`validate` never raises for what is in the document.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from kervan.domain import DespatchAdvice, Invoice
from kervan.errors import InvalidInputError
from kervan.invoicing import check_arithmetic
from kervan.xml import UntrustedXmlError, parse_untrusted, reserialise
from lxml import etree

from .xmlutil import CAC, CBC, NS, text_of
from .xslt import elide_own_stylesheet

log = logging.getLogger("kervan.ubltr.validation")

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


def _read(xml: bytes) -> etree._Element | ValidationReport:
    """The document's tree from the hardened parser, or a report saying why there is none."""
    try:
        return parse_untrusted(xml, source="the document")
    except UntrustedXmlError as exc:
        issue = Issue(f"xml-{exc.reason.replace('_', '-')}", None, exc.message, "xml")
        return ValidationReport(errors=[issue])


def _arithmetic_issues(root: etree._Element, xml: bytes) -> list[Issue]:
    from .parse import parse  # local import: parse imports the builders

    try:
        issues = _line_count_issues(root)
        document = parse(xml)
    except (InvalidInputError, ValueError) as exc:
        return [Issue("kervan-parse", None, f"cannot read the document back: {exc}", "xml")]
    if isinstance(document, Invoice):
        for message in check_arithmetic(document):
            element, _, detail = message.partition(": ")
            issues.append(Issue(ARITHMETIC, element, detail or message, "arithmetic"))
    return issues


def _check_failed(exc: Exception) -> ValidationReport:
    log.error("GİB's checks failed on a document", exc_info=exc)
    message = f"GİB's checks could not run on this document ({type(exc).__name__})"
    return ValidationReport(errors=[Issue("gib-check-failed", None, message, "xml")])


def _report_of(findings: list) -> ValidationReport:  # efatura_kontrol.bulgu.Bulgu
    """``efatura-kontrol``'s findings as a report: its errors and warnings (its notes left)."""
    report = ValidationReport()
    for finding in findings:
        element = _element_of(finding.konum, finding.kural)
        issue = Issue(finding.kod, element, finding.mesaj, finding.kaynak)
        if finding.seviye == "hata":
            report.errors.append(issue)
        elif finding.seviye == "uyari":
            report.warnings.append(issue)
    return report


def pool_size_from_env() -> int:
    """``KERVAN_VALIDATION_PROCESSES``: worker processes for validation (0: in this process)."""
    raw = os.environ.get("KERVAN_VALIDATION_PROCESSES", "").strip()
    if not raw:
        return 1 if (os.cpu_count() or 1) > 1 else 0
    if not raw.isdigit() or int(raw) > 16:
        raise ValueError(
            f"KERVAN_VALIDATION_PROCESSES must be a whole number from 0 to 16, not {raw!r}"
        )
    return int(raw)


#: GİB judges dates by Turkish time: its schematron rejects an ``IssueDate`` after
#: ``current-date()``, which must be Istanbul's date (UTC's is a day behind from 21:00 to 24:00)
GIB_TIMEZONE = "Europe/Istanbul"


@contextlib.contextmanager
def _gib_clock() -> Iterator[None]:
    """Saxon takes its implicit timezone from ``TZ`` when the first processor of the process
    starts, and keeps it; set it for that moment only (the process's own TZ is restored)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = GIB_TIMEZONE
    _tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        _tzset()


def _tzset() -> None:
    if hasattr(time, "tzset"):  # POSIX only (Kervan runs on Linux); elsewhere TZ is not read
        time.tzset()


def _child_start(parent: int) -> None:
    """A validation worker's initializer: watch the parent, Turkish time, Saxon warmed."""
    _exit_with_parent(parent)
    os.environ["TZ"] = GIB_TIMEZONE  # a validation worker does nothing else: keep it
    _tzset()
    _child._warm_here()


def _child_warm_up() -> None:
    _child._warm_here()


def saxon_timezone() -> str:
    """The implicit timezone GİB's rules run under in this process (``PT3H`` once warmed):
    what ``current-date()`` means to the schematron."""
    from efatura_kontrol import sematron

    default_validator()._warm_here()
    xpath = sematron.motor().islemci.new_xpath_processor()
    return str(xpath.evaluate_single("string(implicit-timezone())"))


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    """A worker whose parent was killed (SIGKILL leaves no time to stop the pool) would
    otherwise live on as an orphan holding Saxon's few hundred MB: watch for it and exit.
    ``parent`` comes from the parent itself: it may already be gone when this runs."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _child_validate(xml: bytes, arithmetic: bool, line_count: bool) -> ValidationReport:
    return _child.validate_here(xml, arithmetic=arithmetic, line_count=line_count)


def _child_validate_built(xml: bytes, line_count: bool) -> ValidationReport:
    return _child.validate_built(xml, line_count=line_count)


class Validator:
    """XSD + GİB schematron (efatura-kontrol) + our arithmetic. Create once, reuse.

    ``processes`` > 0 runs the checks in that many worker processes (see the module doc)."""

    def __init__(self, processes: int = 0) -> None:
        self._lock = threading.Lock()
        self._ready = False
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._pool_broke = False

    def _executor(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                # spawn: the engine's process has threads; forking one is not safe
                self._pool = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_child_start,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def close(self) -> None:
        """Stop the worker processes (a later call starts them again)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def warm_up(self) -> None:
        """Compile the schematron and load the XSDs now (otherwise on first use): in the
        worker processes when there are any, else here. The invoice XSD is loaded here in
        any case: the check of a numbered invoice whose draft passed
        (:mod:`kervan_ubltr.numbered`) runs in the caller's process."""
        from .numbered import invoice_schema

        if self.processes and not self._pool_broke:
            pool = self._executor()
            for done in [pool.submit(_child_warm_up) for _ in range(self.processes)]:
                done.result()
        else:
            self._warm_here()
        invoice_schema()

    def _warm_here(self) -> None:
        from efatura_kontrol import kontrol

        with self._lock:
            if not self._ready:
                with _gib_clock():
                    kontrol.hazirla()
                self._ready = True

    def _gib(self, xml: bytes) -> ValidationReport:
        """GİB's checks on ``xml``, which must be :func:`reserialise` output (never raw bytes
        from outside: Saxon parses it again with its own parser)."""
        from efatura_kontrol.kontrol import kontrol_et

        self._warm_here()
        try:
            with self._lock:
                result = kontrol_et(xml)
        except Exception as exc:  # a checker crash is a finding on the document, not a 500
            return _check_failed(exc)
        return _report_of(result.bulgular)

    def _gib_built(self, xml: bytes) -> ValidationReport:
        """GİB's XSD, schematron and signature checks as ``kontrol_et`` runs them, without its
        arithmetic (see :meth:`validate_built`). ``xml`` must be :func:`reserialise` output."""
        from efatura_kontrol import belge, imza, sematron, xsd
        from efatura_kontrol.bulgu import Rapor

        self._warm_here()
        try:
            with self._lock:
                document = belge.yukle(xml)
                result = Rapor(document.ad, document.tur)
                result.ekle(*xsd.dogrula(document), *sematron.dogrula(document))
                result.ekle(*imza.dogrula(document))
        except belge.BelgeHatasi as exc:  # a root it does not know, say
            return ValidationReport(errors=[Issue(exc.kod, None, exc.mesaj, "xml")])
        except Exception as exc:  # a checker crash is a finding on the document, not a 500
            return _check_failed(exc)
        result.sirala()  # kontrol_et's order: errors first, then by line
        return _report_of(result.bulgular)

    def validate_built(self, xml: bytes, *, line_count: bool = True) -> ValidationReport:
        """GİB's rules on XML this project built with lxml (:func:`kervan_ubltr.build_valid`),
        here, whatever ``processes`` says: the hardened parser, then GİB's XSD, schematron
        and signature checks on its tree's rewrite, and the line count, as
        :meth:`validate_here` runs them with ``arithmetic=False``, less
        ``efatura-kontrol``'s own arithmetic: its findings are only warnings, and the
        document the XML was built from passed :func:`check_domain`'s stricter checks, as
        errors. That saves 0.3-0.5 ms of a 3 ms check. Kervan's own embedded stylesheet is
        elided first (:func:`kervan_ubltr.xslt.elide_own_stylesheet`: no rule reads it, and
        Saxon parsing its ~31 KB cost ~0.5 ms more). XML from outside goes to
        :meth:`validate`, whose arithmetic reads it back."""
        root = _read(xml)
        if isinstance(root, ValidationReport):
            return root
        elide_own_stylesheet(root)
        report = self._gib_built(reserialise(root))
        if line_count:
            report.errors.extend(_line_count_issues(root))
        return report

    def validate(
        self,
        xml: bytes,
        *,
        arithmetic: bool = True,
        line_count: bool | None = None,
        built_here: bool = False,
    ) -> ValidationReport:
        """GİB's rules, then (unless ``arithmetic=False``) our stricter arithmetic on the
        document read back; an integrator checks GİB's rules only. ``line_count`` (by default
        as ``arithmetic``) checks ``LineCountNumeric`` against the lines alone, without the
        read-back: what :func:`kervan_ubltr.build_valid` asks for, having checked the
        arithmetic on the document it built from. XML the hardened parser refuses gives a
        report with that one error.

        XML from outside is read here with the hardened parser before a worker sees it.
        ``built_here=True`` (XML lxml just wrote in this process) goes to the worker as it
        is; with ``arithmetic=False`` it gets :meth:`validate_built` there."""
        lines = arithmetic if line_count is None else line_count
        built = built_here and not arithmetic  # see validate_built
        if not self.processes or self._pool_broke:
            if built:
                return self.validate_built(xml, line_count=lines)
            return self.validate_here(xml, arithmetic=arithmetic, line_count=lines)
        if not built_here:
            root = _read(xml)
            if isinstance(root, ValidationReport):
                return root
            xml = reserialise(root)
        for attempt in (1, 2):
            pool = self._executor()
            try:
                if built:
                    return pool.submit(_child_validate_built, xml, lines).result()
                return pool.submit(_child_validate, xml, arithmetic, lines).result()
            except BrokenProcessPool:
                log.warning("validation worker died (attempt %d); starting another", attempt)
                with self._pool_lock:
                    if self._pool is pool:
                        self._pool = None
        self._pool_broke = True
        log.error("validation workers keep dying; validating in this process from now on")
        if built:
            return self.validate_built(xml, line_count=lines)
        return self.validate_here(xml, arithmetic=arithmetic, line_count=lines)

    def validate_here(
        self, xml: bytes, *, arithmetic: bool = True, line_count: bool | None = None
    ) -> ValidationReport:
        """:meth:`validate` in this process, whatever ``processes`` says."""
        root = _read(xml)
        if isinstance(root, ValidationReport):
            return root
        xml = reserialise(root)
        report = self._gib(xml)
        if arithmetic:
            report.errors.extend(_arithmetic_issues(root, xml))
        elif line_count:  # the arithmetic above includes it
            report.errors.extend(_line_count_issues(root))
        return report


_default: Validator | None = None
_default_lock = threading.Lock()


def default_validator() -> Validator:
    """The process-wide validator (created on first call, sized by the environment)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Validator(processes=pool_size_from_env())
        return _default


_child = Validator()  # in a validation worker process: the one that does the work


def validate(
    xml: bytes,
    *,
    arithmetic: bool = True,
    line_count: bool | None = None,
    built_here: bool = False,
) -> ValidationReport:
    """Check ``xml`` against GİB's XSD and schematron and (by default) our arithmetic and
    line count; for XML from outside (an incoming document, a sandbox's upload) keep the
    defaults. ``arithmetic=False, line_count=True`` is for XML built here from a document
    whose arithmetic :func:`check_domain` passed."""
    return default_validator().validate(
        xml, arithmetic=arithmetic, line_count=line_count, built_here=built_here
    )


def check_domain(document: Invoice | DespatchAdvice) -> ValidationReport:
    """Cheap checks on the domain object, before any XML is built."""
    report = ValidationReport()
    if isinstance(document, Invoice):
        for message in check_arithmetic(document):
            element, _, detail = message.partition(": ")
            report.errors.append(Issue(ARITHMETIC, element, detail or message, "arithmetic"))
    return report
