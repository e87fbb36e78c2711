"""UBL-TR 1.2 invoice builder: e-Fatura (TEMELFATURA, TICARIFATURA, IHRACAT) and e-Arşiv.

Children are written in the XSD's order (``UBL-Invoice-2.1.xsd``). Where a domain field has
no UBL-TR element of its own the choice is documented in ``docs/ubl-tr.md``; the parser
(:mod:`kervan_ubltr.parse`) reads exactly what is written here.
"""

from __future__ import annotations

from decimal import Decimal

from kervan.domain import Address, Invoice, InvoiceLine, Party, PartyKind
from kervan.domain.documents import InternetSale, PaymentMethod
from kervan.errors import InvalidInputError
from lxml import etree

from . import xslt
from .parties import build_address, build_party, seller_blocks
from .xmlutil import (
    CAC,
    CBC,
    CUSTOMIZATION,
    NS,
    UBL_VERSION,
    Element,
    amount,
    cac,
    cbc,
    date_text,
    extensions_placeholder,
    local,
    new_root,
    number,
    serialize,
    sub,
    time_text,
)

INVOICE = "{" + NS["inv"] + "}Invoice"
NSMAP = {None: NS["inv"], "cac": NS["cac"], "cbc": NS["cbc"], "ext": NS["ext"]}
VAT_NAME = "KDV"
#: the customs ministry: the accounting customer of every IHRACAT invoice
CUSTOMS = Party(
    kind=PartyKind.COMPANY,
    tax_id="1460415308",
    company_name="Gümrük ve Ticaret Bakanlığı Gümrükler Genel Müdürlüğü-Bilgi İşlem Dairesi Başkanlığı",
    tax_office="Ulus",
    address=Address(lines=["-"], district="Ulus", city="Ankara", country="TR"),
)
#: UN/ECE 4461 payment means for the e-Arşiv payment methods
PAYMENT_MEANS = {
    PaymentMethod.CARD: "48",
    PaymentMethod.TRANSFER: "42",
    PaymentMethod.CASH_ON_DELIVERY: "10",
    PaymentMethod.PAYMENT_AGENT: "ZZZ",
    PaymentMethod.OTHER: "ZZZ",
}


def _header(root: Element, inv: Invoice) -> None:
    extensions_placeholder(root)
    cbc(root, "UBLVersionID", UBL_VERSION)
    cbc(root, "CustomizationID", CUSTOMIZATION)
    cbc(root, "ProfileID", inv.profile)
    cbc(root, "ID", inv.number)
    cbc(root, "CopyIndicator", "false")
    cbc(root, "UUID", inv.uuid)
    cbc(root, "IssueDate", date_text(local(inv.issued_at).date()))
    cbc(root, "IssueTime", time_text(inv.issued_at))
    cbc(root, "InvoiceTypeCode", inv.type_code)
    for note in inv.notes:
        cbc(root, "Note", note)
    cbc(root, "DocumentCurrencyCode", inv.currency)
    cbc(root, "LineCountNumeric", str(len(inv.lines)))


def _references(root: Element, inv: Invoice) -> None:
    if inv.order_number:
        ref = cac(root, "OrderReference")
        cbc(ref, "ID", inv.order_number)
        cbc(ref, "IssueDate", date_text(inv.order_date or local(inv.issued_at).date()))
    if inv.billing_reference:
        doc = cac(cac(root, "BillingReference"), "InvoiceDocumentReference")
        cbc(doc, "ID", inv.billing_reference.number)
        cbc(doc, "IssueDate", date_text(inv.billing_reference.issue_date))
        cbc(doc, "DocumentTypeCode", inv.billing_reference.document_type_code)
    if inv.profile == "EARSIVFATURA":
        _earsiv_references(root, inv)
    assert inv.number is not None  # build_invoice refuses an unnumbered draft
    xslt.embed(root, inv.number, date_text(local(inv.issued_at).date()))


def _doc_ref(
    root: Element, ident: str, issued: str, code: str, description: str | None = None
) -> None:
    ref = cac(root, "AdditionalDocumentReference")
    cbc(ref, "ID", ident)
    cbc(ref, "IssueDate", issued)
    cbc(ref, "DocumentTypeCode", code)
    if description:
        cbc(ref, "DocumentDescription", description)


