"""The Yurtiçi ``ShippingOrderDispatcherServices`` SOAP client.

Envelopes are built and parsed with lxml. The operation element is in the service namespace
(``ship:``); its children are unqualified. Business errors come back inside HTTP 200
(``outFlag`` and per-key ``errCode``); malformed requests get a SOAP ``Fault``.

How answers map to errors (sources in the sandbox's docstring):

* ``errCode`` 1625/1626/80265 (wrong web-service user or password) → :class:`AuthError`, never
  retried: a person must fix the connection's settings;
* ``outFlag`` 2 or ``errCode`` 936 anywhere ("Beklenmeyen bir hata oluştu", an unexpected error on
  Yurtiçi's side) → :class:`RemoteUnavailableError`, retried later;
* ``outFlag`` 1 without per-key details → :class:`RemoteRejectedError` carrying the ``errCode``;
  per-key ``errCode`` s are the caller's to read.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from kervan import ConnectorContext
from kervan.errors import (
    AuthError,
    InvalidResponseError,
    KervanError,
    RemoteRejectedError,
    RemoteUnavailableError,
)
from kervan.xml import UntrustedXmlError, parse_untrusted
from kervan_sdk.http import ApiClient, RetryPolicy
from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SHIP_NS = "http://yurticikargo.com.tr/ShippingOrderDispatcherServices"
#: the report service (``WsReportWithReferenceServices``), beside the dispatcher on each host
REPORT_NS = "http://yurticikargo.com.tr/sswIntegrationServices"
REPORT_SERVICE = "WsReportWithReferenceServices"
LIVE_ENDPOINT = "https://ws.yurticikargo.com/KOPSWebServices/ShippingOrderDispatcherServices"
TEST_ENDPOINT = "https://testws.yurticikargo.com/KOPSWebServices/ShippingOrderDispatcherServices"

#: errCode values that mean the web-service user or password is wrong
AUTH_CODES = frozenset({"1625", "1626", "80265"})
#: "Beklenmeyen bir hata oluştu. Yurtiçi Kargo ile irtibata geçiniz": unexpected, temporary
ERR_UNEXPECTED = "936"
OUT_FLAG_UNEXPECTED = "2"
#: saveReturnShipmentCode: the code is registered already
ERR_RETURN_CODE_EXISTS = "82655"
#: cancelReturnShipmentCode: no such (live) code
ERR_RETURN_CODE_UNKNOWN = "82656"
ERR_DUPLICATE_CARGO_KEY = "60020"
ERR_CARGO_KEY_NOT_FOUND = "80859"
#: on cancel: the key is not (or no longer) the sender's / already cancelled
CANCEL_GONE_CODES = frozenset({"82519", "82520"})

# a SOAP fault is an HTTP 500 that we read ourselves, so 500 is not retried blindly
_RETRY = RetryPolicy(retry_statuses=frozenset({429, 502, 503, 504}))

Node = tuple[str, "str | Sequence[Node] | None"]


def envelope(operation: str, children: Sequence[Node], namespace: str = SHIP_NS) -> bytes:
    """A SOAP 1.1 envelope calling ``ship:{operation}`` with unqualified ``children``.

    A child is ``(name, text)`` or ``(name, [children...])``; ``None`` values are left out.
    """
    nsmap = {"soapenv": SOAP_NS, "ship": namespace}
    root = etree.Element(etree.QName(SOAP_NS, "Envelope"), nsmap=nsmap)
    etree.SubElement(root, etree.QName(SOAP_NS, "Header"))
    body = etree.SubElement(root, etree.QName(SOAP_NS, "Body"))
    _append(etree.SubElement(body, etree.QName(namespace, operation)), children)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _append(parent: etree._Element, children: Sequence[Node]) -> None:
    for name, value in children:
        if value is None:
            continue
        child = etree.SubElement(parent, name)
        if isinstance(value, str):
            child.text = value
        else:
            _append(child, value)


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def text(el: etree._Element, name: str) -> str | None:
    """The stripped text of the first child called ``name`` (any namespace), or ``None``."""
    for child in el:
        if isinstance(child.tag, str) and local(child) == name:
            value = (child.text or "").strip()
            return value or None
    return None


def children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and local(c) == name]


@dataclass
class Detail:
    """One per-key detail VO: whatever fields it carried, by name (text only) and the element."""

    fields: dict[str, str]
    element: etree._Element

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    @property
    def err_code(self) -> str:
        return self.fields.get("errCode") or "0"


@dataclass
class Result:
    """An operation's result VO: ``outFlag``/``outResult`` and its detail VOs."""

    operation: str
    out_flag: str
    out_result: str | None
    fields: dict[str, str]
    details: list[Detail] = field(default_factory=list)

    def detail(self, cargo_key: str) -> Detail | None:
        for detail in self.details:
            if detail.get("cargoKey") == cargo_key:
                return detail
        return None


