"""Nilvera payloads ⇄ Kervan's domain: channels, paths, statuses, registrations, errors.

Pure functions with no I/O, so every rule here is tested without a remote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

from kervan import Alias, IncomingReturn, Registration
from kervan.domain import DocumentKind, DocumentStatus
from kervan.errors import InvalidInputError, InvalidResponseError
from kervan.xml import UntrustedXmlError, parse_untrusted

REMOTE = "nilvera"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"

#: GİB's customs post box: every export (IHRACAT) e-Fatura is addressed to it.
EXPORT_ALIAS = "urn:mail:ihracatpk@gtb.gov.tr"
#: GİB's post box for an e-İrsaliye whose receiver is not a registered e-İrsaliye user (Odoo).
DESPATCH_GIB_ALIAS = "urn:mail:irsaliyepk@gib.gov.tr"

EINVOICE = "einvoice"
EARCHIVE = "earchive"
EDESPATCH = "edespatch"

#: Nilvera's ``globalUserType`` per channel for the taxpayer check.
USER_TYPE = {EINVOICE: "Invoice", EDESPATCH: "DespatchAdvice"}

# Nilvera error codes (Odoo ``l10n_tr_nilvera/const.py``). A code here means the document
# itself is wrong for GİB: it is rejected for good and must be corrected and re-issued.
DOCUMENT_REJECTION_CODES = frozenset(
    {2015, 2024, 2025, 2052, 2053, 2054, 2059, 2060, 2061, 2063, 2065, 2100}
)
#: "the UUID (ETTN) is already registered" / "this e-invoice has been added before" / "record added before"
ALREADY_EXISTS_CODES = frozenset({1001, 1004, 1015})
#: the document's 3-character series is not defined at Nilvera (Odoo then creates it)
SERIES_NOT_DEFINED = 3009


def channel_of(kind: DocumentKind) -> str:
    """Nilvera's service for a document kind (export e-Fatura goes through ``einvoice``)."""
    if kind in (DocumentKind.EFATURA, DocumentKind.EXPORT):
        return EINVOICE
    if kind is DocumentKind.EARSIV:
        return EARCHIVE
    if kind is DocumentKind.DESPATCH:
        return EDESPATCH
    raise InvalidInputError(f"Nilvera does not carry {kind.value} documents")


def channel_for(kind: DocumentKind, profile: str | None) -> str:
    """The service a document is sent to: by kind, except that an export whose profile is
    EARSIVFATURA (micro export to a foreign buyer) is an e-Arşiv, not an IHRACAT e-Fatura."""
    if kind is DocumentKind.EXPORT and profile == "EARSIVFATURA":
        return EARCHIVE
    return channel_of(kind)


def _sale_segment(channel: str) -> str:
    # e-Arşiv documents live under ``/earchive/Invoices``; the others under ``/<svc>/Sale``.
    return "Invoices" if channel == EARCHIVE else "Sale"


def document_path(channel: str, uuid: str, what: str) -> str:
    """``/einvoice/Sale/{uuid}/Status``, ``/earchive/Invoices/{uuid}/pdf``, ..."""
    return f"/{channel}/{_sale_segment(channel)}/{quote(uuid, safe='')}/{what}"


#: the received e-Fatura list (Odoo ``l10n_tr_nilvera_einvoice``; nilvera-sdk-php)
PURCHASE_PATH = "/einvoice/Purchase"


def purchase_path(uuid: str, what: str) -> str:
    """``/einvoice/Purchase/{uuid}/xml``: a received e-Fatura's document."""
    return f"{PURCHASE_PATH}/{quote(uuid, safe='')}/{what}"


def send_path(channel: str) -> str:
    return f"/{channel}/Send/Xml"


def series_path(channel: str) -> str:
    return f"/{channel}/Series"


# --------------------------------------------------------------------------------------------
# errors


@dataclass(frozen=True)
class NilveraIssue:
    code: int | None
    description: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.code} {self.description}" if self.code is not None else self.description
        return f"{text}: {self.detail}" if self.detail else text


