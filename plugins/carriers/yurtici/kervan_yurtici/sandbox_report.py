"""The sandbox's report service (``WsReportWithReferenceServices``): where inbound return parcels
show up.

A buyer gives a return code (registered with ``saveReturnShipmentCode``, see
:mod:`kervan_yurtici.sandbox_returns`) at a branch; the branch accepts the parcel on a document of
its own, addressed to the seller. The seller finds that document by the code with
``listInvDocumentInterfaceByReference``. Tests stand in for the buyer with
``YurticiSandbox.hand_in_return(code)``; the parcel then moves on the sandbox clock
(:data:`RETURN_TIMELINE`) and ends delivered to the seller.

Rules and their sources:

* **Operation and types.** ``listInvDocumentInterfaceByReference(userName, password, language,
  custParamsVO, fieldName, fieldValueArray*, docIdArray*, startDate, endDate, dateParamType,
  withCargoLifecycle)`` answering ``ShippingDataResponseVO{outFlag, outResult,
  shippingDataDetailVOArray*}``, in the namespace ``http://yurticikargo.com.tr/sswIntegrationServices``
  at ``/KOPSWebServices/WsReportWithReferenceServices``: the WSDL (repository
  ``wprtrkcllpoc/tcll-poc``, ``src/main/resources/wsdl/WsReportWithReferenceServices.wsdl``),
  written down as ``WsReportWithReferenceServices.xsd`` beside this module; requests are
  validated against it (a misfit is a ``soap:Client`` fault, as on the dispatcher service).
* **The special field.** Yurtiçi's special-field table names 16 "İade Onay Kodu" (return
  approval code) and 53 "Anahtar Alan" (``eneshenderson/YurticiKargo-Api``,
  ``.github/copilot-instructions.md``, "Özel Alan Formatı"); return codes are registered under
  16 live and 3/53 on the test service (same file). *Inference, no source shows it:* the
  document of a parcel accepted with a return code carries the code as the value of the field
  it was registered under, so ``fieldName`` = that field and ``fieldValueArray`` = the codes
  list the return parcels. Public integrations call the same operation with ``fieldName`` 53
  and ``withCargoLifecycle`` 1 to track their outbound parcels (UNATTRIBUTED PHP connectors in
  the public code index), which is the pattern followed here.
* **Movements.** ``withCargoLifecycle`` 1 adds ``docCargoLifeCycleVOArray`` (``eventDate``
  ``yyyyMMdd``, ``eventTime`` ``HHmmss``, ``eventName``, ``unitName``, ``cityName``,
  ``townName``, ``reasonName``: the WSDL's ``DocCargoLifeCycleVO``); the detail's
  ``cargoEventExplanation`` is the latest event ("Teslim Edildi" when delivered, as the same
  PHP connectors compare it) and ``deliveryDate``/``deliveryTime`` are set once delivered.
* **Nothing found.** ``outFlag`` 1 with ``outResult`` "Kayıt bulunamadı." when no value asked
  for has a document (an unattributed integration note in the public code index: the
  operation answers "kayıt bulunamadı" for a key no document carries yet); when some values
  have documents, only theirs are listed (inference). The result type has no ``errCode``.
* **Credentials and language.** The same web-service user as the dispatcher service (the PHP
  clients pass ``wsUserName``/``wsPassword`` as ``userName``/``password``); a wrong one is
  ``outFlag`` 1 "Kullanıcı adı veya şifre hatalı." and a missing language "Web servis
  kullanıcı dili boş olamaz." (the dispatcher's messages; this service's own are not
  published). A request with no ``fieldName`` or no value is ``outFlag`` 1 "Sorgulanacak
  alan bilgisi boş olamaz." (the sandbox's own wording).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources

from kervan.xml import parse_untrusted
from lxml import etree

from .client import children, local, text
from .mapping import TR_TIME

REPORT_PATH = "/KOPSWebServices/WsReportWithReferenceServices"
SSW_NS = "http://yurticikargo.com.tr/sswIntegrationServices"
XSD = "WsReportWithReferenceServices.xsd"
_SCHEMA_DOC = parse_untrusted(resources.files(__package__).joinpath(XSD).read_bytes(), source=XSD)
REPORT_SCHEMA = etree.XMLSchema(_SCHEMA_DOC)
XS = "http://www.w3.org/2001/XMLSchema"
#: ``ShippingDataDetailVO``'s children in the WSDL's order (read from the XSD)
DETAIL_ORDER: tuple[str, ...] = tuple(
    el.get("name", "")
    for el in _SCHEMA_DOC.iterfind(
        f"{{{XS}}}complexType[@name='ShippingDataDetailVO']/{{{XS}}}sequence/{{{XS}}}element"
    )
)
NOT_FOUND = "Kayıt bulunamadı."
NO_FIELD = "Sorgulanacak alan bilgisi boş olamaz."

# (offset from the hand-in, eventId, eventName, unit): branch acceptance at the buyer's
# branch, the network, then delivery to the seller
RETURN_TIMELINE: tuple[tuple[timedelta, str, str, str], ...] = (
    (timedelta(0), "1", "Kargo Kabul Edildi", "ÇIKIŞ ŞUBESİ"),
    (timedelta(hours=3), "2", "Kargo Yüklendi", "TRANSFER MERKEZİ"),
    (timedelta(hours=18), "3", "Varış Birimine Ulaştı", "VARIŞ ŞUBESİ"),
    (timedelta(hours=24), "4", "Kargo Dağıtıma Çıkarıldı", "VARIŞ ŞUBESİ"),
    (timedelta(hours=28), "5", "Teslim Edildi", "VARIŞ ŞUBESİ"),
)
DELIVERED_STAGE = len(RETURN_TIMELINE) - 1
#: the sandbox's seller, to whom return parcels travel
SELLER = ("KERVAN DEMO", "İstanbul", "Ataşehir")


@dataclass
class ReturnParcel:
    """One parcel a branch accepted with a return code, on its way to the seller."""

    field_name: str
    code: str
    doc_id: str
    handed_in_at: datetime
    sender: str
    city: str
    town: str

    def reached(self, now: datetime) -> tuple[tuple[timedelta, str, str, str], ...]:
        return tuple(s for s in RETURN_TIMELINE if self.handed_in_at + s[0] <= now)

    def delivered_at(self, now: datetime) -> datetime | None:
        at = self.handed_in_at + RETURN_TIMELINE[DELIVERED_STAGE][0]
        return at if at <= now else None


def _local(at: datetime, fmt: str) -> str:
    return at.astimezone(TR_TIME).strftime(fmt)


def _fill(parent: etree._Element, fields: dict[str, str | None]) -> None:
    for name, value in fields.items():
        if value is not None:
            etree.SubElement(parent, name).text = value


class ReportService:
    """The return parcels handed in so far, and the answers of the report operation."""

    def __init__(self) -> None:
        self.parcels: list[ReturnParcel] = []

    def answer(self, operation: etree._Element, now: datetime) -> etree._Element:
        """The ``ShippingDataResponseVO`` for a validated, authenticated request."""
        vo = etree.Element("ShippingDataResponseVO")
        field = text(operation, "fieldName") or ""
        values = [
            v for el in children(operation, "fieldValueArray") if (v := (el.text or "").strip())
        ]
        if not field or not values:
            _fill(vo, {"outFlag": "1", "outResult": NO_FIELD})
            return vo
        lifecycle = (text(operation, "withCargoLifecycle") or "") in ("1", "true")
        found = [p for p in self.parcels if p.field_name == field and p.code in values]
        if not found:
            _fill(vo, {"outFlag": "1", "outResult": NOT_FOUND})
            return vo
        _fill(vo, {"outFlag": "0", "outResult": "Başarılı"})
        for parcel in found:
            self._detail(etree.SubElement(vo, "shippingDataDetailVOArray"), parcel, now, lifecycle)
        return vo

    def _detail(
        self, detail: etree._Element, p: ReturnParcel, now: datetime, lifecycle: bool
    ) -> None:
        reached = p.reached(now)
        delivered = p.delivered_at(now)
        _offset, event_id, event_name, _unit = reached[-1]
        fields: dict[str, str | None] = {
            "transactionStatus": "0",
            "fieldName": p.field_name,
            "fieldValue": p.code,
            "docId": p.doc_id,
            "senderCustName": p.sender,
            "receiverCustName": SELLER[0],
            "senderCityName": p.city,
            "receiverCityName": SELLER[1],
            "senderTownName": p.town,
            "receiverTownName": SELLER[2],
            "documentDate": _local(p.handed_in_at, "%Y%m%d"),
            "documentTime": _local(p.handed_in_at, "%H%M%S"),
            "trackingUrl": (
                f"https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code={p.doc_id}"
            ),
            "deliveryDate": _local(delivered, "%Y%m%d") if delivered else None,
            "deliveryTime": _local(delivered, "%H%M%S") if delivered else None,
            "totalCargo": "1",
            "departureUnitName": f"{p.town.upper()} ŞUBESİ",
            "deliveryUnitName": f"{SELLER[2].upper()} ŞUBESİ",
            "cargoEventId": event_id,
            "cargoEventExplanation": event_name,
        }
        for name in DETAIL_ORDER:
            if name == "docCargoLifeCycleVOArray" and lifecycle:
                for offset, ev_id, ev_name, ev_unit in reached:
                    at = p.handed_in_at + offset
                    arriving = ev_unit == "VARIŞ ŞUBESİ"
                    _fill(
                        etree.SubElement(detail, name),
                        {
                            "cityName": SELLER[1] if arriving else p.city,
                            "eventDate": _local(at, "%Y%m%d"),
                            "eventId": ev_id,
                            "eventName": ev_name,
                            "eventTime": _local(at, "%H%M%S"),
                            "reasonName": "Sorun Yok",
                            "townName": SELLER[2] if arriving else p.town,
                            "unitName": ev_unit,
                        },
                    )
            elif fields.get(name) is not None:
                etree.SubElement(detail, name).text = fields[name]


def report_problem(operation: etree._Element) -> str | None:
    """Why ``operation`` does not fit the WSDL's request type, or None."""
    if local(operation) != "listInvDocumentInterfaceByReference":
        return f"Cannot find dispatch method for {{{SSW_NS}}}{local(operation)}"
    # the operation as a document of its own (it was parsed hardened with the request)
    if REPORT_SCHEMA.validate(etree.ElementTree(copy.deepcopy(operation))):
        return None
    error = REPORT_SCHEMA.error_log.last_error
    return "Unmarshalling Error: " + (error.message if error is not None else "bad request")
