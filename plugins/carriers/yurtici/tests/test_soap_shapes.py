"""The SOAP we send and the SOAP the sandbox answers, element by element, against the
operation shapes documented in the README (third-party clients of ShippingOrderDispatcherServices)."""

from __future__ import annotations

import pytest
from kervan.errors import InvalidResponseError, RemoteRejectedError, RemoteUnavailableError
from kervan_sdk.sandbox import Fault
from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SHIP = "http://yurticikargo.com.tr/ShippingOrderDispatcherServices"
PATH = "/KOPSWebServices/ShippingOrderDispatcherServices"

# the WSDL's ShippingOrderVO sequence (classes generated from the real WSDL; see the README)
SHIPPING_ORDER_VO = [
    "cargoKey",
    "invoiceKey",
    "receiverCustName",
    "receiverAddress",
    "cityName",
    "townName",
    "receiverPhone1",
    "receiverPhone2",
    "receiverPhone3",
    "emailAddress",
    "taxOfficeId",
    "taxNumber",
    "taxOfficeName",
    "desi",
    "kg",
    "cargoCount",
    "waybillNo",
    "specialField1",
    "specialField2",
    "specialField3",
    "ttInvoiceAmount",
    "ttDocumentId",
    "ttCollectionType",
    "ttDocumentSaveType",
    "dcSelectedCredit",
    "dcCreditRule",
    "description",
    "orgGeoCode",
    "privilegeOrder",
    "custProdId",
    "orgReceiverCustId",
]
#: elements the WSDL requires in every ShippingOrderVO
REQUIRED_VO = ["taxOfficeId", "cargoCount", "ttDocumentId", "dcSelectedCredit", "dcCreditRule"]


def operation_of(envelope: bytes) -> etree._Element:
    root = etree.fromstring(envelope)
    assert root.tag == f"{{{SOAP}}}Envelope"
    body = root.find(f"{{{SOAP}}}Body")
    assert body is not None
    (operation,) = list(body)
    assert etree.QName(operation).namespace == SHIP
    for child in operation.iter():
        if child is not operation:
            assert etree.QName(child).namespace is None, f"{child.tag} must be unqualified"
    return operation


def names(el: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in el]


def child(el: etree._Element, path: str) -> etree._Element:
    found = el.find(path)
    assert found is not None, f"no {path} under {el.tag}"
    return found


def response_of(sandbox, index: int = -1) -> etree._Element:
    """Re-run the sandbox on a recorded request to look at its answer."""
    answer = sandbox.handle(sandbox.envelopes[index])
    root = etree.fromstring(answer.body)
    (op_response,) = list(child(root, f"{{{SOAP}}}Body"))
    return op_response


async def test_create_shipment_request_is_the_documented_shape(carrier, sandbox, make_package):
    package = make_package("KRVSHAPE01", parcel_count=2)
    await carrier.create_shipment(package)
    operation = operation_of(sandbox.envelopes[0])
    assert etree.QName(operation).localname == "createShipment"
    assert names(operation) == ["wsUserName", "wsPassword", "userLanguage", "ShippingOrderVO"]
    assert [operation.findtext(n) for n in ("wsUserName", "wsPassword", "userLanguage")] == [
        "YKTEST",
        "yk-sandbox-password",
        "TR",
    ]
    vo = child(operation, "ShippingOrderVO")
    sent = names(vo)
    assert set(sent) <= set(SHIPPING_ORDER_VO)
    assert sent == sorted(sent, key=SHIPPING_ORDER_VO.index), "fields in the WSDL's order"
    assert set(REQUIRED_VO) <= set(sent), "the WSDL's required elements are all sent"
    assert [vo.findtext(n) for n in ("taxOfficeId", "dcSelectedCredit", "dcCreditRule")] == [
        "0",
        "0",
        "1",
    ]
    assert vo.findtext("ttDocumentId") == "0", "no cash-on-delivery document"
    assert vo.findtext("cargoKey") == "KRVSHAPE01"
    assert vo.findtext("invoiceKey") == "KRV2026000000001"
    assert vo.findtext("receiverCustName") == "Ayşe Yılmaz"
    # 10–200 characters fits every public source; city and district go in their own fields
    assert vo.findtext("receiverAddress") == "Caferağa Mah. Moda Cad. No:5 D:3"
    assert vo.findtext("receiverPhone1") == "5321234567"
    assert (vo.findtext("cityName"), vo.findtext("townName")) == ("İstanbul", "Kadıköy")
    assert (vo.findtext("desi"), vo.findtext("kg"), vo.findtext("cargoCount")) == ("4", "2.5", "2")
    assert vo.findtext("taxNumber") is None, "the GİB placeholder TCKN is not sent"
    assert vo.findtext("ttCollectionType") is None, "no cash on delivery"


