"""Conformance of the sandbox's return parcels: a code registered with ``saveReturnShipmentCode``,
a buyer handing a parcel in with it (``hand_in_return``), and the report service's
``listInvDocumentInterfaceByReference`` listing that parcel with its movements.

Raw SOAP 1.1 over httpx, written from the report service's WSDL (repository
``wprtrkcllpoc/tcll-poc``, ``src/main/resources/wsdl/WsReportWithReferenceServices.wsdl``) and the
special-field table of ``eneshenderson/YurticiKargo-Api`` (``.github/copilot-instructions.md``);
the inferences are named in ``kervan_yurtici/sandbox_report.py``. Answers are validated against
the WSDL's answer type (``WsReportWithReferenceServices.xsd`` beside the sandbox).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from kervan_yurtici.mapping import TR_TIME
from kervan_yurtici.sandbox import YurticiSandbox
from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SHIP = "http://yurticikargo.com.tr/ShippingOrderDispatcherServices"
SSW = "http://yurticikargo.com.tr/sswIntegrationServices"
HOST = "http://yurtici.test/KOPSWebServices/"
LOGIN = "<wsUserName>YKTEST</wsUserName><wsPassword>yk-sandbox-password</wsPassword>"
REPORT_LOGIN = "<userName>YKTEST</userName><password>yk-sandbox-password</password>"
XSD = Path(__file__).parents[1] / "kervan_yurtici" / "WsReportWithReferenceServices.xsd"
REPORT_SCHEMA = etree.XMLSchema(etree.parse(str(XSD)))


@pytest.fixture
def sandbox() -> YurticiSandbox:
    return YurticiSandbox()


@pytest.fixture
async def http(sandbox: YurticiSandbox):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi)) as client:
        yield client


def envelope(namespace: str, operation: str, inner: str) -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:ns="{namespace}"><soapenv:Header/>'
        f"<soapenv:Body><ns:{operation}>{inner}</ns:{operation}></soapenv:Body>"
        "</soapenv:Envelope>"
    ).encode()


async def post(http: httpx.AsyncClient, service: str, body: bytes) -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    return await http.post(HOST + service, content=body, headers=headers)


def day(sandbox: YurticiSandbox, days: int = 0) -> str:
    return (sandbox.clock.now().astimezone(TR_TIME) + timedelta(days=days)).strftime("%Y%m%d")


async def save_code(
    http: httpx.AsyncClient, sandbox: YurticiSandbox, code: str, *, uses: int = 1
) -> None:
    inner = (
        f"{LOGIN}<wsLanguage>TR</wsLanguage><fieldName>53</fieldName><returnCode>{code}"
        f"</returnCode><startDate>{day(sandbox)}</startDate><endDate>{day(sandbox, 7)}"
        f"</endDate><maxCount>{uses}</maxCount>"
    )
    answer = await post(
        http, "ShippingOrderDispatcherServices", envelope(SHIP, "saveReturnShipmentCode", inner)
    )
    assert b"<outFlag>0</outFlag>" in answer.content, answer.text


def listing(
    *codes: str, field: str = "53", lifecycle: str = "1", login: str = REPORT_LOGIN
) -> bytes:
    values = "".join(f"<fieldValueArray>{c}</fieldValueArray>" for c in codes)
    return envelope(
        SSW,
        "listInvDocumentInterfaceByReference",
        f"{login}<language>TR</language><fieldName>{field}</fieldName>{values}"
        f"<withCargoLifecycle>{lifecycle}</withCargoLifecycle>",
    )


async def report(http: httpx.AsyncClient, body: bytes) -> etree._Element:
    """The ``ShippingDataResponseVO`` of a report answer, checked against the WSDL's types."""
    answer = await post(http, "WsReportWithReferenceServices", body)
    assert answer.status_code == 200, answer.text
    (op_response,) = etree.fromstring(answer.content).find(f"{{{SOAP}}}Body")
    assert op_response.tag == f"{{{SSW}}}listInvDocumentInterfaceByReferenceResponse"
    if not REPORT_SCHEMA.validate(op_response):
        raise AssertionError(str(REPORT_SCHEMA.error_log.last_error))
    (vo,) = op_response
    assert vo.tag == "ShippingDataResponseVO"
    return vo


def fault_string(answer: httpx.Response) -> str:
    assert answer.status_code == 500, answer.text
    fault = etree.fromstring(answer.content).find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None and fault.findtext("faultcode") == "soap:Client"
    return fault.findtext("faultstring") or ""


async def test_a_code_nobody_has_used_has_no_record(http, sandbox):
    await save_code(http, sandbox, "IADE-R1")
    vo = await report(http, listing("IADE-R1"))
    assert (vo.findtext("outFlag"), vo.findtext("outResult")) == ("1", "Kayıt bulunamadı.")
    assert vo.find("shippingDataDetailVOArray") is None


