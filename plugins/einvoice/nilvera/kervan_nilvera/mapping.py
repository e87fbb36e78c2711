"""Nilvera payloads ⇄ Kervan's domain: channels, paths, statuses, registrations, errors.

Pure functions with no I/O, so every rule here is tested without a remote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

from kervan import Alias, Registration
from kervan.domain import DocumentKind, DocumentStatus
from kervan.errors import InvalidInputError, InvalidResponseError
from kervan.xml import UntrustedXmlError, parse_untrusted

REMOTE = "nilvera"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

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


def parse_answer(body: Any) -> Literal["KABUL", "RED"] | None:
    """The receiver's application response to a TICARIFATURA in a status answer, if any.

    Read from ``AnswerCode`` at the top level or inside ``InvoiceStatus`` (the field's name
    in Nilvera's API is not in the material we have: see docs/ubl-tr.md); anything but
    KABUL or RED (e.g. an IADE response) is not an answer the engine acts on."""
    if not isinstance(body, dict):
        return None
    nested = body.get("InvoiceStatus")
    raw = body.get("AnswerCode") or (nested.get("AnswerCode") if isinstance(nested, dict) else None)
    value = str(raw).strip().upper() if raw else ""
    if value == "KABUL":
        return "KABUL"
    if value == "RED":
        return "RED"
    return None


def parse_status(channel: str, body: Any) -> tuple[DocumentStatus, str | None]:
    """A Nilvera status answer → (our status, the remote's reason if any).

    e-Fatura: ``{"InvoiceStatus": {"Code", "Description", "DetailDescription"}}`` (Odoo);
    e-Arşiv: ``{"StatusCode", "StatusDetail", "CancelStatus"}``; e-İrsaliye: the e-Fatura shape
    under ``DespatchStatus`` (unverified, so every shape is accepted on every channel).
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


def _alias_type(record: dict[str, Any]) -> str:
    return str(record.get("Type") or record.get("AliasType") or "PK").upper()


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
        if title := str(record.get("Title") or "").strip():
            titles.add(title.casefold())
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