def _earsiv_references(root: Element, inv: Invoice) -> None:
    # spelling as Odoo emits for Nilvera (l10n_tr_nilvera_einvoice expected XMLs)
    issued = date_text(local(inv.issued_at).date())
    _doc_ref(root, "ELEKTRONIK", issued, "SEND_TYPE")
    sale = inv.internet_sale
    if sale is None:
        return
    _doc_ref(root, ".", issued, "IS_INTERNET")
    _doc_ref(root, sale.website, issued, "INT_WEBSITE")
    _doc_ref(root, sale.payment_method.value, issued, "INT_PAYMENT_METHOD", sale.payment_agent)
    _doc_ref(root, date_text(sale.payment_date), issued, "INT_PAYMENTDATE")


def _seller_registrations(root: Element, seller: Party) -> None:
    """MERSİS and trade-register numbers as further ``PartyIdentification``s of the supplier
    (schemeIDs ``MERSISNO`` and ``TICARETSICILNO`` from GİB's PartyIdentificationIDType list),
    right after its VKN/TCKN."""
    extra = [("MERSISNO", seller.mersis_no), ("TICARETSICILNO", seller.trade_register_no)]
    extra = [(scheme, value) for scheme, value in extra if value]
    if not extra:
        return
    party = root.find(f"{CAC}AccountingSupplierParty/{CAC}Party")
    assert party is not None
    at = party.index(party.find(CAC + "PartyIdentification")) + 1
    for offset, (scheme, value) in enumerate(extra):
        ident = etree.Element(CAC + "PartyIdentification")
        cbc(ident, "ID", value, schemeID=scheme)
        party.insert(at + offset, ident)


def _parties(root: Element, inv: Invoice) -> None:
    if inv.profile == "IHRACAT":
        build_party(cac(root, "AccountingCustomerParty"), CUSTOMS)
        build_party(
            cac(root, "BuyerCustomerParty"),
            inv.buyer,
            identification=("PARTYTYPE", "EXPORT"),
            legal_name=True,
        )
    else:
        build_party(cac(root, "AccountingCustomerParty"), inv.buyer)


def _carrier(delivery: Element, sale: InternetSale) -> None:
    """The company that carries the parcel: its own VKN/TCKN, title and registered office."""
    assert sale.carrier_tax_id and sale.carrier_name and sale.carrier_address
    party = cac(delivery, "CarrierParty")
    tax_id = sale.carrier_tax_id
    scheme = "VKN" if len(tax_id) == 10 else "TCKN"
    cbc(cac(party, "PartyIdentification"), "ID", tax_id, schemeID=scheme)
    cbc(cac(party, "PartyName"), "Name", sale.carrier_name)
    build_address(party, "PostalAddress", sale.carrier_address)


def _delivery(root: Element, inv: Invoice) -> None:
    sale, terms = inv.internet_sale, inv.export_terms
    # a carrier is written only when known by its tax id (never an empty identification)
    has_carrier = bool(sale and sale.carrier_tax_id and sale.carrier_name and sale.carrier_address)
    if not (has_carrier or (sale and sale.send_date) or terms):
        return
    delivery = cac(root, "Delivery")
    if terms and terms.delivery_address:
        build_address(delivery, "DeliveryAddress", terms.delivery_address)
    if sale and has_carrier:
        _carrier(delivery, sale)
    if sale and sale.send_date:
        cbc(cac(delivery, "Despatch"), "ActualDespatchDate", date_text(sale.send_date))
    if terms:
        cbc(cac(delivery, "DeliveryTerms"), "ID", terms.incoterms, schemeID="INCOTERMS")
        shipment = cac(delivery, "Shipment")
        cbc(shipment, "ID", "")
        cbc(cac(shipment, "ShipmentStage"), "TransportModeCode", terms.transport_mode)


def _payment(root: Element, inv: Invoice) -> None:
    sale = inv.internet_sale
    if sale is None:
        return
    means = cac(root, "PaymentMeans")
    cbc(means, "PaymentMeansCode", PAYMENT_MEANS[sale.payment_method])
    cbc(means, "PaymentDueDate", date_text(sale.payment_date))


def _exchange_rate(root: Element, inv: Invoice) -> None:
    if inv.currency == "TRY" or inv.exchange_rate is None:
        return
    rate = cac(root, "PricingExchangeRate")
    cbc(rate, "SourceCurrencyCode", inv.currency)
    cbc(rate, "TargetCurrencyCode", "TRY")
    cbc(rate, "CalculationRate", number(inv.exchange_rate))
    cbc(rate, "Date", date_text(local(inv.issued_at).date()))