async def test_a_handed_in_parcel_is_listed_by_its_code_and_travels_to_the_seller(http, sandbox):
    await save_code(http, sandbox, "IADE-R2")
    sandbox.hand_in_return("IADE-R2")
    vo = await report(http, listing("IADE-R2", "IADE-NONE"))
    assert vo.findtext("outFlag") == "0"
    (detail,) = vo.findall("shippingDataDetailVOArray")
    assert (detail.findtext("fieldName"), detail.findtext("fieldValue")) == ("53", "IADE-R2")
    assert detail.findtext("docId").isdigit() and detail.findtext("deliveryDate") is None
    first = [e.findtext("eventName") for e in detail.findall("docCargoLifeCycleVOArray")]
    assert first == ["Kargo Kabul Edildi"]
    sandbox.clock.advance(29 * 3600)
    (detail,) = (await report(http, listing("IADE-R2"))).findall("shippingDataDetailVOArray")
    events = detail.findall("docCargoLifeCycleVOArray")
    assert len(events) == 5 and events[-1].findtext("eventName") == "Teslim Edildi"
    stamps = [e.findtext("eventDate") + e.findtext("eventTime") for e in events]
    assert stamps == sorted(stamps)
    assert detail.findtext("cargoEventExplanation") == "Teslim Edildi"
    assert detail.findtext("deliveryDate") == stamps[-1][:8]
    assert detail.findtext("receiverCustName") == "KERVAN DEMO"  # the seller receives it


async def test_movements_come_only_with_the_cargo_lifecycle_flag(http, sandbox):
    await save_code(http, sandbox, "IADE-R3")
    sandbox.hand_in_return("IADE-R3")
    (detail,) = (await report(http, listing("IADE-R3", lifecycle="0"))).findall(
        "shippingDataDetailVOArray"
    )
    assert detail.find("docCargoLifeCycleVOArray") is None
    assert detail.findtext("cargoEventExplanation") == "Kargo Kabul Edildi"


async def test_the_report_looks_in_the_special_field_asked(http, sandbox):
    await save_code(http, sandbox, "IADE-R4")
    sandbox.hand_in_return("IADE-R4")
    vo = await report(http, listing("IADE-R4", field="16"))  # registered under 53
    assert vo.findtext("outFlag") == "1"


async def test_a_code_for_two_parcels_lists_both(http, sandbox):
    await save_code(http, sandbox, "IADE-R5", uses=2)
    first, second = sandbox.hand_in_return("IADE-R5"), sandbox.hand_in_return("IADE-R5")
    details = (await report(http, listing("IADE-R5"))).findall("shippingDataDetailVOArray")
    assert {d.findtext("docId") for d in details} == {first.doc_id, second.doc_id}
    with pytest.raises(ValueError, match="used 2 times"):
        sandbox.hand_in_return("IADE-R5")


async def test_a_branch_refuses_unknown_withdrawn_and_expired_codes(http, sandbox):
    with pytest.raises(ValueError, match="unknown"):
        sandbox.hand_in_return("IADE-NONE")
    await save_code(http, sandbox, "IADE-R6")
    cancel = f"{LOGIN}<wsLanguage>TR</wsLanguage><fieldName>53</fieldName><returnCode>IADE-R6</returnCode>"
    await post(
        http, "ShippingOrderDispatcherServices", envelope(SHIP, "cancelReturnShipmentCode", cancel)
    )
    with pytest.raises(ValueError, match="withdrawn"):
        sandbox.hand_in_return("IADE-R6")
    await save_code(http, sandbox, "IADE-R7")
    sandbox.clock.advance(9 * 24 * 3600)  # the code was good for 7 days
    with pytest.raises(ValueError, match="valid"):
        sandbox.hand_in_return("IADE-R7")


async def test_report_requests_follow_the_wsdl(http, sandbox):
    swapped = envelope(
        SSW,
        "listInvDocumentInterfaceByReference",
        f"{REPORT_LOGIN}<language>TR</language><fieldValueArray>X</fieldValueArray>"
        "<fieldName>53</fieldName>",
    )
    assert "fieldName" in fault_string(await post(http, "WsReportWithReferenceServices", swapped))
    other = envelope(SSW, "listNgiShipping", REPORT_LOGIN)
    assert "listNgiShipping" in fault_string(
        await post(http, "WsReportWithReferenceServices", other)
    )
    wrong_ns = envelope(SHIP, "listInvDocumentInterfaceByReference", REPORT_LOGIN)
    assert "dispatch" in fault_string(await post(http, "WsReportWithReferenceServices", wrong_ns))


async def test_the_report_wants_the_web_service_user_and_a_language(http, sandbox):
    wrong = listing("X", login="<userName>YKTEST</userName><password>wrong</password>")
    vo = await report(http, wrong)
    assert (vo.findtext("outFlag"), vo.findtext("outResult")) == (
        "1",
        "Kullanıcı adı veya şifre hatalı.",
    )
    no_language = listing("X").replace(b"<language>TR</language>", b"")
    assert (await report(http, no_language)).findtext("outResult") == (
        "Web servis kullanıcı dili boş olamaz."
    )
    no_value = listing()
    assert (await report(http, no_value)).findtext("outFlag") == "1"