async def test_create_shipment_response_is_the_documented_shape(carrier, sandbox, make_package):
    await carrier.create_shipment(make_package("KRVSHAPE02"))
    sandbox.shipments.clear()  # so replaying the request creates it again
    response = response_of(sandbox)
    assert response.tag == f"{{{SHIP}}}createShipmentResponse"
    (vo,) = list(response)
    assert vo.tag == "ShippingOrderResultVO"
    # the WSDL's shippingOrderResultVO: outFlag, outResult, (errCode), count, jobId, details
    assert names(vo) == ["outFlag", "outResult", "count", "jobId", "shippingOrderDetailVO"]
    assert vo.findtext("outFlag") == "0"
    detail = child(vo, "shippingOrderDetailVO")
    assert names(detail) == ["cargoKey", "errCode", "invoiceKey"]
    assert (detail.findtext("cargoKey"), detail.findtext("errCode")) == ("KRVSHAPE02", "0")


async def test_cash_on_delivery_fields(carrier, sandbox, make_package):
    await carrier.create_shipment(make_package("KRVCOD0001", cod_amount="249.90"))
    vo = child(operation_of(sandbox.envelopes[0]), "ShippingOrderVO")
    assert vo.findtext("ttCollectionType") == "0"
    assert vo.findtext("ttInvoiceAmount") == "249.90"
    # ttDocumentId is an xs:long of at most 12 digits: the COD invoice number's last 12 digits
    # (KRV2026000000001 → 026000000001), never the cargo key's text
    assert vo.findtext("ttDocumentId") == "26000000001"
    assert vo.findtext("ttDocumentSaveType") == "0"


async def test_query_shipment_request_and_response(carrier, sandbox, clock, make_package):
    await carrier.create_shipment(make_package("KRVQUERY01"))
    clock.advance(5 * 3600)
    await carrier.track(["KRVQUERY01", "NOSUCHKEY"])
    operation = operation_of(sandbox.envelopes[-1])
    assert etree.QName(operation).localname == "queryShipment"
    assert names(operation) == [
        "wsUserName",
        "wsPassword",
        "wsLanguage",
        "keys",
        "keys",
        "keyType",
        "addHistoricalData",
        "onlyTracking",
    ]
    assert [k.text for k in operation.findall("keys")] == ["KRVQUERY01", "NOSUCHKEY"]
    assert (
        operation.findtext("keyType"),
        operation.findtext("addHistoricalData"),
        operation.findtext("onlyTracking"),
    ) == ("0", "true", "false")

    response = response_of(sandbox)
    assert response.tag == f"{{{SHIP}}}queryShipmentResponse"
    (vo,) = list(response)
    assert vo.tag == "ShippingDeliveryVO"
    assert names(vo)[:4] == ["outFlag", "outResult", "count", "senderCustId"]
    found, missing = vo.findall("shippingDeliveryDetailVO")
    assert names(found) == [
        "cargoKey",
        "errCode",
        "invoiceKey",
        "jobId",
        "operationCode",
        "operationMessage",
        "operationStatus",
        "shippingDeliveryItemDetailVO",
    ]
    assert (found.findtext("operationStatus"), found.findtext("operationCode")) == ("IND", "1")
    item = child(found, "shippingDeliveryItemDetailVO")
    assert item.findtext("docId", "").isdigit(), "docId lives in the item detail only"
    assert item.findtext("trackingUrl").startswith("https://")
    history = item.findall("invDocCargoVOArray")
    assert [h.findtext("eventName") for h in history] == ["Kargo Kabul Edildi", "Kargo Yüklendi"]
    assert names(history[0]) == [
        "unitName",
        "eventName",
        "reasonName",
        "eventDate",
        "eventTime",
        "cityName",
        "townName",
    ]
    assert len(history[0].findtext("eventDate")) == 8 and len(history[0].findtext("eventTime")) == 6
    assert (missing.findtext("cargoKey"), missing.findtext("errCode")) == ("NOSUCHKEY", "80859")


