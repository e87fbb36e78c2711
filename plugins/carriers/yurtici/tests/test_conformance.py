"""Conformance of the Yurtiçi sandbox with the published ``ShippingOrderDispatcherServices`` types.

Raw SOAP 1.1 over httpx against the sandbox's ASGI app, written from the public reference
(../shared/reference/apis.md §8.2 and its 2026-12-02 corrections; the WSDL, repository
``wprtrkcllpoc/tcll-poc`` ``src/main/resources/wsdl/KOPSWebServices.wsdl``, and the classes
generated from it; the error tables and field formats of public clients named in
``kervan_yurtici/order_rules.py`` and ``sandbox_returns.py``), never through our client. Answers
are validated against the WSDL's answer types (the XSD written from the WSDL beside the sandbox).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from kervan.domain import TrackingStatus
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


# -- answers in the WSDL's answer types ------------------------------------------------------

# the XSD written from the WSDL's types, read from this checkout (not the installed package)
WSDL_TYPES = Path(__file__).parents[1] / "kervan_yurtici" / "ShippingOrderDispatcherServices.xsd"
ANSWER_SCHEMA = etree.XMLSchema(etree.fromstring(WSDL_TYPES.read_bytes()))


def operation_response(response: httpx.Response) -> etree._Element:
    assert response.status_code == 200, response.text
    (op_response,) = etree.fromstring(response.content).find(f"{{{SOAP}}}Body")
    return op_response


def assert_fits_the_wsdl(response: httpx.Response) -> etree._Element:
    """The operation's answer validates against the WSDL's answer types; its result VO."""
    op_response = operation_response(response)
    assert etree.QName(op_response).namespace == SHIP
    if not ANSWER_SCHEMA.validate(op_response):
        raise AssertionError(str(ANSWER_SCHEMA.error_log.last_error))
    (vo,) = op_response
    return vo


def order(**fields: str | None) -> str:
    """A ShippingOrderVO's children in the WSDL's sequence; ``None`` leaves an element out."""
    values: dict[str, str | None] = {
        "cargoKey": "CONFK",
        "invoiceKey": "CONFINV",
        "receiverCustName": "Ali Veli",
        "receiverAddress": "Moda Cad. No:5",
        "cityName": "İstanbul",
        "townName": "Kadıköy",
        "receiverPhone1": None,
        "emailAddress": None,
        "taxOfficeId": "0",
        "desi": "2",
        "kg": "1.5",
        "cargoCount": "1",
        "ttInvoiceAmount": None,
        "ttDocumentId": "0",
        "ttCollectionType": None,
        "ttDocumentSaveType": None,
        "dcSelectedCredit": "0",
        "dcCreditRule": "1",
        "description": None,
    }
    values.update(fields)
    return "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None)


def query(*keys: str, history: bool = True) -> bytes:
    return envelope(
        "queryShipment",
        f"{LOGIN}<wsLanguage>TR</wsLanguage>"
        + "".join(f"<keys>{k}</keys>" for k in keys)
        + f"<keyType>0</keyType><addHistoricalData>{str(history).lower()}</addHistoricalData>"
        "<onlyTracking>false</onlyTracking>",
    )


def cancel(*keys: str) -> bytes:
    return envelope(
        "cancelShipment",
        f"{LOGIN}<userLanguage>TR</userLanguage>"
        + "".join(f"<cargoKeys>{k}</cargoKeys>" for k in keys),
    )


async def test_every_answer_fits_the_wsdl_answer_types(http, sandbox):
    created = assert_fits_the_wsdl(await post(http, create(order(cargoKey="CONFA1"))))
    # shippingOrderResultVO: outFlag, outResult, count, jobId (both required xs:long), details
    assert local_names(created) == [
        "outFlag",
        "outResult",
        "count",
        "jobId",
        "shippingOrderDetailVO",
    ]
    refused = assert_fits_the_wsdl(await post(http, create(order(invoiceKey=None))))
    assert refused.findtext("shippingOrderDetailVO/errCode") == "60017"
    await post(http, create(order(cargoKey="CONFA2")))
    sandbox.clock.advance(31 * 3600)  # delivered, with a document and a full history
    sandbox.force("CONFA2", TrackingStatus.RETURNED)
    queried = assert_fits_the_wsdl(await post(http, query("CONFA1", "CONFA2", "NOSUCH")))
    assert local_names(queried)[:4] == ["outFlag", "outResult", "count", "senderCustId"]
    item = queried.findall("shippingDeliveryDetailVO")[1].find("shippingDeliveryItemDetailVO")
    assert item.findtext("deliveryDate") and item.findall("invDocCargoVOArray")
    assert_fits_the_wsdl(await post(http, cancel("CONFA1", "CONFA2", "NOSUCH")))
    wrong = create(order(cargoKey="CONFA3")).replace(b"yk-sandbox-password", b"wrong")
    assert_fits_the_wsdl(await post(http, wrong))
    sandbox.unexpected()
    assert_fits_the_wsdl(await post(http, query("CONFA1")))
    assert_fits_the_wsdl(await post(http, save_code("RC-1")))
    assert_fits_the_wsdl(await post(http, save_code("RC-1")))
    assert_fits_the_wsdl(await post(http, cancel_code("RC-1")))


async def test_out_flag_is_zero_when_some_orders_went_through(http):
    both = envelope(
        "createShipment",
        f"{LOGIN}<userLanguage>TR</userLanguage>"
        f"<ShippingOrderVO>{order(cargoKey='CONFP1')}</ShippingOrderVO>"
        f"<ShippingOrderVO>{order(cargoKey='CONFP2', invoiceKey=None)}</ShippingOrderVO>",
    )
    vo = result_vo(await post(http, both))
    assert vo.findtext("outFlag") == "0"
    assert [d.findtext("errCode") for d in vo.findall("shippingOrderDetailVO")] == ["0", "60017"]
    none = result_vo(await post(http, create(order(cargoKey="CONFP3", invoiceKey=None))))
    assert none.findtext("outFlag") == "1"


async def test_an_unexpected_error_is_out_flag_2_with_err_code_936(http, sandbox):
    sandbox.unexpected("createShipment")
    vo = result_vo(await post(http, create(order(cargoKey="CONFU1"))))
    assert (vo.findtext("outFlag"), vo.findtext("errCode")) == ("2", "936")
    assert "Beklenmeyen" in vo.findtext("outResult")
    assert (vo.findtext("count"), vo.findtext("jobId")) == ("0", "0")
    assert "CONFU1" not in sandbox.shipments
    again = result_vo(await post(http, create(order(cargoKey="CONFU1"))))
    assert (again.findtext("outFlag"), again.findtext("shippingOrderDetailVO/errCode")) == (
        "0",
        "0",
    )


async def test_an_unexpected_error_can_come_at_any_share(http):
    flaky = YurticiSandbox(unexpected_share=1.0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=flaky.asgi)) as client:
        vo = result_vo(await post(client, query("X")))
    assert (vo.findtext("outFlag"), vo.findtext("errCode")) == ("2", "936")


@pytest.mark.parametrize(
    "operation",
    [
        lambda: create(order(cargoKey="CONFW1")),
        lambda: query("CONFW1"),
        lambda: cancel("CONFW1"),
        lambda: save_code("RC-W"),
    ],
    ids=["create", "query", "cancel", "saveReturnShipmentCode"],
)
async def test_wrong_credentials_fail_every_operation_with_an_auth_code(http, operation):
    vo = result_vo(await post(http, operation().replace(b"yk-sandbox-password", b"wrong")))
    assert vo.findtext("outFlag") == "1"
    assert vo.findtext("errCode") in {"1625", "1626", "80265"}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"invoiceKey": "I" * 21}, "82501"),
        ({"receiverCustName": None}, "60018"),
        ({"receiverCustName": "A" * 201}, "82503"),
        ({"receiverAddress": None}, "60019"),
        ({"receiverAddress": "Ev"}, "82502"),
        ({"receiverAddress": "A" * 501}, "82502"),
        ({"receiverPhone1": "12345"}, "82516"),
        ({"emailAddress": "ali@"}, "82515"),
        ({"cityName": "X" * 41}, "82517"),
        ({"desi": "1.2345"}, "82517"),
        ({"cargoCount": "10000"}, "82517"),
        ({"ttDocumentId": "2026000000001"}, "82508"),
        ({"dcCreditRule": "2"}, "82518"),
        ({"dcSelectedCredit": "100"}, "82510"),
        ({"ttCollectionType": "2"}, "82513"),
        ({"ttCollectionType": "0", "ttDocumentId": "1", "ttDocumentSaveType": "0"}, "82505"),
        (
            {"ttInvoiceAmount": "10.555", "ttCollectionType": "0", "ttDocumentId": "1"},
            "82506",
        ),
        ({"ttInvoiceAmount": "10.50", "ttCollectionType": "0", "ttDocumentSaveType": "0"}, "82507"),
        ({"ttInvoiceAmount": "10.50", "ttCollectionType": "0", "ttDocumentId": "1"}, "82514"),
    ],
)
async def test_documented_field_rules_answer_their_err_code(http, fields, code):
    vo = result_vo(await post(http, create(order(cargoKey="CONFR1", **fields))))
    detail = vo.find("shippingOrderDetailVO")
    assert (vo.findtext("outFlag"), detail.findtext("errCode")) == ("1", code)
    assert detail.findtext("errMessage")


@pytest.mark.parametrize(
    "fields",
    [
        {"receiverPhone1": "5321234567"},
        {"receiverPhone1": "05321234567"},
        {"emailAddress": "ali@example.com"},
        {"ttDocumentId": "999999999999"},
        {
            "ttInvoiceAmount": "249.90",
            "ttCollectionType": "0",
            "ttDocumentId": "26000000001",
            "ttDocumentSaveType": "1",
        },
        # no list of cities or towns: the branch decides the address when it scans the key
        {"cityName": "Atlantis", "townName": "Merkez"},
    ],
)
async def test_what_the_rules_allow_is_accepted(http, fields):
    vo = result_vo(await post(http, create(order(cargoKey="CONFOK", **fields))))
    assert (vo.findtext("outFlag"), vo.findtext("shippingOrderDetailVO/errCode")) == ("0", "0")


# -- return codes ----------------------------------------------------------------------------


def save_code(
    code: str | None,
    *,
    field: str | None = "53",
    start: str | None = "20261201",
    end: str | None = "20261231",
    max_count: str | None = "1",
    language: str = "wsLanguage",
) -> bytes:
    parts = {
        "fieldName": field,
        "returnCode": code,
        "startDate": start,
        "endDate": end,
        "maxCount": max_count,
    }
    return envelope(
        "saveReturnShipmentCode",
        f"{LOGIN}<{language}>TR</{language}>"
        + "".join(f"<{k}>{v}</{k}>" for k, v in parts.items() if v is not None),
    )


def cancel_code(code: str, *, field: str = "53") -> bytes:
    return envelope(
        "cancelReturnShipmentCode",
        f"{LOGIN}<wsLanguage>TR</wsLanguage><fieldName>{field}</fieldName>"
        f"<returnCode>{code}</returnCode>",
    )


def base_result(response: httpx.Response) -> tuple[str | None, str | None]:
    vo = result_vo(response)
    assert vo.tag == "ExtendedBaseResultVO"
    return vo.findtext("outFlag"), vo.findtext("errCode")


async def test_a_return_code_is_saved_once(http):
    assert base_result(await post(http, save_code("IADE-1"))) == ("0", "0")
    assert base_result(await post(http, save_code("IADE-1"))) == ("1", "82655")
    # the live service's special field 16 is another field: the same text is a new code there
    assert base_result(await post(http, save_code("IADE-1", field="16"))) == ("0", "0")


@pytest.mark.parametrize(
    ("request_body", "code"),
    [
        (lambda: save_code(None), "82651"),
        (lambda: save_code("IADE-2", max_count="0"), "82652"),
        (lambda: save_code("IADE-2", field="99"), "82654"),
        (lambda: save_code("IADE-2", field=None), "60109"),
        (lambda: save_code("IADE-2", start=None), "60026"),
        (lambda: save_code("IADE-2", end=None), "60027"),
    ],
    ids=["no-code", "no-uses", "bad-field", "no-field", "no-start", "no-end"],
)
async def test_return_code_rules_answer_their_err_code(http, request_body, code):
    assert base_result(await post(http, request_body())) == ("1", code)


async def test_return_code_types_follow_the_wsdl(http):
    # maxCount is a required xs:int; the language element is wsLanguage
    assert "maxCount" in fault_string(await post(http, save_code("IADE-3", max_count=None)))
    assert "maxCount" in fault_string(await post(http, save_code("IADE-3", max_count="bir")))
    assert "userLanguage" in fault_string(
        await post(http, save_code("IADE-3", language="userLanguage"))
    )


async def test_a_cancelled_return_code_is_gone(http):
    await post(http, save_code("IADE-4"))
    assert base_result(await post(http, cancel_code("IADE-4"))) == ("0", "0")
    assert base_result(await post(http, cancel_code("IADE-4"))) == ("1", "82656")
    assert base_result(await post(http, save_code("IADE-4"))) == ("0", "0")


async def test_key_type_1_queries_by_invoice_key(http):
    await post(http, create(order(cargoKey="CONFI1", invoiceKey="FATURA-77")))
    by_invoice = envelope(
        "queryShipment",
        f"{LOGIN}<wsLanguage>TR</wsLanguage><keys>FATURA-77</keys><keyType>1</keyType>"
        "<addHistoricalData>false</addHistoricalData><onlyTracking>false</onlyTracking>",
    )
    detail = result_vo(await post(http, by_invoice)).find("shippingDeliveryDetailVO")
    assert (detail.findtext("cargoKey"), detail.findtext("errCode")) == ("CONFI1", "0")


async def test_only_tracking_reports_the_tracking_link_alone(http, sandbox):
    await post(http, create(order(cargoKey="CONFT1")))
    sandbox.clock.advance(5 * 3600)
    tracking_only = query("CONFT1").replace(
        b"<onlyTracking>false</onlyTracking>", b"<onlyTracking>true</onlyTracking>"
    )
    vo = assert_fits_the_wsdl(await post(http, tracking_only))
    item = vo.find("shippingDeliveryDetailVO/shippingDeliveryItemDetailVO")
    assert local_names(item) == ["trackingUrl"]
    full = result_vo(await post(http, query("CONFT1")))
    assert len(full.find("shippingDeliveryDetailVO/shippingDeliveryItemDetailVO")) > 1