DETAIL_TAGS = (
    "shippingOrderDetailVO",
    "shippingCancelDetailVO",
    "shippingDeliveryDetailVO",
    "shippingDataDetailVOArray",
)
#: the report service's "no document carries this value" (``outFlag`` 1, no code), folded
NOT_FOUND_WORDS = ("bulunamad", "bulunmamaktad")


class YurticiClient(ApiClient):
    remote_name = "yurtici"

    def __init__(
        self,
        endpoint: str,
        *,
        username: str,
        password: str,
        language: str = "TR",
        context: ConnectorContext | None = None,
        **kw: Any,
    ) -> None:
        url = httpx.URL(endpoint)
        self.path = url.raw_path.decode() or "/"
        self.report_path = self.path.rsplit("/", 1)[0] + "/" + REPORT_SERVICE
        super().__init__(
            str(url.copy_with(path="/", query=None)),
            context=context,
            secrets=[password],
            retry=kw.pop("retry", _RETRY),
            default_headers={"Accept": "text/xml"},
            **kw,
        )
        self.username = username
        self._password = password
        self.language = language

    # -- operations ------------------------------------------------------------------------

    def _credentials(self, language_element: str) -> list[Node]:
        return [
            ("wsUserName", self.username),
            ("wsPassword", self._password),
            (language_element, self.language),
        ]

    async def create_shipment(self, orders: Sequence[Sequence[Node]]) -> Result:
        """``createShipment``; after an ambiguous failure, looks the first key up before sending
        again (a found shipment comes back as a ``queryShipment`` result: check ``operation``)."""
        body: list[Node] = [*self._credentials("userLanguage")]
        body += [("ShippingOrderVO", list(vo)) for vo in orders]
        keys = [dict((k, v) for k, v in vo if isinstance(v, str)).get("cargoKey") for vo in orders]

        async def lookup() -> httpx.Response | None:
            response = await self._call("queryShipment", self._query_body(keys, history=False))
            result = self.parse(response, "queryShipment")
            found = [d for d in result.details if d.err_code == "0"]
            return response if found and len(found) == len(keys) else None

        response = await self._call(
            "createShipment", body, idempotent=False, lookup_before_retry=lookup
        )
        return self.parse(response, None)

    def _query_body(self, keys: Iterable[str | None], *, history: bool) -> list[Node]:
        return [
            *self._credentials("wsLanguage"),
            *[("keys", key) for key in keys if key],
            ("keyType", "0"),
            ("addHistoricalData", "true" if history else "false"),
            ("onlyTracking", "false"),
        ]

    async def query_shipment(self, cargo_keys: Sequence[str], *, history: bool = True) -> Result:
        """``queryShipment`` by cargo key (``keyType`` 0)."""
        response = await self._call("queryShipment", self._query_body(cargo_keys, history=history))
        return self.parse(response, "queryShipment")

    async def cancel_shipment(self, cargo_keys: Sequence[str]) -> Result:
        """``cancelShipment``; cancelling twice is harmless (82520), so it may be re-sent."""
        body = [*self._credentials("userLanguage"), *[("cargoKeys", k) for k in cargo_keys]]
        response = await self._call("cancelShipment", body, idempotent=True)
        return self.parse(response, "cancelShipment")

    async def save_return_shipment_code(
        self, field_name: str, return_code: str, start: str, end: str, max_count: int
    ) -> Result:
        """``saveReturnShipmentCode``: register ``return_code`` for special field ``field_name``,
        usable ``max_count`` times from ``start`` to ``end`` (``yyyyMMdd``). Re-sending is
        harmless (82655, "already registered"), so it may be retried."""
        body: list[Node] = [
            *self._credentials("wsLanguage"),
            ("fieldName", field_name),
            ("returnCode", return_code),
            ("startDate", start),
            ("endDate", end),
            ("maxCount", str(max_count)),
        ]
        response = await self._call("saveReturnShipmentCode", body, idempotent=True)
        return self.parse(response, "saveReturnShipmentCode")

    async def cancel_return_shipment_code(self, field_name: str, return_code: str) -> Result:
        """``cancelReturnShipmentCode``; cancelling twice answers 82656 (no such code)."""
        body: list[Node] = [
            *self._credentials("wsLanguage"),
            ("fieldName", field_name),
            ("returnCode", return_code),
        ]
        response = await self._call("cancelReturnShipmentCode", body, idempotent=True)
        return self.parse(response, "cancelReturnShipmentCode")

    async def list_by_reference(
        self, field_name: str, values: Sequence[str], *, history: bool = True
    ) -> Result:
        """``listInvDocumentInterfaceByReference`` on the report service: the documents whose
        special field ``field_name`` holds one of ``values`` (``shippingDataDetailVOArray``
        details, with ``docCargoLifeCycleVOArray`` movements when ``history``). "No record"
        (``outFlag`` 1, "Kayıt bulunamadı") is an empty result, not an error."""
        body: list[Node] = [
            ("userName", self.username),
            ("password", self._password),
            ("language", self.language),
            ("fieldName", field_name),
            *[("fieldValueArray", value) for value in values],
            ("withCargoLifecycle", "1" if history else "0"),
        ]
        response = await self._call(
            "listInvDocumentInterfaceByReference", body, path=self.report_path, ns=REPORT_NS
        )
        try:
            return self.parse(response, "listInvDocumentInterfaceByReference")
        except RemoteRejectedError as exc:
            said = _fold(exc.remote_message or "")
            if any(word in said for word in NOT_FOUND_WORDS):
                return Result("listInvDocumentInterfaceByReference", "1", exc.remote_message, {})
            raise

    # -- wire ------------------------------------------------------------------------------

    async def _call(self, operation: str, body: Sequence[Node], **kw: Any) -> httpx.Response:
        path, namespace = kw.pop("path", self.path), kw.pop("ns", SHIP_NS)
        return await self.request(
            "POST",
            path,
            content=envelope(operation, body, namespace),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
            idempotent=kw.pop("idempotent", True),
            rate_key=operation,
            ok={200},
            **kw,
        )

    def map_error(self, response: httpx.Response) -> KervanError:
        fault = _fault(response.content) if response.status_code == 500 else None
        if fault is None:
            return super().map_error(response)
        code, message = fault
        common = {"remote": self.remote_name, "status": response.status_code}
        if "client" in code.lower():
            return RemoteRejectedError(
                f"yurtici rejected the request: {message}", remote_message=message, **common
            )
        return RemoteUnavailableError(f"yurtici failed: {message}", **common)

    def parse(self, response: httpx.Response, expected: str | None) -> Result:
        """The result VO of a SOAP answer; raises on auth failures and answer-level errors."""
        op_response = _operation_response(response.content, self.remote_name)
        operation = local(op_response).removesuffix("Response")
        if expected is not None and operation != expected:
            raise InvalidResponseError(
                f"yurtici answered {operation} to {expected}", remote=self.remote_name
            )
        vo = next((c for c in op_response if isinstance(c.tag, str)), None)
        if vo is None:
            raise InvalidResponseError(
                f"yurtici {operation} answer has no result", remote=self.remote_name
            )
        scalars = {
            local(c): (c.text or "").strip() for c in vo if isinstance(c.tag, str) and len(c) == 0
        }
        details = [
            Detail(
                {
                    local(f): (f.text or "").strip()
                    for f in d
                    if isinstance(f.tag, str) and len(f) == 0
                },
                d,
            )
            for tag in DETAIL_TAGS
            for d in children(vo, tag)
        ]
        result = Result(
            operation, scalars.get("outFlag", ""), scalars.get("outResult"), scalars, details
        )
        self._raise_for_result(result)
        return result

    def _raise_for_result(self, result: Result) -> None:
        codes = {
            code
            for code in (result.fields.get("errCode"), *(d.get("errCode") for d in result.details))
            if code
        }
        said = result.out_result or "no message"
        if found := codes & AUTH_CODES:
            raise AuthError(
                f"yurtici refused the web-service user (errCode {min(found)}: {said}); check the "
                "connection's username and password (wsUserName/wsPassword, not the Yurtiçi "
                "website login) and that the endpoint is the one they belong to (test accounts "
                "work on testws.yurticikargo.com only); live calls must also come from an "
                "outgoing IP address registered with Yurtiçi",
                remote=self.remote_name,
                detail={"errCode": min(found), "operation": result.operation},
            )
        if result.out_flag == OUT_FLAG_UNEXPECTED or ERR_UNEXPECTED in codes:
            code = ERR_UNEXPECTED if ERR_UNEXPECTED in codes else result.fields.get("errCode")
            raise RemoteUnavailableError(
                f"yurtici had an unexpected error on {result.operation} (outFlag "
                f"{result.out_flag or '?'}, errCode {code or '?'}: {said}); it will be retried; "
                "if it persists, Yurtiçi's IT must look at it",
                remote=self.remote_name,
                detail={"errCode": code, "operation": result.operation},
            )
        if result.out_flag == "0" or result.details:
            return  # per-key errors are the caller's to read
        if result.out_flag != "1":
            raise InvalidResponseError(
                f"yurtici {result.operation} answer has no outFlag", remote=self.remote_name
            )
        code = result.fields.get("errCode") or None
        raise RemoteRejectedError(
            f"yurtici {result.operation} failed: {said}" + (f" ({code})" if code else ""),
            remote=self.remote_name,
            remote_message=result.out_result,
            detail={"errCode": code, "operation": result.operation},
        )