async def test_cancel_shipment_request_and_response(carrier, sandbox, make_package):
    await carrier.create_shipment(make_package("KRVCANCEL1"))
    await carrier.cancel_shipment("KRVCANCEL1")
    operation = operation_of(sandbox.envelopes[-1])
    assert etree.QName(operation).localname == "cancelShipment"
    assert names(operation) == ["wsUserName", "wsPassword", "userLanguage", "cargoKeys"]
    assert operation.findtext("cargoKeys") == "KRVCANCEL1"
    sandbox.shipments["KRVCANCEL1"].cancelled_at = None  # replay as the first cancel
    response = response_of(sandbox)
    assert response.tag == f"{{{SHIP}}}cancelShipmentResponse"
    (vo,) = list(response)
    assert vo.tag == "ShippingOrderResultVO"
    detail = child(vo, "shippingCancelDetailVO")
    assert names(detail) == [
        "cargoKey",
        "docId",
        "errCode",
        "invoiceKey",
        "jobId",
        "operationCode",
        "operationMessage",
        "operationStatus",
    ]
    assert (
        detail.findtext("operationStatus"),
        detail.findtext("operationCode"),
        detail.findtext("errCode"),
    ) == ("CNL", "3", "0")


def test_sandbox_answers_a_fault_to_what_it_cannot_read(sandbox):
    answer = sandbox.handle(b"<not-xml")
    assert answer.status_code == 500
    root = etree.fromstring(answer.body)
    fault = root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None
    assert fault.findtext("faultcode") == "soap:Client"
    wrong_ns = b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><createShipment xmlns="urn:other"/></soapenv:Body></soapenv:Envelope>'
    assert sandbox.handle(wrong_ns).status_code == 500


def test_sandbox_requires_the_language_element_the_operation_uses(sandbox):
    # createShipment takes userLanguage; wsLanguage is not in its WSDL type
    envelope = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:ship="{SHIP}"><soapenv:Body><ship:createShipment>'
        "<wsUserName>YKTEST</wsUserName><wsPassword>yk-sandbox-password</wsPassword><wsLanguage>TR</wsLanguage>"
        "</ship:createShipment></soapenv:Body></soapenv:Envelope>"
    ).encode()
    answer = sandbox.handle(envelope)
    assert answer.status_code == 500
    assert b"wsLanguage" in answer.body
    no_language = envelope.replace(b"<wsLanguage>TR</wsLanguage>", b"")
    vo = etree.fromstring(sandbox.handle(no_language).body).find(
        f".//{{{SHIP}}}createShipmentResponse/ShippingOrderResultVO"
    )
    assert vo.findtext("outFlag") == "1"
    assert "dili boş olamaz" in vo.findtext("outResult")


async def test_soap_client_fault_is_a_rejection(carrier, sandbox, make_package):
    body = f'<S:Envelope xmlns:S="{SOAP}"><S:Body><S:Fault><faultcode>S:Client</faultcode><faultstring>Unmarshalling Error</faultstring></S:Fault></S:Body></S:Envelope>'
    sandbox.faults.add(Fault("status", path=PATH, status=500, body=body))
    with pytest.raises(RemoteRejectedError, match="Unmarshalling Error"):
        await carrier.create_shipment(make_package())


async def test_soap_server_fault_is_unavailable_and_retryable(carrier, sandbox):
    body = f'<S:Envelope xmlns:S="{SOAP}"><S:Body><S:Fault><faultcode>S:Server</faultcode><faultstring>DB down</faultstring></S:Fault></S:Body></S:Envelope>'
    sandbox.faults.add(Fault("status", path=PATH, status=500, body=body))
    with pytest.raises(RemoteUnavailableError) as info:
        await carrier.track(["X"])
    assert info.value.retryable


async def test_malformed_answer_is_an_invalid_response(carrier, sandbox):
    sandbox.faults.add(Fault("malformed", path=PATH))
    with pytest.raises(InvalidResponseError):
        await carrier.track(["X"])


async def test_whole_desi_and_kg_are_plain_numbers(carrier, sandbox, make_package):
    from decimal import Decimal

    await carrier.create_shipment(
        make_package("KRVBIG0001", desi=Decimal(40), weight_kg=Decimal(30))
    )
    vo = child(operation_of(sandbox.envelopes[0]), "ShippingOrderVO")
    assert (vo.findtext("desi"), vo.findtext("kg")) == ("40", "30")