def _subtotal(
    parent: Element,
    rate: Decimal,
    taxable: Decimal,
    tax: Decimal,
    exemption: tuple[str | None, str | None],
    currency: str,
    tax_type_code: str = "0015",
) -> None:
    # plain values rather than a TaxSubtotal model: lines call this on the build hot path
    el = cac(parent, "TaxSubtotal")
    amount(el, "TaxableAmount", taxable, currency)
    amount(el, "TaxAmount", tax, currency)
    cbc(el, "Percent", number(rate))
    category = cac(el, "TaxCategory")
    code, reason = exemption
    if code:
        cbc(category, "TaxExemptionReasonCode", code)
        cbc(category, "TaxExemptionReason", reason or code)
    scheme = cac(category, "TaxScheme")
    cbc(scheme, "Name", VAT_NAME)
    cbc(scheme, "TaxTypeCode", tax_type_code)


def _tax_total(root: Element, inv: Invoice) -> None:
    total = cac(root, "TaxTotal")
    amount(total, "TaxAmount", inv.totals.tax_total, inv.currency)
    for sub_ in inv.tax_subtotals:
        exemption = (sub_.exemption_code, sub_.exemption_reason)
        _subtotal(
            total,
            sub_.rate,
            sub_.taxable_amount,
            sub_.tax_amount,
            exemption,
            inv.currency,
            sub_.tax_type_code,
        )


def _monetary_total(root: Element, inv: Invoice) -> None:
    t, cur = inv.totals, inv.currency
    el = cac(root, "LegalMonetaryTotal")
    amount(el, "LineExtensionAmount", t.line_extension, cur)
    amount(el, "TaxExclusiveAmount", t.tax_exclusive, cur)
    amount(el, "TaxInclusiveAmount", t.tax_inclusive, cur)
    amount(el, "AllowanceTotalAmount", t.allowance_total, cur)
    amount(el, "PayableAmount", t.payable, cur)


def _line_delivery(el: Element, line: InvoiceLine) -> None:
    delivery = cac(el, "Delivery")
    shipment = cac(delivery, "Shipment")
    cbc(shipment, "ID", "")
    cbc(cac(shipment, "GoodsItem"), "RequiredCustomsID", line.hs_code)


def _item(el: Element, line: InvoiceLine) -> None:
    item = cac(el, "Item")
    cbc(item, "Name", line.name)
    if line.sku:
        cbc(cac(item, "SellersItemIdentification"), "ID", line.sku)
    if line.barcode:
        cbc(cac(item, "ManufacturersItemIdentification"), "ID", line.barcode)


def _line(root: Element, line: InvoiceLine, cur: str) -> None:
    el = cac(root, "InvoiceLine")
    cbc(el, "ID", str(line.id))
    cbc(el, "InvoicedQuantity", number(line.quantity), unitCode=line.unit_code)
    amount(el, "LineExtensionAmount", line.line_extension, cur)
    if line.order_line_id:
        cbc(cac(el, "OrderLineReference"), "LineID", line.order_line_id)
    if line.hs_code:
        _line_delivery(el, line)
    if line.discount:
        charge = cac(el, "AllowanceCharge")
        cbc(charge, "ChargeIndicator", "false")
        amount(charge, "Amount", line.discount, cur)
        amount(charge, "BaseAmount", line.line_extension + line.discount, cur)
    tax = cac(el, "TaxTotal")
    amount(tax, "TaxAmount", line.vat_amount, cur)
    exemption = (line.exemption_code, line.exemption_reason)
    _subtotal(tax, line.vat_rate, line.line_extension, line.vat_amount, exemption, cur)
    _item(el, line)
    sub(cac(el, "Price"), CBC + "PriceAmount", number(line.unit_price), currencyID=cur)


def build_invoice(invoice: Invoice) -> bytes:
    """The UBL-TR 1.2 XML (UTF-8) of ``invoice``, unsigned (see :func:`extensions_placeholder`).

    Builds what it is given; :func:`kervan_ubltr.build_valid` is the gate that refuses
    documents GİB or our arithmetic would reject.
    """
    if invoice.number is None:
        raise InvalidInputError(
            f"invoice {invoice.uuid} has no number yet: a number is taken when the document "
            "is committed to leave, and only a numbered invoice has XML"
        )
    root = new_root(INVOICE, NSMAP)
    _header(root, invoice)
    _references(root, invoice)
    seller_blocks(root, invoice.seller, invoice.number, "AccountingSupplierParty")
    _seller_registrations(root, invoice.seller)
    _parties(root, invoice)
    _delivery(root, invoice)
    _payment(root, invoice)
    _exchange_rate(root, invoice)
    _tax_total(root, invoice)
    _monetary_total(root, invoice)
    for line in invoice.lines:
        _line(root, line, invoice.currency)
    return serialize(root)
