"""UBL-TR XML → domain documents (incoming invoices and despatch advices; round trips).

``parse(build_invoice(inv))`` equals ``inv`` in every field the XML carries. Not carried (they
live in the envelope or in our store): ``id``, ``tenant_id``, ``order_id``, ``sender_alias``,
``receiver_alias`` (except IHRACAT's fixed one), ``status``, ``remote_id``, ``status_detail``.
The parser sets ``id`` to ``"<kind>:<uuid>"`` and ``tenant_id`` to what the caller passes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from kervan.domain import (
    Address,
    BillingReference,
    DespatchAdvice,
    DespatchLine,
    DocumentKind,
    Driver,
    ExportTerms,
    InternetSale,
    Invoice,
    InvoiceLine,
    Party,
    PaymentMethod,
    TaxSubtotal,
    Totals,
)
from kervan.errors import InvalidInputError
from kervan.tax import CUSTOMS_ALIAS, EXPORT_EXEMPTION_CODE
from kervan.xml import parse_untrusted

from .despatch_xml import DESPATCH
from .invoice_xml import INVOICE
from .parties import parse_address, parse_party
from .xmlutil import CAC, CBC, Element, combine, path, text_of

ZERO = Decimal("0.00")


def _dec(el: Element | None, p: str, default: Decimal | None = None) -> Decimal:
    value = text_of(el, p)
    if value is None:
        if default is None:
            raise InvalidInputError(f"missing {p.rsplit('}', 1)[-1]}")
        return default
    return Decimal(value)


def _req(el: Element, p: str) -> str:
    value = text_of(el, p)
    if value is None:
        raise InvalidInputError(f"missing {p.rsplit('}', 1)[-1]}")
    return value


def _subtotal(el: Element) -> TaxSubtotal:
    return TaxSubtotal(
        tax_type_code=_req(el, path("cac:TaxCategory", "cac:TaxScheme", "cbc:TaxTypeCode")),
        rate=_dec(el, CBC + "Percent", Decimal(0)),
        taxable_amount=_dec(el, CBC + "TaxableAmount"),
        tax_amount=_dec(el, CBC + "TaxAmount"),
        exemption_code=text_of(el, path("cac:TaxCategory", "cbc:TaxExemptionReasonCode")),
        exemption_reason=text_of(el, path("cac:TaxCategory", "cbc:TaxExemptionReason")),
    )


def _line(el: Element) -> InvoiceLine:
    qty = el.find(CBC + "InvoicedQuantity")
    assert qty is not None and qty.text
    tax = el.find(path("cac:TaxTotal", "cac:TaxSubtotal"))
    if tax is None:
        raise InvalidInputError(f"InvoiceLine {text_of(el, CBC + 'ID')} has no TaxTotal")
    sub = _subtotal(tax)
    return InvoiceLine(
        id=int(_req(el, CBC + "ID")),
        name=_req(el, path("cac:Item", "cbc:Name")),
        quantity=Decimal(qty.text.strip()),
        unit_code=qty.get("unitCode", "C62"),
        unit_price=_dec(el, path("cac:Price", "cbc:PriceAmount")),
        discount=_dec(el, path("cac:AllowanceCharge", "cbc:Amount"), ZERO),
        line_extension=_dec(el, CBC + "LineExtensionAmount"),
        vat_rate=sub.rate,
        vat_amount=_dec(el, path("cac:TaxTotal", "cbc:TaxAmount")),
        exemption_code=sub.exemption_code,
        exemption_reason=sub.exemption_reason,
        barcode=text_of(el, path("cac:Item", "cac:ManufacturersItemIdentification", "cbc:ID")),
        sku=text_of(el, path("cac:Item", "cac:SellersItemIdentification", "cbc:ID")),
        hs_code=text_of(
            el, path("cac:Delivery", "cac:Shipment", "cac:GoodsItem", "cbc:RequiredCustomsID")
        ),
        order_line_id=text_of(el, path("cac:OrderLineReference", "cbc:LineID")),
    )


def _totals(root: Element) -> Totals:
    t = root.find(CAC + "LegalMonetaryTotal")
    return Totals(
        line_extension=_dec(t, CBC + "LineExtensionAmount"),
        allowance_total=_dec(t, CBC + "AllowanceTotalAmount", ZERO),
        tax_exclusive=_dec(t, CBC + "TaxExclusiveAmount"),
        tax_total=_dec(root, path("cac:TaxTotal", "cbc:TaxAmount")),
        tax_inclusive=_dec(t, CBC + "TaxInclusiveAmount"),
        payable=_dec(t, CBC + "PayableAmount"),
    )


def _doc_refs(root: Element) -> dict[str, Element]:
    refs = {}
    for ref in root.iterfind(CAC + "AdditionalDocumentReference"):
        code = text_of(ref, CBC + "DocumentTypeCode")
        if code:
            refs[code] = ref
    return refs


def _carrier_address(carrier: Element | None) -> Address | None:
    address = carrier.find(CAC + "PostalAddress") if carrier is not None else None
    return parse_address(address) if address is not None else None


def _internet_sale(root: Element) -> InternetSale | None:
    refs = _doc_refs(root)
    if "IS_INTERNET" not in refs:
        return None
    method = refs.get("INT_PAYMENT_METHOD")
    paid = text_of(refs.get("INT_PAYMENTDATE"), CBC + "ID")
    carrier = root.find(path("cac:Delivery", "cac:CarrierParty"))
    sent = text_of(root, path("cac:Delivery", "cac:Despatch", "cbc:ActualDespatchDate"))
    return InternetSale(
        website=text_of(refs["INT_WEBSITE"], CBC + "ID") or "-",
        payment_method=PaymentMethod(text_of(method, CBC + "ID") or PaymentMethod.OTHER.value),
        payment_agent=text_of(method, CBC + "DocumentDescription"),
        payment_date=paid or _req(root, CBC + "IssueDate"),
        carrier_name=text_of(carrier, path("cac:PartyName", "cbc:Name")),
        carrier_tax_id=text_of(carrier, path("cac:PartyIdentification", "cbc:ID")),
        carrier_address=_carrier_address(carrier),
        send_date=sent,
    )


def _billing_reference(root: Element) -> BillingReference | None:
    doc = root.find(path("cac:BillingReference", "cac:InvoiceDocumentReference"))
    if doc is None:
        return None
    return BillingReference(
        number=_req(doc, CBC + "ID"),
        issue_date=_req(doc, CBC + "IssueDate"),
        document_type_code=text_of(doc, CBC + "DocumentTypeCode") or "IADE",
    )


def _export_terms(root: Element) -> ExportTerms | None:
    delivery = root.find(CAC + "Delivery")
    incoterms = text_of(delivery, path("cac:DeliveryTerms", "cbc:ID"))
    if delivery is None or incoterms is None:
        return None
    address = delivery.find(CAC + "DeliveryAddress")
    return ExportTerms(
        incoterms=incoterms,
        transport_mode=text_of(
            delivery, path("cac:Shipment", "cac:ShipmentStage", "cbc:TransportModeCode")
        )
        or "3",
        delivery_address=parse_address(address) if address is not None else None,
    )


def _buyer(root: Element, profile: str) -> Party:
    export = profile == "IHRACAT"
    where = "cac:BuyerCustomerParty" if export else "cac:AccountingCustomerParty"
    party = root.find(path(where, "cac:Party"))
    if party is None:
        raise InvalidInputError("the invoice has no customer party")
    return parse_party(party, legal_name=export)


def _kind(profile: str, lines: list[InvoiceLine]) -> DocumentKind:
    if profile == "IHRACAT":
        return DocumentKind.EXPORT
    if profile == "EARSIVFATURA":
        exported = all(x.exemption_code == EXPORT_EXEMPTION_CODE for x in lines)
        return DocumentKind.EXPORT if exported else DocumentKind.EARSIV
    return DocumentKind.EFATURA


def _exchange_rate(root: Element) -> Decimal | None:
    value = text_of(root, path("cac:PricingExchangeRate", "cbc:CalculationRate"))
    return Decimal(value) if value else None


def parse_invoice(root: Element, tenant_id: str = "incoming") -> Invoice:
    profile = _req(root, CBC + "ProfileID")
    lines = [_line(el) for el in root.iterfind(CAC + "InvoiceLine")]
    kind = _kind(profile, lines)
    uuid = _req(root, CBC + "UUID")
    order_ref = root.find(CAC + "OrderReference")
    supplier = root.find(path("cac:AccountingSupplierParty", "cac:Party"))
    if supplier is None:
        raise InvalidInputError("the invoice has no supplier party")
    fields: dict[str, Any] = {
        "id": f"{kind.value}:{uuid}",
        "tenant_id": tenant_id,
        "uuid": uuid,
        "number": _req(root, CBC + "ID"),
        "kind": kind,
        "profile": profile,
        "type_code": _req(root, CBC + "InvoiceTypeCode"),
        "issued_at": combine(_req(root, CBC + "IssueDate"), text_of(root, CBC + "IssueTime")),
        "currency": _req(root, CBC + "DocumentCurrencyCode"),
        "exchange_rate": _exchange_rate(root),
        "seller": parse_party(supplier),
        "buyer": _buyer(root, profile),
        "receiver_alias": CUSTOMS_ALIAS if profile == "IHRACAT" else None,
        "order_number": text_of(order_ref, CBC + "ID"),
        "order_date": text_of(order_ref, CBC + "IssueDate"),
        "lines": lines,
        "tax_subtotals": [
            _subtotal(el) for el in root.iterfind(path("cac:TaxTotal", "cac:TaxSubtotal"))
        ],
        "totals": _totals(root),
        "notes": [(n.text or "") for n in root.iterfind(CBC + "Note")],
        "internet_sale": _internet_sale(root) if profile == "EARSIVFATURA" else None,
        "billing_reference": _billing_reference(root),
        "export_terms": _export_terms(root),
    }
    return Invoice(**fields)


def _driver(shipment: Element) -> Driver | None:
    person = shipment.find(path("cac:ShipmentStage", "cac:DriverPerson"))
    if person is None:
        return None
    return Driver(
        first_name=_req(person, CBC + "FirstName"),
        last_name=_req(person, CBC + "FamilyName"),
        national_id=_req(person, CBC + "NationalityID"),
        plate=_req(
            shipment,
            path(
                "cac:ShipmentStage", "cac:TransportMeans", "cac:RoadTransport", "cbc:LicensePlateID"
            ),
        ),
    )


def _despatch_line(el: Element) -> DespatchLine:
    qty = el.find(CBC + "DeliveredQuantity")
    assert qty is not None and qty.text
    return DespatchLine(
        id=int(_req(el, CBC + "ID")),
        name=_req(el, path("cac:Item", "cbc:Name")),
        quantity=Decimal(qty.text.strip()),
        unit_code=qty.get("unitCode", "C62"),
        order_line_id=_req(el, path("cac:OrderLineReference", "cbc:LineID")),
        barcode=text_of(el, path("cac:Item", "cac:ManufacturersItemIdentification", "cbc:ID")),
    )


def _party_at(root: Element, p: str) -> Party:
    el = root.find(p)
    if el is None:
        raise InvalidInputError(f"missing {p.rsplit('}', 1)[-1]}")
    return parse_party(el)


def _despatch_refs(root: Element) -> dict[str, Any]:
    """The order (``cac:OrderReference``) and invoice (``cac:AdditionalDocumentReference``
    typed FATURA) a despatch advice refers to."""
    refs: dict[str, Any] = {}
    order = root.find(CAC + "OrderReference")
    if order is not None:
        refs["order_number"] = text_of(order, CBC + "ID")
        day = text_of(order, CBC + "IssueDate")
        refs["order_date"] = date.fromisoformat(day) if day else None
    for doc in root.iterfind(CAC + "AdditionalDocumentReference"):
        day = text_of(doc, CBC + "IssueDate")
        if text_of(doc, CBC + "DocumentType") == "FATURA" and day:
            refs["invoice_number"] = text_of(doc, CBC + "ID")
            refs["invoice_date"] = date.fromisoformat(day)
            break
    return refs


def parse_despatch(root: Element, tenant_id: str = "incoming") -> DespatchAdvice:
    shipment = root.find(CAC + "Shipment")
    delivery = shipment.find(CAC + "Delivery") if shipment is not None else None
    if shipment is None or delivery is None:
        raise InvalidInputError("the despatch advice has no Shipment/Delivery")
    address = delivery.find(CAC + "DeliveryAddress")
    carrier = delivery.find(CAC + "CarrierParty")
    uuid = _req(root, CBC + "UUID")
    return DespatchAdvice(
        id=f"despatch:{uuid}",
        tenant_id=tenant_id,
        uuid=uuid,
        number=_req(root, CBC + "ID"),
        profile=_req(root, CBC + "ProfileID"),
        type_code=text_of(root, CBC + "DespatchAdviceTypeCode") or "SEVK",
        issued_at=combine(_req(root, CBC + "IssueDate"), text_of(root, CBC + "IssueTime")),
        despatched_at=combine(
            _req(delivery, path("cac:Despatch", "cbc:ActualDespatchDate")),
            text_of(delivery, path("cac:Despatch", "cbc:ActualDespatchTime")),
        ),
        seller=_party_at(root, path("cac:DespatchSupplierParty", "cac:Party")),
        receiver=_party_at(root, path("cac:DeliveryCustomerParty", "cac:Party")),
        delivery_address=parse_address(address) if address is not None else None,
        carrier=parse_party(carrier) if carrier is not None else None,
        driver=_driver(shipment),
        lines=[_despatch_line(el) for el in root.iterfind(CAC + "DespatchLine")],
        notes=[(n.text or "") for n in root.iterfind(CBC + "Note")],
        **_despatch_refs(root),
    )


def parse(xml: bytes, *, tenant_id: str = "incoming") -> Invoice | DespatchAdvice:
    """Parse a UBL-TR invoice or despatch advice into the domain model.

    Raises :class:`~kervan.errors.InvalidInputError` for XML that is not well formed or that
    the hardened parser refuses (:class:`kervan.xml.UntrustedXmlError`: a DTD, an external
    load, over the size limit), another document type, or a document missing what the domain
    model needs.
    """
    root = parse_untrusted(xml, source="the UBL document")
    try:
        if root.tag == INVOICE:
            return parse_invoice(root, tenant_id)
        if root.tag == DESPATCH:
            return parse_despatch(root, tenant_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"cannot read the document: {exc}") from exc
    raise InvalidInputError(f"not a UBL-TR invoice or despatch advice: {root.tag}")
