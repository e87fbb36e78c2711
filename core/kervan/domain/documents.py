"""Fiscal documents: invoices (e-Fatura, e-Arşiv, export), despatch advices, expense vouchers.

These are the domain records. The UBL-TR XML for them is built and parsed by the
``kervan-ubltr`` plugin; integrator plugins submit them.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .money import ZERO, Amount, Quantity, Rate
from .party import Address, Party

DOCUMENT_NUMBER_PATTERN = r"^[A-Z0-9]{3}20[0-9]{2}[0-9]{9}$"


class DocumentKind(StrEnum):
    EFATURA = "efatura"
    EARSIV = "earsiv"
    EXPORT = "export"
    DESPATCH = "despatch"
    EXPENSE_VOUCHER = "expense_voucher"


class DocumentStatus(StrEnum):
    DRAFT = "draft"  # built and validated, no number yet, nothing sent
    ISSUED = "issued"  # numbered: committed to leave; it is submitted (again) until it has
    QUEUED = "queued"  # submitted to the integrator, waiting for GİB
    ACCEPTED = "accepted"  # GİB (or the receiver) accepted it
    REJECTED = "rejected"  # GİB or the integrator rejected it
    CANCELLED = "cancelled"  # cancelled after submission (e-Arşiv) or reversed
    VOIDED = "voided"  # never submitted; withdrawn


ACTIVE_STATUSES = frozenset(
    {DocumentStatus.DRAFT, DocumentStatus.ISSUED, DocumentStatus.QUEUED, DocumentStatus.ACCEPTED}
)


class PaymentMethod(StrEnum):
    """e-Arşiv internet-sale payment methods (GİB / integrator vocabulary)."""

    CARD = "KREDIKARTI/BANKAKARTI"
    TRANSFER = "EFT/HAVALE"
    CASH_ON_DELIVERY = "KAPIDAODEME"
    PAYMENT_AGENT = "ODEMEARACISI"
    OTHER = "DIGER"


class InternetSale(BaseModel):
    """The internet-sale block an e-Arşiv invoice for an online order must carry.

    The carrier is the company the parcel ships with (``CarrierParty``): its registered title,
    VKN/TCKN and address, never the seller's. ``send_date`` is the Gönderim Tarihi, the day
    the goods are handed to that carrier (the rule is in ``docs/ubl-tr.md``).
    """

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    website: str = Field(min_length=1, max_length=300)
    payment_method: PaymentMethod = PaymentMethod.PAYMENT_AGENT
    payment_agent: str | None = Field(default=None, max_length=200)
    payment_date: date
    carrier_name: str | None = Field(default=None, max_length=200)
    carrier_tax_id: str | None = Field(default=None, pattern=r"^[0-9]{10,11}$")
    carrier_address: Address | None = None
    send_date: date | None = None


class TaxSubtotal(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    tax_type_code: str = "0015"
    rate: Rate
    taxable_amount: Amount
    tax_amount: Amount
    exemption_code: str | None = None
    exemption_reason: str | None = None


class InvoiceLine(BaseModel):
    """One invoice line. All amounts are VAT-exclusive except ``vat_amount``."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    id: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=500)
    quantity: Quantity
    unit_code: str = "C62"
    unit_price: Decimal = Field(description="VAT-exclusive unit price, up to 8 decimals")
    discount: Amount = ZERO
    line_extension: Amount = Field(description="quantity × unit_price − discount")
    vat_rate: Rate
    vat_amount: Amount
    exemption_code: str | None = None
    exemption_reason: str | None = None
    barcode: str | None = None
    sku: str | None = None
    hs_code: str | None = None
    order_line_id: str | None = None


class Totals(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    line_extension: Amount
    allowance_total: Amount = ZERO
    tax_exclusive: Amount
    tax_total: Amount
    tax_inclusive: Amount
    payable: Amount


class BillingReference(BaseModel):
    """The original invoice a return (IADE) invoice refers to."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    number: str = Field(pattern=DOCUMENT_NUMBER_PATTERN)
    issue_date: date
    document_type_code: str = "IADE"


class ExportTerms(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    incoterms: str = "DAP"
    transport_mode: str = Field(default="3", pattern=r"^[0-9]$", description="UN/ECE 8067")
    delivery_address: Address | None = None


class Invoice(BaseModel):
    """A sales or return invoice as Kervan issues it."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    tenant_id: str
    order_id: str | None = None
    uuid: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )
    number: str | None = Field(
        default=None,
        pattern=DOCUMENT_NUMBER_PATTERN,
        description="GİB's document number; none while a draft has not been committed to "
        "leave (a number is taken only in the commit that sends the document on its way, so "
        "the numbers GİB sees have no gap)",
    )
    kind: DocumentKind
    profile: str = Field(description="TEMELFATURA, TICARIFATURA, EARSIVFATURA, IHRACAT, ...")
    type_code: str = Field(default="SATIS", description="SATIS, IADE, ISTISNA, ...")
    issued_at: datetime
    currency: str = Field(default="TRY", pattern=r"^[A-Z]{3}$")
    exchange_rate: Decimal | None = None
    seller: Party
    buyer: Party
    sender_alias: str | None = None
    receiver_alias: str | None = None
    order_number: str | None = None
    order_date: date | None = None
    lines: list[InvoiceLine] = Field(min_length=1)
    tax_subtotals: list[TaxSubtotal] = Field(min_length=1)
    totals: Totals
    notes: list[str] = Field(default_factory=list)
    internet_sale: InternetSale | None = None
    billing_reference: BillingReference | None = None
    export_terms: ExportTerms | None = None
    status: DocumentStatus = DocumentStatus.DRAFT
    remote_id: str | None = None
    status_detail: str | None = None
    answer: Literal["KABUL", "RED"] | None = Field(
        default=None,
        description="the buyer's application response to a TICARIFATURA (KABUL accepts, RED "
        "rejects; a RED opens a refused_invoice fiscal item for an operator)",
    )
    answered_at: datetime | None = None
    checked_digest: str | None = Field(
        default=None,
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="the content_digest() of this invoice when its issuer's full checks "
        "(GİB's XSD and schematron, our arithmetic) passed it as a draft; numbering keeps it "
        "(it changes only what the digest leaves out), and an issuer that finds it still "
        "equal to the content's digest may check only what numbering filled in",
    )

    @property
    def line_count(self) -> int:
        return len(self.lines)

    def content_digest(self) -> str:
        """A SHA-256 fingerprint of everything the invoice's XML is made of except what
        numbering fills in (the number, the issue time, the internet sale's send date) and
        what the XML does not carry at all (the status and the integrator's and buyer's
        answers). Whether a send date is set stays in: it adds an element.

        The engine records it in :attr:`checked_digest` once the issuer's full checks passed
        the draft; an issuer compares it with the digest of what it is asked to build, so an
        invoice whose content changed after the check is checked in full again, whichever
        code path changed it. Two invoices with the same digest have field for field the same
        values (JSON keeps a ``Decimal``'s exponent and a string's every character)."""
        sale = self.internet_sale
        sent = b"1" if sale is not None and sale.send_date is not None else b"0"
        body = self.model_dump_json(exclude=_NOT_IN_DIGEST)
        return "sha256:" + hashlib.sha256(sent + body.encode()).hexdigest()


