"""``YurticiSandbox``: a stand-in ``ShippingOrderDispatcherServices`` speaking SOAP 1.1.

Requests are parsed and answers built with lxml, in the shapes third-party clients show
(see the README): the operation in the ``ship:`` namespace with unqualified children,
``userLanguage`` on create/cancel and ``wsLanguage`` on query and the return-code operations,
errors inside HTTP 200 (``outFlag`` + ``errCode``), a SOAP ``Fault`` (HTTP 500) for requests it
cannot read.

Shipments move on the sandbox clock: ``NOP`` until the branch scans the cargo key
(``pickup_after``), then ``ISR`` with a ``docId``, then ``IND`` through the network, out for
delivery, and ``DLV``. Cancelled shipments stop. Tests may force a stage with :meth:`force`.

Rules and their sources:

* **Types and order.** Requests are validated against the WSDL's types
  (``ShippingOrderDispatcherServices.xsd`` beside this module, written from the WSDL in GitHub
  ``wprtrkcllpoc/tcll-poc``, ``src/main/resources/wsdl/KOPSWebServices.wsdl``, and the classes
  generated from it): element order, required elements and XML Schema types of every operation.
  A body that does not fit gets a ``soap:Client`` fault ("Unmarshalling Error", HTTP 500), what a
  JAX-WS endpoint answers. *Doubt:* an ERPNext integration (``logedosoft/Yurtici-Kargo-ERPNext``,
  ``utils.py``) sends ``receiverPhone1`` before ``cityName`` and leaves out ``taxOfficeId``,
  ``ttDocumentId``, ``dcSelectedCredit`` and ``dcCreditRule``; an unvalidating JAXB endpoint
  accepts that, so the real service may be more lenient than the WSDL. The sandbox follows the
  WSDL, and the connector sends what the WSDL asks.
* **Answer shapes.** Answers follow the WSDL's answer types (the same XSD): a result VO is
  ``outFlag``, ``outResult``, ``errCode`` (only on a request-level error), then ``count`` and
  ``jobId`` (create) or ``count`` and ``senderCustId`` (query, cancel), always present because
  the WSDL makes them required ``xs:long`` s (0 on an error); ``docId`` only in
  ``shippingDeliveryItemDetailVO``, whose fields come in the WSDL's order; the cancel detail
  always carries ``docId`` and ``jobId``. The conformance suite validates every answer.
* **outFlag.** 0 when at least one order of a createShipment went through, 1 when all failed, 2
  on an unexpected error (``tcgunel/omniship-yurtici`` README "Response Format"; the knowledge
  file ``eneshenderson/YurticiKargo-Api`` ``.github/copilot-instructions.md``: "0=OK, 1=Hata,
  2=Beklenmeyen").
* **errCode 936** is "Beklenmeyen bir hata oluştu. Yurtiçi Kargo ile irtibata geçiniz" (an
  unexpected error: contact Yurtiçi's IT), in the error tables of createShipment, cancelShipment
  and queryShipment (the knowledge file's and its ``go/README.md``, ``tcgunel/omniship-yurtici``,
  a falcon/zeep proxy's ``reference.py``; ../shared/reference/apis.md §8.2 "936 unexpected").
  No source says when it happens, so the sandbox answers it when told to (:meth:`unexpected`) or
  for a configurable share of requests (``unexpected_share``, default 0): ``outFlag`` 2,
  ``outResult`` the message above, ``errCode`` 936, nothing done.
* **Authentication.** A wrong ``wsUserName``/``wsPassword`` is ``outFlag`` 1 with ``errCode`` 1625
  at the result level, inside HTTP 200 (apis.md §8.2 lists 1625, 1626 and 80265 as the auth codes,
  from an unattributed client; the ERPNext integration reads such an answer as "outFlag=1 …
  errCode" on the result VO). A missing language element answers "Web servis kullanıcı dili boş
  olamaz." (the knowledge file).
* **Business checks of a ShippingOrderVO** (lengths, formats, cash on delivery; codes 60017–60020,
  80859, 82500–82518): :mod:`kervan_yurtici.order_rules`, which names each rule's source. City and
  town names are not checked against a list: no source documents such an error, and Yurtiçi's
  documented flow has the branch decide the delivery address when it scans the cargo key.
* **Return codes** (``saveReturnShipmentCode``, ``cancelReturnShipmentCode``):
  :mod:`kervan_yurtici.sandbox_returns`; the parcels buyers hand in with them
  (:meth:`YurticiSandbox.hand_in_return`) and the report service that lists them
  (``WsReportWithReferenceServices``, ``listInvDocumentInterfaceByReference``):
  :mod:`kervan_yurtici.sandbox_report`.
* **Query/cancel codes** 80859, 82519, 82520, 82526, 82527 and the ``operationStatus`` /
  ``operationCode`` table: apis.md §8.2 and the knowledge file.
* **queryShipment flags.** ``keyType`` 0 queries by cargo key, 1 by **invoice key** (the knowledge
  file, ``beratkrdr/yurtici-kargo-entegrasyon-php`` README "0 – Kargo Anahtarı / 1 – Fatura
  Anahtarı", the falcon proxy's ``IDENTIFIER_INVOICE_ID = 1``; apis.md §8.2 says "1 = tracking
  number", which these sources contradict). ``addHistoricalData`` adds the movement history
  (``invDocCargoVOArray``); ``onlyTracking`` "only reports the tracking link" (beratkrdr README):
  the item detail then carries ``trackingUrl`` alone.
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
from .order_rules import order_refusal
from .sandbox_report import REPORT_PATH, SSW_NS, ReportService, ReturnParcel, report_problem
from .sandbox_returns import MESSAGES as RETURN_CODE_MESSAGES
from .sandbox_returns import RETURN_CODE_FIELDS, ReturnCodes

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
#: errCode 936 and its message (see the module docstring)
UNEXPECTED = ("936", "Beklenmeyen bir hata oluştu. Yurtiçi Kargo ile irtibata geçiniz.")
#: operation → (handler name, language element, result VO, the result VO's required longs)
OPERATIONS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "createShipment": ("_create", "userLanguage", "ShippingOrderResultVO", ("count", "jobId")),
    "queryShipment": ("_query", "wsLanguage", "ShippingDeliveryVO", ("count", "senderCustId")),
    "cancelShipment": (
        "_cancel",
        "userLanguage",
        "ShippingOrderResultVO",
        ("count", "senderCustId"),
    ),
    "saveReturnShipmentCode": ("_save_return_code", "wsLanguage", "ExtendedBaseResultVO", ()),
    "cancelReturnShipmentCode": ("_cancel_return_code", "wsLanguage", "ExtendedBaseResultVO", ()),
}
SENDER_CUST_ID = "1010954"


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

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        seed: int = 0,
        unexpected_share: float = 0.0,
        collection_types: frozenset[str] = frozenset({"0", "1"}),
        return_code_fields: frozenset[str] = RETURN_CODE_FIELDS,
    ) -> None:
        self.shipments: dict[str, SimShipment] = {}
        self.envelopes: list[bytes] = []  # every request body, for element-by-element checks
        #: share of requests answered with errCode 936 (outFlag 2), drawn from the seeded random
        self.unexpected_share = unexpected_share
        #: cash-on-delivery types the sender's contract allows (0 cash, 1 card; else 82512)
        self.collection_types = collection_types
        self.return_codes = ReturnCodes(return_code_fields)
        #: the report service: return parcels handed in with a return code
        self.report = ReportService()
        self._unexpected: list[str | None] = []
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

    def hand_in_return(
        self,
        code: str,
        *,
        sender: str = "İADE GÖNDERİCİSİ",
        city: str = "İstanbul",
        town: str = "Kadıköy",
    ) -> ReturnParcel:
        """A buyer gives return ``code`` at a branch now: the branch accepts the parcel on a
        document of its own (a new ``docId``), which then travels to the seller on the sandbox
        clock. ``ValueError`` when a branch would refuse the code (unknown, withdrawn, out of
        its dates, used ``maxCount`` times)."""
        now = self.clock.now()
        used = self.return_codes.use(code, _local(now, "%Y%m%d"))
        parcel = ReturnParcel(
            field_name=used.field_name,
            code=code,
            doc_id=str(100000000000 + self.random.randrange(10**11)),
            handed_in_at=now,
            sender=sender,
            city=city,
            town=town,
        )
        self.report.parcels.append(parcel)
        return parcel

    def unexpected(self, operation: str | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``operation`` (any when None) with errCode 936."""
        self._unexpected.extend([operation] * times)

    def seed_scenario(self, scenario: Any) -> None:  # a kervan.scenario.Scenario
        """Nothing to seed: Yurtiçi learns of shipments when they are created."""

    # -- SOAP ------------------------------------------------------------------------------

    def routes(self, app: FastAPI) -> None:
        @app.post(PATH)
        async def dispatch(request: Request) -> Response:
            body = await request.body()
            self.envelopes.append(body)
            return self.handle(body)

        @app.post(REPORT_PATH)
        async def report(request: Request) -> Response:
            body = await request.body()
            self.envelopes.append(body)
            return self.handle_report(body)

        @app.get(PATH)
        async def wsdl() -> Response:
            return Response(status_code=404, content=b"the sandbox serves no WSDL")

    def handle(self, content: bytes) -> Response:
        operation = _operation(content)
        if isinstance(operation, Response):
            return operation
        if etree.QName(operation).namespace != SHIP_NS:
            return fault(
                "soap:Client",
                f"Cannot find dispatch method for {{{etree.QName(operation).namespace}}}{local(operation)}",
            )
        name = local(operation)
        if name not in OPERATIONS:
            return fault("soap:Client", f"Cannot find dispatch method for {{{SHIP_NS}}}{name}")
        handler, language, vo_name, longs = OPERATIONS[name]
        if problem := schema_problem(operation):
            # what a JAX-WS endpoint answers when the body does not unmarshal into the WSDL's types
            return fault("soap:Client", f"Unmarshalling Error: {problem}")
        vo = etree.Element(vo_name)
        if text(operation, "wsUserName") != USERNAME or text(operation, "wsPassword") != PASSWORD:
            _head(vo, longs, "1", "Kullanıcı adı veya şifre hatalı.", "1625")
        elif not text(operation, language):
            _head(vo, longs, "1", "Web servis kullanıcı dili boş olamaz.")
        elif self._take_unexpected(name):
            _head(vo, longs, "2", UNEXPECTED[1], UNEXPECTED[0])
        else:
            getattr(self, handler)(operation, vo, longs)
        return answer(name, vo)

    def handle_report(self, content: bytes) -> Response:
        """The report service: only ``listInvDocumentInterfaceByReference`` (see
        :mod:`kervan_yurtici.sandbox_report`)."""
        operation = _operation(content)
        if isinstance(operation, Response):
            return operation
        if etree.QName(operation).namespace != SSW_NS:
            return fault("soap:Client", f"Cannot find dispatch method for {operation.tag}")
        if problem := report_problem(operation):
            return fault("soap:Client", problem)
        name = local(operation)
        if text(operation, "userName") != USERNAME or text(operation, "password") != PASSWORD:
            vo = _fill(etree.Element("ShippingDataResponseVO"), outFlag="1")
            _fill(vo, outResult="Kullanıcı adı veya şifre hatalı.")
        elif not text(operation, "language"):
            vo = _fill(etree.Element("ShippingDataResponseVO"), outFlag="1")
            _fill(vo, outResult="Web servis kullanıcı dili boş olamaz.")
        elif self._take_unexpected(name):
            vo = _fill(
                etree.Element("ShippingDataResponseVO"), outFlag="2", outResult=UNEXPECTED[1]
            )
        else:
            vo = self.report.answer(operation, self.clock.now())
        return answer(name, vo, SSW_NS)

    def _take_unexpected(self, operation: str) -> bool:
        for i, wanted in enumerate(self._unexpected):
            if wanted in (None, operation):
                del self._unexpected[i]
                return True
        return self.unexpected_share > 0 and self.random.random() < self.unexpected_share

    def _next_job(self) -> int:
        self._job += 1
        return self._job

    def _create(self, operation: etree._Element, vo: etree._Element, longs: Longs) -> None:
        orders = children(operation, "ShippingOrderVO")
        job = self._next_job()
        failed = 0
        details = []
        for order in orders:
            fields = {local(c): (c.text or "").strip() for c in order if isinstance(c.tag, str)}
            key = fields.get("cargoKey", "")
            code, message = "0", ""
            if refusal := order_refusal(fields, collection_types=self.collection_types):
                code, message = refusal
            elif key in self.shipments:
                code, message = "60020", "Belirtilen kargo anahtarı sistemde mevcut"
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
        # outFlag 0 when at least one order went through, 1 when all failed (module docstring)
        all_failed = bool(orders) and failed == len(orders)
        _head(
            vo,
            longs,
            "1" if all_failed else "0",
            "Hata" if all_failed else "Başarılı",
            count=str(len(orders)),
            jobId=str(job),
        )
        for detail in details:
            _fill(etree.SubElement(vo, "shippingOrderDetailVO"), **detail)

    def _query(self, operation: etree._Element, vo: etree._Element, longs: Longs) -> None:
        keys = [
            k for el in children(operation, "keys") for k in (el.text or "").split(",") if k.strip()
        ]
        if not keys:
            _head(vo, longs, "1", "Sorgulanacak anahtar bulunamadı.", "82526")
            return
        if text(operation, "keyType") not in ("0", "1"):
            _head(vo, longs, "1", "Anahtar tipi bulunamadı.", "82527")
            return
        by_invoice = text(operation, "keyType") == "1"
        history = (text(operation, "addHistoricalData") or "").lower() == "true"
        only_tracking = (text(operation, "onlyTracking") or "").lower() == "true"
        now = self.clock.now()
        _head(vo, longs, "0", "Başarılı", count=str(len(keys)), senderCustId=SENDER_CUST_ID)
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
            self._delivery_detail(detail, shipment, now, history, only_tracking)

    def _delivery_detail(
        self,
        detail: etree._Element,
        s: SimShipment,
        now: datetime,
        history: bool,
        only_tracking: bool = False,
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
        tracking_url = (
            f"https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code={s.doc_id}"
        )
        if only_tracking:
            # onlyTracking: "only the tracking link is reported" (module docstring)
            _fill(item, trackingUrl=tracking_url)
            return
        delivered_at = s.created_at + TIMELINE[5][0] if stage == 5 else None
        returned = s.returned_at is not None and s.returned_at <= now
        # in the WSDL's ShippingDeliveryItemDetailVO order
        _fill(
            item,
            cargoKey=s.cargo_key,
            docId=s.doc_id,
            receiverCustName=s.fields.get("receiverCustName"),
            trackingUrl=tracking_url,
            deliveryDate=_local(delivered_at, "%Y%m%d") if delivered_at else None,
            deliveryTime=_local(delivered_at, "%H%M%S") if delivered_at else None,
            totalDesiKg=s.fields.get("desi"),
            totalCargo=s.fields.get("cargoCount", "1"),
            departureUnitName="ÇIKIŞ ŞUBESİ",
            rejectStatus="9" if returned else None,
            returnStatus="3" if returned else "0",
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

    def _cancel(self, operation: etree._Element, vo: etree._Element, longs: Longs) -> None:
        keys = [
            k.strip()
            for el in children(operation, "cargoKeys")
            for k in (el.text or "").split(",")
            if k.strip()
        ]
        now = self.clock.now()
        _head(vo, longs, "0", "Başarılı", count=str(len(keys)), senderCustId=SENDER_CUST_ID)
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

    def _save_return_code(
        self, operation: etree._Element, vo: etree._Element, longs: Longs
    ) -> None:
        problem = self.return_codes.save(
            text(operation, "fieldName") or "",
            text(operation, "returnCode") or "",
            text(operation, "startDate") or "",
            text(operation, "endDate") or "",
            text(operation, "maxCount") or "0",
        )
        _return_code_answer(vo, longs, problem)

    def _cancel_return_code(
        self, operation: etree._Element, vo: etree._Element, longs: Longs
    ) -> None:
        problem = self.return_codes.cancel(
            text(operation, "fieldName") or "", text(operation, "returnCode") or ""
        )
        _return_code_answer(vo, longs, problem)


Longs = tuple[str, ...]


def _head(
    vo: etree._Element,
    longs: Longs,
    out_flag: str,
    out_result: str,
    err_code: str | None = None,
    **values: str,
) -> None:
    """A result VO's own fields in the WSDL's order: ``outFlag``, ``outResult``, ``errCode``,
    then its required longs (``count``, ``jobId`` / ``senderCustId``; 0 unless given)."""
    _fill(vo, outFlag=out_flag, outResult=out_result, errCode=err_code)
    _fill(vo, **{name: values.get(name, "0") for name in longs})


def _return_code_answer(vo: etree._Element, longs: Longs, problem: str | None) -> None:
    if problem is None:
        _head(vo, longs, "0", "Başarılı", "0")
    else:
        _head(vo, longs, "1", RETURN_CODE_MESSAGES[problem], problem)


def _operation(content: bytes) -> etree._Element | Response:
    """The operation element of a SOAP request, or the fault that answers an unreadable one."""
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
    return operation


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


def answer(operation: str, vo: etree._Element, namespace: str = SHIP_NS) -> Response:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"S": SOAP_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    response = etree.SubElement(
        body, f"{{{namespace}}}{operation}Response", nsmap={"ns2": namespace}
    )
    response.append(vo)
    return _xml(env, 200)


def fault(code: str, message: str) -> Response:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    el = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    _fill(el, faultcode=code, faultstring=message)
    return _xml(env, 500)
