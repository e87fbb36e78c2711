"""UBL-TR 1.2 e-İrsaliye (DespatchAdvice) builder: TEMELIRSALIYE / SEVK.

Used for goods that move without a sale (exchanges, missing parts): the advice then carries
:data:`kervan.despatch.TRANSPORT_ONLY_NOTE` and refers to its order (``cac:OrderReference``,
ID and IssueDate both required by GİB's XSD) and the sale's invoice
(``cac:AdditionalDocumentReference``). GİB's schematron wants a despatch date and time, a
delivery address with a 5-digit postal code, and either a carrier party or a driver with a
plate.
"""

from __future__ import annotations

from kervan.despatch import TRANSPORT_ONLY_NOTE
from kervan.domain import DespatchAdvice, DespatchLine, Driver

from .parties import build_address, build_party, seller_blocks
from .xmlutil import (
    CAC,
    CUSTOMIZATION,
    NS,
    UBL_VERSION,
    Element,
    cac,
    cbc,
    date_text,
    extensions_placeholder,
    local,
    new_root,
    number,
    serialize,
    time_text,
)

DESPATCH = "{" + NS["desp"] + "}DespatchAdvice"
NSMAP = {None: NS["desp"], "cac": NS["cac"], "cbc": NS["cbc"], "ext": NS["ext"]}
__all__ = ["TRANSPORT_ONLY_NOTE", "build_despatch"]

#: ``cbc:DocumentType`` of the reference to the sale's invoice *(free text in UBL-TR)*
INVOICE_REFERENCE_TYPE = "FATURA"


def _header(root: Element, adv: DespatchAdvice) -> None:
    extensions_placeholder(root)
    cbc(root, "UBLVersionID", UBL_VERSION)
    cbc(root, "CustomizationID", CUSTOMIZATION)
    cbc(root, "ProfileID", adv.profile)
    cbc(root, "ID", adv.number)
    cbc(root, "CopyIndicator", "false")
    cbc(root, "UUID", adv.uuid)
    cbc(root, "IssueDate", date_text(local(adv.issued_at).date()))
    cbc(root, "IssueTime", time_text(adv.issued_at))
    cbc(root, "DespatchAdviceTypeCode", adv.type_code)
    for note in adv.notes:
        cbc(root, "Note", note)
    cbc(root, "LineCountNumeric", str(len(adv.lines)))
    if adv.order_number and adv.order_date:
        ref = cac(root, "OrderReference")
        cbc(ref, "ID", adv.order_number)
        cbc(ref, "IssueDate", date_text(adv.order_date))
    if adv.invoice_number and adv.invoice_date:
        ref = cac(root, "AdditionalDocumentReference")
        cbc(ref, "ID", adv.invoice_number)
        cbc(ref, "IssueDate", date_text(adv.invoice_date))
        cbc(ref, "DocumentType", INVOICE_REFERENCE_TYPE)


def _driver(stage: Element, driver: Driver) -> None:
    means = cac(stage, "TransportMeans")
    plate = driver.plate.replace(" ", "").upper()
    scheme = "PLAKA" if plate[:2].isdigit() else "YABANCIPLAKA"
    cbc(cac(means, "RoadTransport"), "LicensePlateID", plate, schemeID=scheme)
    person = cac(stage, "DriverPerson")
    cbc(person, "FirstName", driver.first_name)
    cbc(person, "FamilyName", driver.last_name)
    cbc(person, "Title", "Şoför")
    cbc(person, "NationalityID", driver.national_id)


def _shipment(root: Element, adv: DespatchAdvice) -> None:
    shipment = cac(root, "Shipment")
    cbc(shipment, "ID", "1")
    if adv.driver:
        _driver(cac(shipment, "ShipmentStage"), adv.driver)
    delivery = cac(shipment, "Delivery")
    build_address(delivery, "DeliveryAddress", adv.delivery_address)
    if adv.carrier:
        # CarrierParty is itself of PartyType: write a Party and rename it
        build_party(delivery, adv.carrier).tag = CAC + "CarrierParty"
    despatch = cac(delivery, "Despatch")
    cbc(despatch, "ActualDespatchDate", date_text(local(adv.despatched_at).date()))
    cbc(despatch, "ActualDespatchTime", time_text(adv.despatched_at))


def _line(root: Element, line: DespatchLine) -> None:
    el = cac(root, "DespatchLine")
    cbc(el, "ID", str(line.id))
    cbc(el, "DeliveredQuantity", number(line.quantity), unitCode=line.unit_code)
    cbc(cac(el, "OrderLineReference"), "LineID", line.order_line_id)
    item = cac(el, "Item")
    cbc(item, "Name", line.name)
    if line.barcode:
        cbc(cac(item, "ManufacturersItemIdentification"), "ID", line.barcode)


def build_despatch(advice: DespatchAdvice) -> bytes:
    """The UBL-TR 1.2 XML (UTF-8) of a despatch advice, unsigned."""
    root = new_root(DESPATCH, NSMAP)
    _header(root, advice)
    seller_blocks(root, advice.seller, advice.number, "DespatchSupplierParty")
    build_party(cac(root, "DeliveryCustomerParty"), advice.receiver, advice.delivery_address)
    _shipment(root, advice)
    for line in advice.lines:
        _line(root, line)
    return serialize(root)
