"""What the Nilvera sandbox remembers: the account, GİB's user registry, series, documents.

Plain data and the rules Nilvera applies on upload, kept apart from the HTTP routes so the
rules read in one place. Error codes are Nilvera's (Odoo ``l10n_tr_nilvera/const.py``) except
the ones in :data:`SANDBOX_CODES`, which this sandbox made up where no source gives one.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kervan.xml import UntrustedXmlError, parse_untrusted
from lxml import etree

from ..mapping import DESPATCH_GIB_ALIAS, EARCHIVE, EDESPATCH, EINVOICE, EXPORT_ALIAS

ISTANBUL = ZoneInfo("Europe/Istanbul")
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"

#: Nilvera's documented "not found" code: ``3003 Belge Sistemde Bulunamadı`` (the 404 list of
#: developer.nilvera.com/hata-kodlari; that page's sample body shows 3006 with a "belge
#: bulunamadı" detail, but its table gives 3006 to reports, 3003 to documents)
NOT_FOUND = 3003
#: a malformed query value: developer.nilvera.com/hata-kodlari's BadRequest (400) sample answers
#: ``{"Message": "GECERSIZ ISTEK", "Errors": [{"Code": 400, "Description": <field>, "Detail": …}]}``
BAD_REQUEST = 400
#: not enough credits / the credit package expired / the package lacks credit (422; Odoo
#: ``l10n_tr_nilvera/const.py``)
NO_CREDITS, CREDITS_EXPIRED, PACKAGE_SHORT = 2000, 2075, 2078

#: codes this sandbox answers where no public source names Nilvera's own. The 422 list of
#: developer.nilvera.com/hata-kodlari could not be read past its 404 table, and Odoo's
#: ``const.py`` names none of these refusals; each is a real refusal (GİB's rules), only the
#: number is the sandbox's. A client must not rely on these numbers.
SANDBOX_CODES = {
    4010: "Fatura zaten iptal edilmiş (already cancelled)",
    4011: "İptal süresi geçmiş (cancel window passed)",
    4012: "Hatalı belge iptal edilemez (a rejected document cannot be cancelled)",
    4030: "Yalnızca ticari faturaya yanıt verilebilir (only a TICARIFATURA is answered)",
    4031: "Faturaya daha önce yanıt verilmiş (already answered)",
    4032: "Yanıt süresi geçmiş (GİB's 8-day answer window passed)",
}


class Refusal(Exception):
    """Nilvera refusing a request: HTTP status plus its ``Errors[]`` entry."""

    def __init__(self, status: int, code: int, description: str, detail: str = "") -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.detail = detail

    def body(self) -> dict[str, Any]:
        # the top-level Message as developer.nilvera.com/hata-kodlari's samples show it
        message = {400: "GECERSIZ ISTEK", 404: "HATALI ISTEK"}.get(self.status)
        errors = [{"Code": self.code, "Description": self.description, "Detail": self.detail}]
        return {"Message": message, "Errors": errors} if message else {"Errors": errors}


def not_found(uuid: str) -> Refusal:
    return Refusal(404, NOT_FOUND, "Belge Sistemde Bulunamadı", f"{uuid} nolu belge bulunamadı")


def bad_request(field: str, detail: str) -> Refusal:
    return Refusal(400, BAD_REQUEST, field, detail)


@dataclass
class Taxpayer:
    """One entry of GİB's registered-user list as Nilvera mirrors it."""

    tax_id: str
    title: str
    #: (alias name, PK|GB, Invoice|DespatchAdvice); the kind is the sandbox's own bookkeeping:
    #: Nilvera's records do not carry it (the alias name does, by GİB's convention)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    registered_at: datetime | None = None
    #: the account type Nilvera answers in ``Type`` (``OZEL`` private; ``KAMU`` public sector)
    account_type: str = "OZEL"

    def records(self, user_type: str) -> list[dict[str, Any]]:
        """The production shape of ``Check/TaxNumber``: one record per alias, whose ``Type``
        is the account type, not PK/GB (Odoo's recorded fixture, see the package docstring)."""
        created = (self.registered_at or datetime(2020, 1, 1)).isoformat()
        return [
            {
                "TaxNumber": self.tax_id,
                "Title": self.title,
                "FirstCreatedTime": created,
                "CreationTime": created,
                "DocumentType": doc_type,
                "Name": name,
                "Type": self.account_type,
            }
            for name, _kind, doc_type in self.aliases
            if doc_type == user_type
        ]

    def kinds(self, user_type: str) -> set[tuple[str, str]]:
        """``(alias name, PK|GB)`` for one document type (what the records no longer say)."""
        return {(n, k) for n, k, d in self.aliases if d == user_type}

    def pk_aliases(self, user_type: str) -> set[str]:
        return {n for n, k, d in self.aliases if k == "PK" and d == user_type}


