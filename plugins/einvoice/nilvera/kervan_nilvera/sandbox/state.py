"""What the Nilvera sandbox remembers: the account, GİB's user registry, series, documents.

Plain data and the rules Nilvera applies on upload, kept apart from the HTTP routes so the
rules read in one place. Error codes are Nilvera's (Odoo ``l10n_tr_nilvera/const.py``) except
the ones in :data:`SANDBOX_CODES`, which this sandbox made up where no source gives one.
"""

from __future__ import annotations

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

#: codes this sandbox answers where no public source names Nilvera's own
SANDBOX_CODES = {
    4004: "Belge bulunamadı (document not found)",
    4010: "Fatura zaten iptal edilmiş (already cancelled)",
    4011: "İptal süresi geçmiş (cancel window passed)",
    4012: "Hatalı belge iptal edilemez (a rejected document cannot be cancelled)",
    4020: "Geçersiz sorgu parametresi (invalid list parameter)",
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
        return {
            "Errors": [{"Code": self.code, "Description": self.description, "Detail": self.detail}]
        }


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
    return Envelope(
        root=local,
        uuid=text("cbc:UUID").lower(),
        number=text("cbc:ID"),
        profile=text("cbc:ProfileID"),
        type_code=type_code,
        issue_date=issued,
        supplier_tax_id=tax_id(supplier),
        customer_tax_id=tax_id(customer),
    )


@dataclass
class StoredDocument:
    channel: str
    envelope: Envelope
    alias: str | None
    xml: bytes
    received_at: datetime
    cancelled_at: datetime | None = None
    #: GİB's later verdict when it is a rejection (set by ``reject_on_delivery``)
    rejection: str | None = None

    @property
    def uuid(self) -> str:
        return self.envelope.uuid

    def code(self, now: datetime, accept_after: float) -> str:
        if now < self.received_at + timedelta(seconds=accept_after):
            return "waiting"
        return "error" if self.rejection else "succeed"


@dataclass
class IncomingDocument:
    """An e-Fatura another taxpayer sent to the account (what ``/einvoice/Purchase`` lists)."""

    envelope: Envelope
    xml: bytes
    received_at: datetime

    @property
    def uuid(self) -> str:
        return self.envelope.uuid

    def list_entry(self) -> dict[str, Any]:
        """The entry of ``GET /einvoice/Purchase`` (field names: see the plugin README)."""
        env = self.envelope
        return {
            "UUID": env.uuid,
            "InvoiceNumber": env.number,
            "InvoiceProfile": env.profile,
            "InvoiceType": env.type_code,
            "IssueDate": f"{env.issue_date.isoformat()}T00:00:00" if env.issue_date else None,
            "SenderTaxNumber": env.supplier_tax_id,
            "CreatedDate": self.received_at.astimezone(ISTANBUL).replace(tzinfo=None).isoformat(),
            "StatusCode": "succeed",
        }


def list_date(name: str, raw: str | None) -> datetime | None:
    """A ``StartDate``/``EndDate`` query value (a date or a local date-time) as Istanbul time."""
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise Refusal(400, 4020, SANDBOX_CODES[4020], f"{name} is not a date: {raw!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=ISTANBUL)


def list_int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise Refusal(400, 4020, SANDBOX_CODES[4020], f"{name} must be a whole number {low}-{high}")
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
