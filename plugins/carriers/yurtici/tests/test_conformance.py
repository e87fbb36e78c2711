"""Conformance of the Yurtiçi sandbox with the published ``ShippingOrderDispatcherServices`` types.

Raw SOAP 1.1 over httpx against the sandbox's ASGI app, written from the public reference
(../shared/reference/apis.md §8.2 and its 2026-12-02 corrections; the WSDL's types as generated
classes show them, repository ``wprtrkcllpoc/tcll-poc``), never through our client.
"""

from __future__ import annotations

import httpx
import pytest
from kervan_yurtici.sandbox import YurticiSandbox
from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SHIP = "http://yurticikargo.com.tr/ShippingOrderDispatcherServices"
URL = "http://yurtici.test/KOPSWebServices/ShippingOrderDispatcherServices"
LOGIN = "<wsUserName>YKTEST</wsUserName><wsPassword>yk-sandbox-password</wsPassword>"

# a ShippingOrderVO in the WSDL's sequence with every required element
VALID_VO = (
    "<cargoKey>{key}</cargoKey><invoiceKey>INV{key}</invoiceKey>"
    "<receiverCustName>Ali Veli</receiverCustName>"
    "<receiverAddress>Moda Cad. No:5 Kadıköy/İstanbul</receiverAddress>"
    "<cityName>İstanbul</cityName><townName>Kadıköy</townName>"
    "<taxOfficeId>0</taxOfficeId><desi>2</desi><kg>1.5</kg><cargoCount>1</cargoCount>"
    "<ttDocumentId>{doc}</ttDocumentId>"
    "<dcSelectedCredit>0</dcSelectedCredit><dcCreditRule>1</dcCreditRule>"
)


def envelope(operation: str, inner: str) -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:ship="{SHIP}"><soapenv:Header/>'
        f"<soapenv:Body><ship:{operation}>{inner}</ship:{operation}></soapenv:Body>"
        "</soapenv:Envelope>"
    ).encode()


def create(vo: str) -> bytes:
    return envelope(
        "createShipment",
        f"{LOGIN}<userLanguage>TR</userLanguage><ShippingOrderVO>{vo}</ShippingOrderVO>",
    )


@pytest.fixture
def sandbox() -> YurticiSandbox:
    return YurticiSandbox()


@pytest.fixture
async def http(sandbox: YurticiSandbox):
    transport = httpx.ASGITransport(app=sandbox.asgi)
    async with httpx.AsyncClient(transport=transport) as client:
        yield client


async def post(http: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await http.post(
        URL, content=body, headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    )


def result_vo(response: httpx.Response) -> etree._Element:
    assert response.status_code == 200, response.text
    (op_response,) = etree.fromstring(response.content).find(f"{{{SOAP}}}Body")
    (vo,) = op_response
    return vo


def fault_string(response: httpx.Response) -> str:
    assert response.status_code == 500
    fault = etree.fromstring(response.content).find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None
    assert fault.findtext("faultcode") == "soap:Client"
    return fault.findtext("faultstring") or ""


def local_names(el: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in el]


async def test_a_shipping_order_in_the_wsdl_order_is_accepted(http):
    vo = result_vo(await post(http, create(VALID_VO.format(key="CONF0001", doc="0"))))
    assert vo.findtext("outFlag") == "0"
    detail = vo.find("shippingOrderDetailVO")
    assert local_names(detail) == ["cargoKey", "errCode", "invoiceKey"]
    assert detail.findtext("errCode") == "0"


async def test_elements_out_of_the_wsdl_sequence_are_refused(http):
    # receiverPhone1 comes after townName in the WSDL; the old client put it before cityName
    swapped = VALID_VO.replace(
        "<cityName>İstanbul</cityName>",
        "<receiverPhone1>5321234567</receiverPhone1><cityName>İstanbul</cityName>",
    )
    assert "cityName" in fault_string(await post(http, create(swapped.format(key="K", doc="0"))))


@pytest.mark.parametrize("missing", ["taxOfficeId", "dcSelectedCredit", "dcCreditRule"])
async def test_the_required_elements_must_be_sent(http, missing):
    vo = VALID_VO.format(key="CONF0002", doc="0")
    start, end = vo.index(f"<{missing}>"), vo.index(f"</{missing}>") + len(missing) + 3
    problem = fault_string(await post(http, create(vo[:start] + vo[end:])))
    assert missing in problem


async def test_tt_document_id_must_be_a_number(http):
    # a cash-on-delivery document id cut from a cargo key such as TY-290000000 is not an xs:long
    problem = fault_string(
        await post(http, create(VALID_VO.format(key="CONF03", doc="TY-2900000")))
    )
    assert "ttDocumentId" in problem
    ok = result_vo(await post(http, create(VALID_VO.format(key="CONF04", doc="202600000001"))))
    assert ok.findtext("outFlag") == "0"


async def test_doc_id_is_only_in_the_item_detail_of_a_query(http, sandbox):
    await post(http, create(VALID_VO.format(key="CONF0005", doc="0")))
    sandbox.clock.advance(5 * 3600)  # past the branch: the shipment has a document
    query = envelope(
        "queryShipment",
        f"{LOGIN}<wsLanguage>TR</wsLanguage><keys>CONF0005</keys><keyType>0</keyType>"
        "<addHistoricalData>false</addHistoricalData><onlyTracking>false</onlyTracking>",
    )
    detail = result_vo(await post(http, query)).find("shippingDeliveryDetailVO")
    assert "docId" not in local_names(detail)
    assert local_names(detail)[:8] == [
        "cargoKey",
        "errCode",
        "invoiceKey",
        "jobId",
        "operationCode",
        "operationMessage",
        "operationStatus",
        "shippingDeliveryItemDetailVO",
    ]
    assert detail.findtext("shippingDeliveryItemDetailVO/docId", "").isdigit()


async def test_the_cancel_detail_carries_doc_id_and_job_id(http):
    await post(http, create(VALID_VO.format(key="CONF0006", doc="0")))
    cancel = envelope(
        "cancelShipment", f"{LOGIN}<userLanguage>TR</userLanguage><cargoKeys>CONF0006</cargoKeys>"
    )
    detail = result_vo(await post(http, cancel)).find("shippingCancelDetailVO")
    assert local_names(detail) == [
        "cargoKey",
        "docId",
        "errCode",
        "invoiceKey",
        "jobId",
        "operationCode",
        "operationMessage",
        "operationStatus",
    ]
    assert detail.findtext("docId", "").isdigit() and detail.findtext("jobId", "").isdigit()
    assert detail.findtext("operationStatus") == "CNL"


async def test_query_flags_are_typed(http):
    # keyType is an xs:int and addHistoricalData an xs:boolean
    def query(key_type: str, history: str) -> bytes:
        return envelope(
            "queryShipment",
            f"{LOGIN}<wsLanguage>TR</wsLanguage><keys>X</keys><keyType>{key_type}</keyType>"
            f"<addHistoricalData>{history}</addHistoricalData><onlyTracking>false</onlyTracking>",
        )

    assert "keyType" in fault_string(await post(http, query("cargo", "false")))
    assert "addHistoricalData" in fault_string(await post(http, query("0", "yes")))


async def test_wrong_credentials_get_an_auth_code_inside_http_200(http):
    body = create(VALID_VO.format(key="CONF0007", doc="0")).replace(
        b"yk-sandbox-password", b"wrong"
    )
    vo = result_vo(await post(http, body))
    assert vo.findtext("outFlag") != "0"
    assert vo.findtext("errCode") in {"1625", "1626", "80265"}