@dataclass
class Envelope:
    """The fields the sandbox reads from an uploaded UBL (before and apart from validation)."""

    root: str
    uuid: str
    number: str
    profile: str
    type_code: str
    issue_date: date | None
    supplier_tax_id: str
    customer_tax_id: str
    supplier_name: str = ""
    currency: str = "TRY"
    payable: float = 0.0
    tax_total: float = 0.0
    tax_exclusive: float = 0.0
    line_extension: float = 0.0
    allowance_total: float = 0.0
    line_count: int = 0
    additional_documents: int = 0
    ubl_version: str = ""
    customization: str = ""


def read_envelope(xml: bytes) -> Envelope:
    try:
        root = parse_untrusted(xml, source="the uploaded XML")
    except UntrustedXmlError as exc:
        raise Refusal(422, 2015, "Şema/Şematron hatası", exc.message) from None
    local = etree.QName(root).localname

    def text(path: str) -> str:
        return (root.findtext(path, namespaces={"cbc": CBC, "cac": CAC}) or "").strip()

    if local == "DespatchAdvice":
        supplier, customer = "cac:DespatchSupplierParty", "cac:DeliveryCustomerParty"
        type_code = text("cbc:DespatchAdviceTypeCode")
    else:
        supplier, customer = "cac:AccountingSupplierParty", "cac:AccountingCustomerParty"
        type_code = text("cbc:InvoiceTypeCode")
    ident = "/cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='{}']"

    def tax_id(party: str) -> str:
        return text(party + ident.format("VKN")) or text(party + ident.format("TCKN"))

    try:
        issued = date.fromisoformat(text("cbc:IssueDate"))
    except ValueError:
        issued = None

    def amount(path: str) -> float:
        try:
            return float(text(path) or 0)
        except ValueError:
            return 0.0

    party = supplier + "/cac:Party/"
    name = text(party + "cac:PartyName/cbc:Name") or " ".join(
        filter(
            None,
            (text(party + "cac:Person/cbc:FirstName"), text(party + "cac:Person/cbc:FamilyName")),
        )
    )
    totals = "cac:LegalMonetaryTotal/cbc:"
    ns = {"cbc": CBC, "cac": CAC}
    return Envelope(
        root=local,
        uuid=text("cbc:UUID").lower(),
        number=text("cbc:ID"),
        profile=text("cbc:ProfileID"),
        type_code=type_code,
        issue_date=issued,
        supplier_tax_id=tax_id(supplier),
        customer_tax_id=tax_id(customer),
        supplier_name=name,
        currency=text("cbc:DocumentCurrencyCode") or "TRY",
        payable=amount(totals + "PayableAmount"),
        tax_total=amount("cac:TaxTotal/cbc:TaxAmount"),
        tax_exclusive=amount(totals + "TaxExclusiveAmount"),
        line_extension=amount(totals + "LineExtensionAmount"),
        allowance_total=amount(totals + "AllowanceTotalAmount"),
        line_count=len(root.findall("cac:InvoiceLine", ns))
        + len(root.findall("cac:DespatchLine", ns)),
        additional_documents=len(root.findall("cac:AdditionalDocumentReference", ns)),
        ubl_version=text("cbc:UBLVersionID"),
        customization=text("cbc:CustomizationID"),
    )


#: GİB's envelope codes (GİB's e-Fatura system response codes, as a public Nilvera client lists
#: them: montarist/nilvera-api ``src/constants/enums/error-codes.ts``): processing, done, and
#: the delivery failures a document Nilvera accepted can still end in
GIB_PROCESSING, GIB_DONE = 1100, 1300
GIB_DELIVERY_FAILURES = {
    1210: "DOKUMAN ADRESE GONDERILEMEDI",
    1215: "DOKUMAN GONDERIMI BASARISIZ",
    1230: "HEDEFTEN SISTEM YANITI BASARISIZ",
}
#: Nilvera's ``AnswerCode`` enum (its e-Invoice OpenAPI, schema ``AnswerCode``) and our
#: KABUL/RED words for the two answers a receiver gives
ANSWER_CODES = (
    "unknown",
    "waitingForApproval",
    "approved",
    "rejected",
    "documentAnsweredAutomatically",
)
ANSWER_OF = {"KABUL": "approved", "RED": "rejected"}
#: GİB's window for answering a TICARIFATURA (8 days from its delivery)
ANSWER_WINDOW = timedelta(days=8)