#: what :meth:`Invoice.content_digest` leaves out: what numbering fills in
#: (``kervan.invoicing.numbered``), what the XML does not carry, and the mark itself
_NOT_IN_DIGEST: dict[str, Any] = {
    "number": True,
    "issued_at": True,
    "internet_sale": {"send_date": True},
    "status": True,
    "remote_id": True,
    "status_detail": True,
    "answer": True,
    "answered_at": True,
    "checked_digest": True,
}


class DespatchLine(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    id: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=500)
    quantity: Quantity
    unit_code: str = "C62"
    order_line_id: str = "1"
    barcode: str | None = None


class Driver(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    first_name: str
    last_name: str
    national_id: str = Field(pattern=r"^[0-9]{11}$")
    plate: str


class DespatchAdvice(BaseModel):
    """An e-İrsaliye (TEMELIRSALIYE / SEVK), e.g. for an exchange or a missing part.

    ``order_number``/``order_date`` are written as ``cac:OrderReference`` and
    ``invoice_number``/``invoice_date`` (the sale's invoice the goods relate to) as
    ``cac:AdditionalDocumentReference``; ``claim_id`` links the return it serves.
    """

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    tenant_id: str
    order_id: str | None = None
    claim_id: str | None = None
    order_number: str | None = Field(default=None, max_length=100)
    order_date: date | None = None
    invoice_number: str | None = Field(default=None, pattern=DOCUMENT_NUMBER_PATTERN)
    invoice_date: date | None = None
    uuid: str
    number: str = Field(pattern=DOCUMENT_NUMBER_PATTERN)
    profile: str = "TEMELIRSALIYE"
    type_code: str = "SEVK"
    issued_at: datetime
    despatched_at: datetime
    seller: Party
    receiver: Party
    delivery_address: Address
    carrier: Party | None = None
    driver: Driver | None = None
    lines: list[DespatchLine] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list)
    status: DocumentStatus = DocumentStatus.DRAFT
    remote_id: str | None = None


class ExpenseVoucherLine(BaseModel):
    """One returned line of a gider pusulası.

    ``amount`` is what the seller refunds for the line, VAT included (what the buyer paid for
    those units); ``net`` + ``vat_amount`` == ``amount`` and ``vat_rate`` is the sale's rate.
    The VAT fields are None only on vouchers written before VAT was shown separately.
    """

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    name: str
    quantity: Quantity
    unit_code: str = "C62"
    unit_price: Amount = Field(description="VAT-inclusive refund per unit (amount / quantity)")
    amount: Amount = Field(description="VAT-inclusive refund of the line")
    vat_rate: Rate | None = None
    net: Amount | None = Field(default=None, description="amount without VAT")
    vat_amount: Amount | None = None
    order_line_id: str | None = None
    barcode: str | None = None


class ExpenseVoucherVat(BaseModel):
    """The VAT of one rate on a gider pusulası: ``net`` + ``vat`` == ``amount``."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    rate: Rate
    net: Amount
    vat: Amount
    amount: Amount


class ExpenseVoucher(BaseModel):
    """A gider pusulası: what the seller writes when an individual returns goods.

    ``total`` is the VAT-inclusive refund (the sum of the lines); ``vat_subtotals`` show the
    VAT it contains per rate (empty only on vouchers written before VAT was shown separately).
    """

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    tenant_id: str
    claim_id: str | None = None
    order_id: str | None = None
    order_number: str | None = None
    number: str
    issued_at: datetime
    seller: Party
    person: Party
    lines: list[ExpenseVoucherLine] = Field(min_length=1)
    vat_subtotals: list[ExpenseVoucherVat] = Field(default_factory=list)
    net_total: Amount | None = None
    vat_total: Amount | None = None
    total: Amount
    withholding: Amount = ZERO
    notes: list[str] = Field(default_factory=list)
    status: DocumentStatus = DocumentStatus.ISSUED
