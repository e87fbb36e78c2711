"""``YurticiSandbox``: a stand-in ``ShippingOrderDispatcherServices`` speaking SOAP 1.1.

Requests are parsed and answers built with lxml, in the shapes third-party clients show
(see the README): the operation in the ``ship:`` namespace with unqualified children,
``userLanguage`` on create/cancel and ``wsLanguage`` on query, errors inside HTTP 200
(``outFlag`` + ``errCode``), a SOAP ``Fault`` (HTTP 500) for requests it cannot read.

Shipments move on the sandbox clock: ``NOP`` until the branch scans the cargo key
(``pickup_after``), then ``ISR`` with a ``docId``, then ``IND`` through the network, out for
delivery, and ``DLV``. Cancelled shipments stop. Tests may force a stage with :meth:`force`.

Request validation follows the WSDL's types (``ShippingOrderDispatcherServices.xsd`` beside this
module): element order, required elements and XML Schema types of ``createShipment``,
``queryShipment`` and ``cancelShipment``. A body that does not fit gets a ``soap:Client`` fault
("Unmarshalling Error", HTTP 500), what a JAX-WS endpoint answers. Answer VOs follow the WSDL's
sequences too: ``docId`` only in ``shippingDeliveryItemDetailVO``; ``shippingCancelDetailVO``
always carries ``docId`` and ``jobId`` (``xs:long``, 0 when there is none).

Sources: ../shared/reference/apis.md §8.2 and "Corrections and additions (2026-12-02)"; the types
as classes generated from the real WSDL show them (GitHub ``wprtrkcllpoc/tcll-poc``,
``src/main/java/tr/com/yurticikargo/shippingorderdispatcherservices/ShippingOrderVO.java``,
``ShippingCancelDetailVO.java``, ``ShippingDeliveryDetailVO.java``, ``QueryShipment.java``,
``CancelShipment.java``, ``CreateShipment.java``). Meaning of ``dcCreditRule`` (0 = the receiver must
choose instalments, 1 = a single charge is allowed) and ``dcSelectedCredit`` (number of instalments):
comments in public PHP/VB clients of the service. Not modelled yet: errCode 936 / ``outFlag`` 2
(no primary source says when they occur), ``saveReturnShipmentCode``, city/town checks.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request, Response
from kervan.domain import TrackingStatus
from kervan.xml import UntrustedXmlError, parse_untrusted
from kervan_sdk.sandbox import Sandbox, SimClock
from lxml import etree

from .client import SHIP_NS, SOAP_NS, children, local, text
from .mapping import TR_TIME

PATH = "/KOPSWebServices/ShippingOrderDispatcherServices"
#: the request types from the WSDL (see the XSD's header for its source)
SCHEMA = etree.XMLSchema(
    parse_untrusted(
        resources.files(__package__).joinpath("ShippingOrderDispatcherServices.xsd").read_bytes(),
        source="ShippingOrderDispatcherServices.xsd",
    )
)
# the real test service uses YKTEST / YK; a longer password here keeps secret-leak checks meaningful
USERNAME, PASSWORD = "YKTEST", "yk-sandbox-password"

# (offset from creation, operationStatus, history event name, unit)
TIMELINE: tuple[tuple[timedelta, str, str | None, str], ...] = (
    (timedelta(0), "NOP", None, ""),
    (timedelta(hours=2), "ISR", "Kargo Kabul Edildi", "ÇIKIŞ ŞUBESİ"),
    (timedelta(hours=4), "IND", "Kargo Yüklendi", "TRANSFER MERKEZİ"),
    (timedelta(hours=20), "IND", "Varış Birimine Ulaştı", "VARIŞ ŞUBESİ"),
    (timedelta(hours=26), "IND", "Kargo Dağıtıma Çıkarıldı", "VARIŞ ŞUBESİ"),
    (timedelta(hours=30), "DLV", "Teslim Edildi", "VARIŞ ŞUBESİ"),
)
STAGE_OF = {
    TrackingStatus.CREATED: 0,
    TrackingStatus.PICKED_UP: 1,
    TrackingStatus.IN_TRANSIT: 2,
    TrackingStatus.OUT_FOR_DELIVERY: 4,
    TrackingStatus.DELIVERED: 5,
}
OPERATION_CODES = {
    "NOP": "0",
    "IND": "1",
    "ISR": "2",
    "CNL": "3",
    "ISC": "4",
    "DLV": "5",
    "BI": "6",
}
OPERATION_MESSAGES = {
    "NOP": "Kargo İşlem Görmemiş.",
    "ISR": "Kargo İşlem Görmüş, Faturası Henüz Düzenlenmemiş.",
    "IND": "Kargo Teslimattadır.",
    "DLV": "Kargo Teslim Edilmiştir.",
    "CNL": "Kargo Çıkışı Engellendi.",
}
REQUIRED = (
    ("cargoKey", "80859", "Kargo anahtarı bulunamadı"),
    ("invoiceKey", "60017", "Fatura anahtarı bulunamadı"),
    ("receiverCustName", "60018", "Alıcı adı bulunamadı"),
    ("receiverAddress", "60019", "Alıcı adresi bulunamadı"),
)


@dataclass
class SimShipment:
    cargo_key: str
    fields: dict[str, str]
    created_at: datetime
    job_id: int
    doc_id: str
    cancelled_at: datetime | None = None
    returned_at: datetime | None = None
    history: list[dict[str, str]] = field(default_factory=list)

    def stage(self, now: datetime) -> int:
        end = self.cancelled_at or now
        return max(i for i, (offset, *_) in enumerate(TIMELINE) if self.created_at + offset <= end)

    def status(self, now: datetime) -> str:
        if self.cancelled_at is not None:
            return "CNL" if self.stage(now) == 0 else "BI"  # BI: cancelled by Yurtiçi
        return TIMELINE[self.stage(now)][1]


class YurticiSandbox(Sandbox):
    name = "yurtici"

    def __init__(self, *, clock: SimClock | None = None, seed: int = 0) -> None:
        self.shipments: dict[str, SimShipment] = {}
        self.envelopes: list[bytes] = []  # every request body, for element-by-element checks
        self._job = 1000
        super().__init__(clock=clock, seed=seed)

    # -- for tests and the demo ------------------------------------------------------------

    def demo_settings(self, base_url: str) -> dict[str, Any]:
        """Connection settings valid against this sandbox served at ``base_url``."""
        return {
            "endpoint": base_url.rstrip("/") + PATH,
            "username": USERNAME,
            "password": PASSWORD,
            "sender_name": "Kervan Demo",
        }

    def force(self, cargo_key: str, status: TrackingStatus) -> None:
        """Move a shipment to ``status`` now (picked_up … delivered, returned, cancelled)."""
        shipment = self.shipments[cargo_key]
        now = self.clock.now()
        if status is TrackingStatus.CANCELLED:
            shipment.cancelled_at = now
        elif status is TrackingStatus.RETURNED:
            shipment.returned_at = now
        else:
            # shift creation back so the timeline reaches the stage exactly now
            shipment.created_at = min(shipment.created_at, now - TIMELINE[STAGE_OF[status]][0])

    def seed_scenario(self, scenario: Any) -> None:  # a kervan.scenario.Scenario
        """Nothing to seed: Yurtiçi learns of shipments when they are created."""

    # -- SOAP ------------------------------------------------------------------------------

    def routes(self, app: FastAPI) -> None:
        @app.post(PATH)
        async def dispatch(request: Request) -> Response:
            body = await request.body()
            self.envelopes.append(body)
            return self.handle(body)

        @app.get(PATH)
        async def wsdl() -> Response:
            return Response(status_code=404, content=b"the sandbox serves no WSDL")

    def handle(self, content: bytes) -> Response:
        try:
            root = parse_untrusted(content, source="the request")
        except UntrustedXmlError as exc:
            return fault("soap:Client", f"Unmarshalling Error: {exc.message}")
        body = root.find(f"{{{SOAP_NS}}}Body") if root.tag == f"{{{SOAP_NS}}}Envelope" else None
        operation = (
            next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
        )
        if operation is None:
            return fault("soap:Client", "No SOAP Body / operation in the request")
        if etree.QName(operation).namespace != SHIP_NS:
            return fault(
                "soap:Client",
                f"Cannot find dispatch method for {{{etree.QName(operation).namespace}}}{local(operation)}",
            )
        name = local(operation)
        handlers = {
            "createShipment": (self._create, "userLanguage", "ShippingOrderResultVO"),
            "queryShipment": (self._query, "wsLanguage", "ShippingDeliveryVO"),
            "cancelShipment": (self._cancel, "userLanguage", "ShippingOrderResultVO"),
        }
        if name not in handlers:
            return fault("soap:Client", f"Cannot find dispatch method for {{{SHIP_NS}}}{name}")
        handler, language, vo_name = handlers[name]
        if problem := schema_problem(operation):
            # what a JAX-WS endpoint answers when the body does not unmarshal into the WSDL's types
            return fault("soap:Client", f"Unmarshalling Error: {problem}")
        vo = etree.Element(vo_name)
        if text(operation, "wsUserName") != USERNAME or text(operation, "wsPassword") != PASSWORD:
            _fill(vo, outFlag="1", outResult="Kullanıcı adı veya şifre hatalı.", errCode="1625")
        elif not text(operation, language):
            _fill(vo, outFlag="1", outResult="Web servis kullanıcı dili boş olamaz.")
        else:
            handler(operation, vo)
        return answer(name, vo)

    def _next_job(self) -> int:
        self._job += 1
        return self._job

    def _create(self, operation: etree._Element, vo: etree._Element) -> None:
        orders = children(operation, "ShippingOrderVO")
        job = self._next_job()
        failed = 0
        details = []
        for order in orders:
            fields = {local(c): (c.text or "").strip() for c in order if isinstance(c.tag, str)}
            key = fields.get("cargoKey", "")
            code, message = "0", ""
            for name, err, err_message in REQUIRED:
                if not fields.get(name):
                    code, message = err, err_message
                    break
            else:
                if len(key) > 20:
                    code, message = "82500", "Kargo anahtarı en fazla 20 karakter olabilir"
                elif not 10 <= len(fields["receiverAddress"]) <= 500:
                    code, message = "82502", "Alıcı adresi 10-500 karakter olmalıdır"
                elif key in self.shipments:
                    code, message = "60020", "Kargo anahtarı sistemde mevcut"
                else:
                    self.shipments[key] = SimShipment(
                        key,
                        fields,
                        self.clock.now(),
                        job,
                        doc_id=str(100000000000 + self.random.randrange(10**11)),
                    )
            failed += code != "0"
            details.append(
                {
                    "cargoKey": key,
                    "errCode": code,
                    "errMessage": message or None,
                    "invoiceKey": fields.get("invoiceKey", ""),
                }
            )
        _fill(
            vo,
            outFlag="1" if failed else "0",
            outResult="Hata" if failed else "Başarılı",
            jobId=str(job),
            count=str(len(orders)),
        )
        for detail in details:
            _fill(etree.SubElement(vo, "shippingOrderDetailVO"), **detail)

    def _query(self, operation: etree._Element, vo: etree._Element) -> None:
        keys = [
            k for el in children(operation, "keys") for k in (el.text or "").split(",") if k.strip()
        ]
        if not keys:
            _fill(vo, outFlag="1", outResult="Sorgulanacak anahtar bulunamadı.", errCode="82526")
            return
        if text(operation, "keyType") not in ("0", "1"):
            _fill(vo, outFlag="1", outResult="Anahtar tipi bulunamadı.", errCode="82527")
            return
        by_invoice = text(operation, "keyType") == "1"
        history = (text(operation, "addHistoricalData") or "").lower() == "true"
        now = self.clock.now()
        _fill(vo, outFlag="0", outResult="Başarılı", senderCustId="1010954", count=str(len(keys)))
        for key in (k.strip() for k in keys):
            shipment = (
                next(
                    (s for s in self.shipments.values() if s.fields.get("invoiceKey") == key), None
                )
                if by_invoice
                else self.shipments.get(key)
            )
            detail = etree.SubElement(vo, "shippingDeliveryDetailVO")
            if shipment is None:
                _fill(
                    detail,
                    cargoKey=key,
                    errCode="80859",
                    errMessage="Kargo anahtarı bulunamadı.",
                    jobId="0",  # xs:long without minOccurs="0": always present
                )
                continue
            self._delivery_detail(detail, shipment, now, history)

    def _delivery_detail(
        self, detail: etree._Element, s: SimShipment, now: datetime, history: bool
    ) -> None:
        status, stage = s.status(now), s.stage(now)
        # the WSDL's shippingDeliveryDetailVO has no docId: it is only in the item detail
        _fill(
            detail,
            cargoKey=s.cargo_key,
            errCode="0",
            invoiceKey=s.fields.get("invoiceKey"),
            jobId=str(s.job_id),
            operationCode=OPERATION_CODES[status],
            operationMessage=OPERATION_MESSAGES.get(status, status),
            operationStatus=status,
        )
        if stage == 0:
            return
        item = etree.SubElement(detail, "shippingDeliveryItemDetailVO")
        delivered_at = s.created_at + TIMELINE[5][0] if stage == 5 else None
        returned = s.returned_at is not None and s.returned_at <= now
        _fill(
            item,
            docId=s.doc_id,
            trackingUrl=f"https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code={s.doc_id}",
            receiverCustName=s.fields.get("receiverCustName"),
            departureUnitName="ÇIKIŞ ŞUBESİ",
            deliveryDate=_local(delivered_at, "%Y%m%d") if delivered_at else None,
            deliveryTime=_local(delivered_at, "%H%M%S") if delivered_at else None,
            returnStatus="3" if returned else "0",
            rejectStatus="9" if returned else None,
            totalDesiKg=s.fields.get("desi"),
            totalCargo=s.fields.get("cargoCount", "1"),
        )
        if not history:
            return
        for offset, _status, event, unit in TIMELINE[1 : stage + 1]:
            at = s.created_at + offset
            _fill(
                etree.SubElement(item, "invDocCargoVOArray"),
                unitName=unit,
                eventName=event,
                reasonName="Sorun Yok",
                eventDate=_local(at, "%Y%m%d"),
                eventTime=_local(at, "%H%M%S"),
                cityName=s.fields.get("cityName") if "VARIŞ" in unit else "İstanbul",
                townName=s.fields.get("townName") if "VARIŞ" in unit else "Bağcılar",
            )
        if returned:
            assert s.returned_at is not None
            _fill(
                etree.SubElement(item, "invDocCargoVOArray"),
                unitName="ÇIKIŞ ŞUBESİ",
                eventName="İade Edildi",
                reasonName="Alıcı Kabul Etmedi",
                eventDate=_local(s.returned_at, "%Y%m%d"),
                eventTime=_local(s.returned_at, "%H%M%S"),
            )

    def _cancel(self, operation: etree._Element, vo: etree._Element) -> None:
        keys = [
            k.strip()
            for el in children(operation, "cargoKeys")
            for k in (el.text or "").split(",")
            if k.strip()
        ]
        now = self.clock.now()
        _fill(vo, outFlag="0", outResult="Başarılı", senderCustId="1010954", count=str(len(keys)))
        for key in keys:
            detail = etree.SubElement(vo, "shippingCancelDetailVO")
            shipment = self.shipments.get(key)
            if shipment is None:
                _fill(
                    detail,
                    cargoKey=key,
                    docId="0",
                    errCode="82519",
                    errMessage="Kargo anahtarı kullanıcıya ait değil.",
                    jobId="0",
                )
            elif shipment.cancelled_at is not None:
                _fill(
                    detail,
                    cargoKey=key,
                    docId=shipment.doc_id if shipment.stage(now) >= 1 else "0",
                    errCode="82520",
                    errMessage="Kargo daha önce iptal edilmiş.",
                    invoiceKey=shipment.fields.get("invoiceKey"),
                    jobId=str(shipment.job_id),
                    operationCode="4",
                    operationStatus="ISC",
                )
            elif shipment.stage(now) > 0:
                # past the branch: the departure cannot be blocked any more
                status = shipment.status(now)
                _fill(
                    detail,
                    cargoKey=key,
                    docId=shipment.doc_id,
                    errCode="0",
                    invoiceKey=shipment.fields.get("invoiceKey"),
                    jobId=str(shipment.job_id),
                    operationCode=OPERATION_CODES[status],
                    operationMessage="Kargo işlem görmüş, iptal edilemez.",
                    operationStatus=status,
                )
            else:
                shipment.cancelled_at = now
                _fill(
                    detail,
                    cargoKey=key,
                    docId="0",  # never processed by a branch: no document yet
                    errCode="0",
                    invoiceKey=shipment.fields.get("invoiceKey"),
                    jobId=str(shipment.job_id),
                    operationCode="3",
                    operationMessage=OPERATION_MESSAGES["CNL"],
                    operationStatus="CNL",
                )


def schema_problem(operation: etree._Element) -> str | None:
    """Why ``operation`` does not fit the WSDL's types (order, required elements, types), or None."""
    if SCHEMA.validate(copy.deepcopy(operation)):
        return None
    error = SCHEMA.error_log.last_error
    return error.message if error is not None else "the request does not match the WSDL"


def _local(at: datetime, fmt: str) -> str:
    return at.astimezone(TR_TIME).strftime(fmt)


def _fill(parent: etree._Element, **fields: str | None) -> etree._Element:
    for name, value in fields.items():
        if value is not None:
            etree.SubElement(parent, name).text = value
    return parent


def _xml(root: etree._Element, status: int) -> Response:
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(content=content, status_code=status, media_type="text/xml; charset=utf-8")


def answer(operation: str, vo: etree._Element) -> Response:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"S": SOAP_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    response = etree.SubElement(body, f"{{{SHIP_NS}}}{operation}Response", nsmap={"ns2": SHIP_NS})
    response.append(vo)
    return _xml(env, 200)


def fault(code: str, message: str) -> Response:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    el = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    _fill(el, faultcode=code, faultstring=message)
    return _xml(env, 500)