def local_iso(when: datetime | None) -> str | None:
    """A time as Nilvera writes one: Istanbul wall time, no offset."""
    return when.astimezone(ISTANBUL).replace(tzinfo=None).isoformat() if when else None


def envelope_uuid(uuid: str) -> str:
    """The GİB envelope the document travelled in (stable per document)."""
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"nilvera-envelope:{uuid}"))


@dataclass
class StoredDocument:
    channel: str
    envelope: Envelope
    alias: str | None
    xml: bytes
    received_at: datetime
    cancelled_at: datetime | None = None
    #: GİB's later verdict when it is a rejection (``reject_on_delivery`` or the sandbox's
    #: seeded share of spontaneous rejections), with GİB's envelope code
    rejection: str | None = None
    gib_code: int = 1230
    #: the receiver's answer to a TICARIFATURA once it arrived: (approved|rejected, note, when)
    answer: tuple[str, str, datetime] | None = None
    #: how the document came: ``xml`` (Send/Xml) or ``model`` (Send/Model, a confirmed draft)
    source: str = "xml"
    #: customs' answer for an IHRACAT e-Fatura: (GCB registration number, actual export date)
    customs: tuple[str, str] | None = None

    @property
    def uuid(self) -> str:
        return self.envelope.uuid

    def code(self, now: datetime, accept_after: float) -> str:
        if now < self.delivered_at(accept_after):
            return "waiting"
        return "error" if self.rejection else "succeed"

    def delivered_at(self, accept_after: float) -> datetime:
        return self.received_at + timedelta(seconds=accept_after)

    def gib(self, now: datetime, accept_after: float) -> tuple[int, str]:
        """GİB's envelope code and text for the document now."""
        code = self.code(now, accept_after)
        if code == "waiting":
            return GIB_PROCESSING, "ZARF ISLENIYOR"
        if code == "error":
            return self.gib_code, GIB_DELIVERY_FAILURES.get(self.gib_code, "HATA")
        return GIB_DONE, "BASARIYLA TAMAMLANDI"

    def answer_code(self) -> str:
        """Nilvera's ``AnswerCode``: a TICARIFATURA waits for approval until answered; other
        profiles are not answered (``unknown``) *(uncertain: no recorded non-commercial body)*."""
        if self.envelope.profile != "TICARIFATURA":
            return "unknown"
        return self.answer[0] if self.answer else "waitingForApproval"


@dataclass
class IncomingDocument:
    """An e-Fatura another taxpayer sent to the account (what ``/einvoice/Purchase`` lists)."""

    envelope: Envelope
    xml: bytes
    received_at: datetime
    #: the account's own answer to a TICARIFATURA: (approved|rejected, note, when)
    answer: tuple[str, str, datetime] | None = None

    @property
    def uuid(self) -> str:
        return self.envelope.uuid

    def answer_code(self) -> str:
        if self.envelope.profile != "TICARIFATURA":
            return "unknown"
        return self.answer[0] if self.answer else "waitingForApproval"

    def list_entry(self, account_tax_id: str) -> dict[str, Any]:
        """The entry of ``GET /einvoice/Purchase`` (``PurchaseInvoiceResponse`` in Nilvera's
        e-Invoice OpenAPI)."""
        env = self.envelope
        return {
            "UUID": env.uuid,
            "TaxNumber": account_tax_id,
            "SenderTaxNumber": env.supplier_tax_id,
            "SenderName": env.supplier_name or None,
            "InvoiceNumber": env.number,
            "InvoiceProfile": env.profile,
            "InvoiceType": env.type_code,
            "CurrencyCode": env.currency,
            "IssueDate": f"{env.issue_date.isoformat()}T00:00:00" if env.issue_date else None,
            "PayableAmount": env.payable,
            "TaxExclusiveAmount": env.tax_exclusive,
            "TaxTotalAmount": env.tax_total,
            "LineExtensionAmount": env.line_extension,
            "AllowanceTotalAmount": env.allowance_total,
            "AnswerCode": self.answer_code(),
            "StatusCode": "succeed",
            "StatusDetail": "Başarıyla alındı",
            "CreatedDate": local_iso(self.received_at),
            "EnvelopeUUID": envelope_uuid(env.uuid),
            "EnvelopeDate": local_iso(self.received_at),
        }