def _fold(value: str) -> str:
    lowered = value.replace("I", "ı").replace("İ", "i").lower().replace("ı", "i")
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if c.isalnum())


def _parse_xml(content: bytes, remote: str) -> etree._Element:
    """The answer's tree from the hardened parser (no DTD, entities or external loads)."""
    try:
        return parse_untrusted(content, source=f"{remote}'s answer")
    except UntrustedXmlError as exc:
        raise InvalidResponseError(exc.message, remote=remote) from None


def _body(root: etree._Element, remote: str) -> etree._Element:
    if root.tag != etree.QName(SOAP_NS, "Envelope").text:
        raise InvalidResponseError(f"{remote} answer is not a SOAP envelope", remote=remote)
    body = root.find(etree.QName(SOAP_NS, "Body").text)
    if body is None:
        raise InvalidResponseError(f"{remote} answer has no SOAP Body", remote=remote)
    return body


def _fault(content: bytes) -> tuple[str, str] | None:
    try:
        body = _body(_parse_xml(content, "yurtici"), "yurtici")
    except InvalidResponseError:
        return None
    fault = body.find(etree.QName(SOAP_NS, "Fault").text)
    if fault is None:
        return None
    return text(fault, "faultcode") or "Server", text(fault, "faultstring") or "SOAP fault"


def _operation_response(content: bytes, remote: str) -> etree._Element:
    body = _body(_parse_xml(content, remote), remote)
    first = next((c for c in body if isinstance(c.tag, str)), None)
    if first is None or local(first) == "Fault" or not local(first).endswith("Response"):
        raise InvalidResponseError(f"{remote} answer has no operation response", remote=remote)
    return first
