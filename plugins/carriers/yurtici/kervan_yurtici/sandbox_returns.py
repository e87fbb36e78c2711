"""The sandbox's return codes: ``saveReturnShipmentCode`` and ``cancelReturnShipmentCode``.

A return code is a value the seller registers for one of its special fields (``fieldName``); a
buyer who gives it at a Yurtiçi branch sends the parcel back on the seller's account, at most
``maxCount`` times between ``startDate`` and ``endDate`` (``yyyyMMdd``).

Sources: the WSDL (repository ``wprtrkcllpoc/tcll-poc``, ``KOPSWebServices.wsdl``): request
``fieldName``, ``returnCode``, ``startDate``, ``endDate`` (strings) and ``maxCount`` (a required
``xs:int``), ``wsLanguage`` as the language element, answer
``saveReturnShipmentCodeResponse/ExtendedBaseResultVO{outFlag,outResult,errCode}``, and the same
for ``cancelReturnShipmentCode`` (``fieldName``, ``returnCode``). Error codes and messages:
``eneshenderson/YurticiKargo-Api`` ``go/README.md`` (82651, 82652, 82654, 82655, 82656, 60109,
60026, 60027) and ``.github/copilot-instructions.md`` (the same, and ``fieldName`` "test: 53 or
3, live: 16 (contract-specific)"); ``tcgunel/omniship-yurtici`` ``README.md`` (``fieldName`` 16
for returns, ``YYYYMMDD`` dates, ``cancelReturnShipmentCode``).

Not modelled: 82653 ("used more than xx times") and 80838 ("date range at most yy days"), whose
limits no source gives; 80063, a second "start date missing" code (60026 is used). A malformed
or reversed date range is answered 82517 (the service's generic "invalid format" code): an
inference, no source says what the service answers there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: special fields the sandbox's contract accepts for return codes: 16 live, 3 and 53 on the
#: test service
RETURN_CODE_FIELDS = frozenset({"3", "16", "53"})

MESSAGES = {
    "60026": "Başlangıç tarih kriteri zorunludur",
    "60027": "Bitiş tarih kriteri zorunludur",
    "60109": "Özel alan adı boş bırakılmamalıdır",
    "82517": "Hatalı format bilgisi, parametreye ait değer belirtilen formatta olmalıdır",
    "82651": "İade kodu boş olamaz",
    "82652": "İade koduna ait kullanım adedi boş olamaz",
    "82654": "FieldName bilgisi geçersizdir",
    "82655": "İade kodu daha önceden kaydedilmiştir",
    "82656": "İade kodu sistemde bulunmamaktadır",
}


@dataclass
class ReturnCode:
    field_name: str
    code: str
    start: str
    end: str
    max_count: int
    cancelled: bool = False
    #: parcels handed in with this code so far (see :meth:`ReturnCodes.use`)
    uses: int = 0


def _date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%d") if len(value) == 8 else None
    except ValueError:
        return None


class ReturnCodes:
    """Registered return codes by (fieldName, returnCode)."""

    def __init__(self, fields: frozenset[str] = RETURN_CODE_FIELDS) -> None:
        self.fields = fields
        self.codes: dict[tuple[str, str], ReturnCode] = {}

    def _field(self, field_name: str) -> str | None:
        if not field_name:
            return "60109"
        return None if field_name in self.fields else "82654"

    def save(self, field_name: str, code: str, start: str, end: str, max_count: str) -> str | None:
        """Register a code; the errCode that refuses it, or None."""
        if problem := self._field(field_name):
            return problem
        if not code:
            return "82651"
        if int(max_count or "0") <= 0:
            return "82652"
        if not start:
            return "60026"
        if not end:
            return "60027"
        first, last = _date(start), _date(end)
        if first is None or last is None or last < first:
            return "82517"
        existing = self.codes.get((field_name, code))
        if existing is not None and not existing.cancelled:
            return "82655"
        self.codes[field_name, code] = ReturnCode(field_name, code, start, end, int(max_count))
        return None

    def use(self, code: str, today: str) -> ReturnCode:
        """A buyer gives ``code`` at a branch on ``today`` (``yyyyMMdd``): the live code it
        names, counted once more. Raises ``ValueError`` saying why the branch would refuse it
        (unknown, withdrawn, outside its dates, used ``maxCount`` times)."""
        found = [c for (_field, value), c in self.codes.items() if value == code]
        live = next((c for c in found if not c.cancelled), None)
        if live is None:
            raise ValueError(f"return code {code!r} is {'withdrawn' if found else 'unknown'}")
        if not live.start <= today <= live.end:
            raise ValueError(f"return code {code!r} is valid {live.start}–{live.end}, not {today}")
        if live.uses >= live.max_count:
            raise ValueError(f"return code {code!r} was used {live.uses} times already")
        live.uses += 1
        return live

    def cancel(self, field_name: str, code: str) -> str | None:
        """Cancel a code; the errCode that refuses it, or None."""
        if problem := self._field(field_name):
            return problem
        if not code:
            return "82651"
        existing = self.codes.get((field_name, code))
        if existing is None or existing.cancelled:
            return "82656"
        existing.cancelled = True
        return None