def issues_of(body: Any) -> list[NilveraIssue]:
    """Nilvera's ``{"Errors": [{"Code", "Description", "Detail"}]}`` as issues (or [])."""
    if not isinstance(body, dict):
        return []
    errors = body.get("Errors")
    if not isinstance(errors, list):
        return []
    out = []
    for item in errors:
        if not isinstance(item, dict):
            continue
        code = item.get("Code")
        try:
            code = int(code) if code is not None else None
        except (TypeError, ValueError):
            code = None
        out.append(
            NilveraIssue(
                code=code,
                description=str(item.get("Description") or ""),
                detail=str(item.get("Detail") or ""),
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# statuses


_STATUS_CODES = {
    "waiting": DocumentStatus.QUEUED,
    "unknown": DocumentStatus.QUEUED,
    "succeed": DocumentStatus.ACCEPTED,
    "success": DocumentStatus.ACCEPTED,
    "error": DocumentStatus.REJECTED,
}


def _cancelled(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in {"true", "cancelled", "canceled", "iptal", "iptaledildi"}
    return False


#: Nilvera's ``AnswerCode`` values (its e-Invoice OpenAPI) that are a receiver's answer
_ANSWERS: dict[str, Literal["KABUL", "RED"]] = {
    "approved": "KABUL",
    "rejected": "RED",
    "kabul": "KABUL",
    "red": "RED",
}


def parse_answer(body: Any) -> Literal["KABUL", "RED"] | None:
    """The receiver's application response to a TICARIFATURA in a status answer, if any.

    Nilvera's ``StatusResponse`` (its e-Invoice OpenAPI) carries it as ``Answer.AnswerCode``:
    ``approved`` (KABUL) or ``rejected`` (RED); ``waitingForApproval``, ``unknown`` and
    ``documentAnsweredAutomatically`` are not an answer the engine acts on *(the last one's
    meaning is not documented)*. A top-level or ``InvoiceStatus`` ``AnswerCode`` saying
    KABUL/RED (the shape this connector assumed before the OpenAPI was found) is read too."""
    if not isinstance(body, dict):
        return None
    candidates = []
    for holder in (body.get("Answer"), body, body.get("InvoiceStatus")):
        if isinstance(holder, dict) and holder.get("AnswerCode"):
            candidates.append(holder["AnswerCode"])
    for raw in candidates:
        answer = _ANSWERS.get(str(raw).strip().lower())
        if answer is not None:
            return answer
    return None


#: "not enough credits", "the credit package has expired", "the package lacks credit" (Odoo
#: ``l10n_tr_nilvera/const.py``): the account, not the document, must change
CREDIT_CODES = frozenset({2000, 2075, 2078})


def parse_status(channel: str, body: Any) -> tuple[DocumentStatus, str | None]:
    """A Nilvera status answer → (our status, the remote's reason if any).

    e-Fatura: ``{"InvoiceStatus": {"Code", "Description", "DetailDescription"}}`` (Odoo);
    e-Arşiv: ``{"StatusCode", "StatusDetail", "CancelStatus"}``; e-İrsaliye: the same
    ``{Code, Description, DetailDescription}`` under ``DespatchStatus`` (odoo/odoo
    ``addons/l10n_tr_nilvera_edispatch/models/stock_picking.py``; no Nilvera OpenAPI for it is
    published, so every shape is still accepted on every channel).
    """
    if not isinstance(body, dict):
        raise InvalidResponseError("Nilvera status is not a JSON object", remote=REMOTE)
    nested = body.get("InvoiceStatus") or body.get("DespatchStatus")
    if isinstance(nested, dict):
        code = nested.get("Code")
        detail = nested.get("DetailDescription") or nested.get("Description")
    else:
        code = body.get("StatusCode")
        detail = body.get("StatusDetail") or body.get("ReportStatus")
    if _cancelled(body.get("CancelStatus")):
        return DocumentStatus.CANCELLED, detail or "cancelled"
    if not isinstance(code, str) or code.lower() not in _STATUS_CODES:
        raise InvalidResponseError(
            f"Nilvera answered an unknown {channel} status code {code!r}", remote=REMOTE
        )
    return _STATUS_CODES[code.lower()], (str(detail) if detail else None)


# --------------------------------------------------------------------------------------------
# registered-user check


_ALIAS_KINDS = ("PK", "GB")


def _alias_type(record: dict[str, Any]) -> str:
    """PK (post box) or GB (sender unit), from what identifies the alias itself.

    Nilvera's production records carry the *account* type in ``Type`` (``"OZEL"``, Odoo's
    recorded ``Check/TaxNumber`` fixture), so ``Type`` counts only when it says PK or GB. An
    explicit ``AliasType`` wins; then GİB's naming convention (``urn:mail:defaultpk@...`` /
    ``...gb@...``: the local part ends in ``pk`` or ``gb``). A record that says neither is a
    post box: the registered-user check lists the aliases a sender addresses, and Odoo sends
    to its ``Name`` as the receiver alias. *(inference, documented in the README)*
    """
    for key in ("AliasType", "Type"):
        value = str(record.get(key) or "").strip().upper()
        if value in _ALIAS_KINDS:
            return value
    local = str(record.get("Name") or "").strip().lower()
    local = local.removeprefix("urn:mail:").split("@", 1)[0]
    if local.endswith("gb"):
        return "GB"
    return "PK"


def _created(record: dict[str, Any]) -> datetime | None:
    raw = record.get("CreationTime") or record.get("CreatedDate") or record.get("FirstCreationTime")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def registration_from_check(
    tax_id: str, body: Any, checked_at: datetime, user_type: str = "Invoice"
) -> Registration:
    """``GET /general/GlobalCompany/Check/TaxNumber/{tax_id}`` → :class:`Registration`.

    An empty list is a definite "not registered". Anything we cannot read with certainty is
    raised as :class:`InvalidResponseError` (retryable), never turned into "not registered":
    a body that is not a list, a record without an alias name, records for another tax id or
    disagreeing on the title, or a registration with no PK (post box) alias to send to.
    """
    if not isinstance(body, list):
        raise InvalidResponseError(
            "Nilvera's registered-user check answered something that is not a list",
            remote=REMOTE,
        )
    if not body:
        return Registration(
            tax_id=tax_id, registered=False, checked_at=checked_at, source=REMOTE, aliases=[]
        )
    aliases: list[Alias] = []
    titles: set[str] = set()
    for record in body:
        if not isinstance(record, dict) or not str(record.get("Name") or "").strip():
            raise InvalidResponseError(
                "Nilvera's registered-user check returned a record without an alias",
                remote=REMOTE,
            )
        other = str(record.get("TaxNumber") or tax_id).strip()
        if other != tax_id:
            raise InvalidResponseError(
                "Nilvera's registered-user check returned records for another tax id",
                remote=REMOTE,
            )
        doc_type = record.get("DocumentType")
        if doc_type and str(doc_type) != user_type:
            continue
        if record_title := str(record.get("Title") or "").strip():
            titles.add(record_title.casefold())
        aliases.append(
            Alias(
                name=str(record["Name"]).strip(),
                type=_alias_type(record),
                created_at=_created(record),
            )
        )
    if len(titles) > 1:
        raise InvalidResponseError(
            "Nilvera's registered-user check returned conflicting records (different titles)",
            remote=REMOTE,
        )
    if not aliases:
        # records only for another document type: a definite "not registered for this one"
        return Registration(
            tax_id=tax_id, registered=False, checked_at=checked_at, source=REMOTE, aliases=[]
        )
    if not any(a.type == "PK" for a in aliases):
        raise InvalidResponseError(
            "Nilvera lists the buyer as registered but with no PK (post box) alias",
            remote=REMOTE,
        )
    title = next((str(r.get("Title")).strip() for r in body if r.get("Title")), None)
    return Registration(
        tax_id=tax_id,
        registered=True,
        aliases=aliases,
        title=title,
        checked_at=checked_at,
        source=REMOTE,
    )


def aliases_from_customer_info(body: Any) -> list[Alias]:
    """``GetGlobalCustomerInfo`` → aliases (``{"Aliases": [{"Name", "Type"}]}``, Odoo)."""
    if not isinstance(body, dict):
        raise InvalidResponseError("Nilvera customer info is not a JSON object", remote=REMOTE)
    out = []
    for record in body.get("Aliases") or []:
        if isinstance(record, dict) and record.get("Name"):
            out.append(
                Alias(
                    name=str(record["Name"]), type=_alias_type(record), created_at=_created(record)
                )
            )
    return out


def series_names(body: Any) -> list[dict[str, Any]]:
    """``GET /<svc>/Series`` → ``[{name, active, default, next}]`` (list or ``{Content: [...]}``)."""
    items = body.get("Content") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise InvalidResponseError("Nilvera series list is not a list", remote=REMOTE)
    out = []
    for item in items:
        if not isinstance(item, dict) or not item.get("Name"):
            continue
        details = item.get("Details") or []
        out.append(
            {
                "name": str(item["Name"]),
                "active": bool(item.get("IsActive", True)),
                "default": bool(item.get("IsDefault", False)),
                "counters": [
                    {"year": d.get("Year"), "last": d.get("OrdinalNumber")}
                    for d in details
                    if isinstance(d, dict)
                ],
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# reading our own UBL


def series_of(xml: bytes) -> str:
    """The 3-character series of a UBL document's ``cbc:ID``."""
    try:
        number = (parse_untrusted(xml).findtext(f"{{{CBC}}}ID") or "").strip()
    except UntrustedXmlError as exc:
        raise InvalidInputError(f"the document XML cannot be read: {exc.message}") from None
    if len(number) < 3:
        raise InvalidInputError("the document XML has no 16-character cbc:ID")
    return number[:3]


def issue_date_of(xml: bytes) -> date:
    """``cbc:IssueDate`` of a UBL document Nilvera holds."""
    try:
        root = parse_untrusted(xml, source="Nilvera's stored XML")
    except UntrustedXmlError as exc:
        raise InvalidResponseError(exc.message, remote=REMOTE) from None
    try:
        return date.fromisoformat((root.findtext(f"{{{CBC}}}IssueDate") or "").strip())
    except ValueError:
        raise InvalidResponseError(
            "Nilvera's stored XML has no readable IssueDate", remote=REMOTE
        ) from None


# --------------------------------------------------------------------------------------------
# received return (IADE) invoices

#: invoice type codes of a return: IADE, and TEVKIFATIADE (the return of a withholding
#: invoice, in GİB's code list since UBL-TR 1.2.1; Odoo issues it for a TEVKIFAT credit note)
RETURN_TYPE_CODES = frozenset({"IADE", "TEVKIFATIADE"})
_NS = {"cbc": CBC, "cac": CAC}


@dataclass(frozen=True)
class PurchaseEntry:
    """One entry of ``GET /einvoice/Purchase``: what is read from the list before the XML."""

    uuid: str
    #: ``InvoiceType`` when the list says it (SATIS, IADE, ...), else ``None``
    type_code: str | None
    issued_on: date | None


@dataclass(frozen=True)
class PurchasePage:
    entries: list[PurchaseEntry]
    #: entries the list gave that could not be read (logged by the caller, never fatal)
    skipped: list[str]
    total_pages: int | None
    #: how many entries the page carried, readable or not (to tell a short, last page)
    size: int
    #: the page size the answer says it used (``PageSize``), if it says
    page_size: int | None = None


def _list_date(raw: Any) -> date | None:
    if not isinstance(raw, str) or len(raw) < 10:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def purchase_page(body: Any) -> PurchasePage:
    """A page of ``GET /einvoice/Purchase`` → its readable entries.

    The shape is ``{"Content": [{"UUID", "InvoiceType", "IssueDate", ...}], "Page",
    "PageSize", "TotalCount", "TotalPages"}`` (``Content`` and ``TotalPages``: Odoo; the other
    field names are from a third-party client and uncertain). A body that is not an object
    with a ``Content`` list is an :class:`InvalidResponseError`; an entry without a UUID is
    skipped and named in ``skipped``, so one bad entry never loses the page.
    """
    if not isinstance(body, dict) or not isinstance(body.get("Content", []), list):
        raise InvalidResponseError(
            "Nilvera's received e-Fatura list is not an object with a Content list",
            remote=REMOTE,
        )
    content = body.get("Content") or []
    entries: list[PurchaseEntry] = []
    skipped: list[str] = []
    for index, item in enumerate(content):
        uuid = item.get("UUID") if isinstance(item, dict) else None
        if not isinstance(uuid, str) or not uuid.strip():
            skipped.append(f"entry {index}: no UUID")
            continue
        assert isinstance(item, dict)
        raw_type = item.get("InvoiceType")
        type_code = str(raw_type).strip().upper() if isinstance(raw_type, str) else None
        entries.append(
            PurchaseEntry(
                uuid=uuid.strip(),
                type_code=type_code or None,
                issued_on=_list_date(item.get("IssueDate")),
            )
        )
    return PurchasePage(
        entries,
        skipped,
        _int_or_none(body.get("TotalPages")),
        len(content),
        _int_or_none(body.get("PageSize")),
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def worth_fetching(entry: PurchaseEntry, since: date) -> bool:
    """Whether a list entry may be a return issued on or after ``since``: only what the list
    itself rules out is dropped (a type it names that is not a return, an earlier issue
    date); an entry that says nothing is fetched and decided on its XML."""
    if entry.type_code is not None and entry.type_code not in RETURN_TYPE_CODES:
        return False
    return not (entry.issued_on is not None and entry.issued_on < since)


class NotAReturn(Exception):
    """A received document that is not a return invoice (a SATIS, a despatch advice...)."""


def incoming_return_from_xml(xml: bytes, uuid: str) -> IncomingReturn:
    """A received UBL-TR invoice → :class:`IncomingReturn`, read with the hardened parser.

    Raises :class:`NotAReturn` when its ``InvoiceTypeCode`` is not a return type, and
    :class:`InvalidResponseError` when the XML is unreadable or lacks what a return needs
    (``cbc:ID``, ``cbc:UUID``, ``cbc:IssueDate``, the supplier's VKN/TCKN).
    """
    try:
        root = parse_untrusted(xml, source=f"the received e-Fatura {uuid}")
    except UntrustedXmlError as exc:
        raise InvalidResponseError(exc.message, remote=REMOTE) from None
    if root.tag != f"{{{UBL_INVOICE}}}Invoice":
        raise NotAReturn(f"{uuid} is not a UBL Invoice")

    def text(path: str) -> str:
        return (root.findtext(path, namespaces=_NS) or "").strip()

    type_code = text("cbc:InvoiceTypeCode").upper()
    if type_code not in RETURN_TYPE_CODES:
        raise NotAReturn(f"{uuid} is a {type_code or 'typeless'} invoice")
    number, doc_uuid = text("cbc:ID"), text("cbc:UUID")
    party = "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID"
    sender = next(
        (
            (e.text or "").strip()
            for e in root.iterfind(party, namespaces=_NS)
            if e.get("schemeID") in ("VKN", "TCKN") and (e.text or "").strip()
        ),
        "",
    )
    missing = [
        name
        for name, value in (
            ("cbc:ID", number),
            ("cbc:UUID", doc_uuid),
            ("supplier VKN/TCKN", sender),
        )
        if not value
    ]
    try:
        issued_on = date.fromisoformat(text("cbc:IssueDate"))
    except ValueError:
        missing.append("cbc:IssueDate")
    if missing:
        raise InvalidResponseError(
            f"the received return invoice {uuid} has no {', '.join(missing)}", remote=REMOTE
        )
    refs = "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
    refers_to = tuple(
        dict.fromkeys(
            (e.text or "").strip()
            for e in root.iterfind(refs, namespaces=_NS)
            if (e.text or "").strip()
        )
    )
    return IncomingReturn(
        uuid=doc_uuid,
        number=number,
        issued_on=issued_on,
        sender_tax_id=sender,
        refers_to=refers_to,
    )