def list_date(name: str, raw: str | None) -> datetime | None:
    """A ``StartDate``/``EndDate`` query value (a date or a local date-time) as Istanbul time."""
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise bad_request(name, f"not a date: {raw!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=ISTANBUL)


def list_int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise bad_request(name, f"must be a whole number {low}-{high}")
    return value


@dataclass
class Registry:
    """GİB's registered users (e-Fatura and e-İrsaliye) as Nilvera answers them."""

    taxpayers: dict[str, Taxpayer] = field(default_factory=dict)

    def add(
        self,
        tax_id: str,
        title: str,
        *,
        pk: list[str] | tuple[str, ...] = (),
        gb: list[str] | tuple[str, ...] = (),
        despatch_pk: list[str] | tuple[str, ...] = (),
        registered_at: datetime | None = None,
    ) -> Taxpayer:
        entry = self.taxpayers.setdefault(
            tax_id, Taxpayer(tax_id, title, registered_at=registered_at)
        )
        entry.title = title
        for name in pk:
            entry.aliases.append((name, "PK", "Invoice"))
        for name in gb:
            entry.aliases.append((name, "GB", "Invoice"))
        for name in despatch_pk:
            entry.aliases.append((name, "PK", "DespatchAdvice"))
        return entry

    def records(self, tax_id: str, user_type: str) -> list[dict[str, Any]]:
        entry = self.taxpayers.get(tax_id)
        return entry.records(user_type) if entry else []

    def registered(self, tax_id: str, user_type: str = "Invoice") -> bool:
        return bool(self.records(tax_id, user_type))


def check_channel_rules(
    channel: str, envelope: Envelope, alias: str | None, registry: Registry
) -> None:
    """Nilvera's scenario checks on upload (before GİB's schema and schematron)."""
    if channel in (EINVOICE, EARCHIVE) and envelope.root != "Invoice":
        raise Refusal(422, 2015, "Şema/Şematron hatası", "root element must be Invoice")
    if channel == EDESPATCH and envelope.root != "DespatchAdvice":
        raise Refusal(422, 2015, "Şema/Şematron hatası", "root element must be DespatchAdvice")
    if channel == EARCHIVE:
        if envelope.profile != "EARSIVFATURA":
            raise Refusal(422, 2024, "Belge senaryosu e-Arşiv olmalıdır")
        if registry.registered(envelope.customer_tax_id):
            raise Refusal(422, 2025, "Alıcı e-Fatura mükellefidir. e-Arşiv fatura gönderilemez")
        return
    if not alias:
        raise Refusal(404, 3000, "Alıcıya ait etiket bulunamadı", "Alias is required")
    if channel == EINVOICE:
        _check_einvoice_alias(envelope, alias, registry)
    else:
        known = registry.taxpayers.get(envelope.customer_tax_id)
        allowed = known.pk_aliases("DespatchAdvice") if known else set()
        if alias != DESPATCH_GIB_ALIAS and alias not in allowed:
            raise Refusal(404, 3000, "Alıcıya ait etiket bulunamadı", alias)


def _check_einvoice_alias(envelope: Envelope, alias: str, registry: Registry) -> None:
    if envelope.profile == "EARSIVFATURA":
        raise Refusal(
            422, 2063, "Fatura senaryosu e-Arşiv olduğu için e-Fatura olarak gönderilemez"
        )
    if alias == EXPORT_ALIAS or envelope.profile == "IHRACAT":
        if alias != EXPORT_ALIAS or envelope.profile != "IHRACAT":
            raise Refusal(
                422,
                2015,
                "Şema/Şematron hatası",
                f"IHRACAT invoices go to {EXPORT_ALIAS}, and only they do",
            )
        return
    entry = registry.taxpayers.get(envelope.customer_tax_id)
    if entry is None or not entry.pk_aliases("Invoice"):
        raise Refusal(422, 2054, "Alıcı e-Fatura mükellefi değildir")
    if alias not in entry.pk_aliases("Invoice"):
        raise Refusal(404, 3000, "Alıcıya ait etiket bulunamadı", alias)


def cancel_window_passed(issued: date | None, now: datetime, days: int) -> bool:
    if issued is None:
        return True
    return (now.astimezone(ISTANBUL).date() - issued).days > days
