"""The account's credit (kontör) package: ``GET /general/Credits`` and the refusal when it runs out.

Shape: ``CreditResponse`` of Nilvera's General OpenAPI (montarist/nilvera-api
``docs/general.swagger.json``): ``{Name, ModuleID, TaxNumber, TotalCredit, UsedCredit,
RemainingCredit, UsePercentage, DurationType, EndDate, IsControl}``, as a list. Codes: 2000
"not enough credits", 2075 "the credit package has expired" (422; Odoo
``l10n_tr_nilvera/const.py``). One credit per accepted document, whatever its kind, is the
sandbox's simplification *(uncertain: Nilvera sells packages per module and prices are not
published)*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .state import CREDITS_EXPIRED, NO_CREDITS, Refusal, local_iso


@dataclass
class Credits:
    total: int
    used: int = 0
    expires_at: datetime | None = None
    name: str = "e-Dönüşüm Kontör Paketi"
    module_id: int = 1

    @property
    def remaining(self) -> int:
        return max(self.total - self.used, 0)

    def spend(self, now: datetime) -> None:
        """Take one credit for a document, or refuse it (422) when none can be taken."""
        if self.expires_at is not None and now >= self.expires_at:
            raise Refusal(
                422,
                CREDITS_EXPIRED,
                "Kontör paketinizin süresi dolmuştur",
                f"paket {local_iso(self.expires_at)} tarihinde sona erdi",
            )
        if self.remaining <= 0:
            raise Refusal(
                422,
                NO_CREDITS,
                "Yeterli krediniz bulunmamaktadır",
                f"kalan kontör {self.remaining}; kontör yükleyin",
            )
        self.used += 1

    def entry(self, tax_id: str) -> dict[str, Any]:
        return {
            "Name": self.name,
            "ModuleID": self.module_id,
            "TaxNumber": tax_id,
            "TotalCredit": self.total,
            "UsedCredit": self.used,
            "RemainingCredit": self.remaining,
            "UsePercentage": round(100 * self.used / self.total, 2) if self.total else 100.0,
            "DurationType": "Year" if self.expires_at else "Indefinite",
            "EndDate": local_iso(self.expires_at) or "0001-01-01T00:00:00",
            "IsControl": True,
        }
