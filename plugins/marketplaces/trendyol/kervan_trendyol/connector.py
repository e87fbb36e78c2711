"""The Trendyol connector: an order source (marketplace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kervan import CarrierLegal, CheckResult, ConnectorContext, OrderSource, RecordProblem
from kervan.domain import Order
from kervan.errors import KervanError

from . import webhooks
from .carriers import MARKETPLACE_CARRIERS
from .claims import ClaimsMixin
from .client import TrendyolClient
from .finance import FinanceMixin
from .orders import OrdersMixin
from .products import ProductsMixin
from .settings import TrendyolSettings


class Trendyol(OrdersMixin, ClaimsMixin, ProductsMixin, FinanceMixin, OrderSource):
    """Trendyol marketplace: packages, invoices, claims, listings, stock, price, settlements."""

    key: ClassVar[str] = "trendyol"
    display_name: ClassVar[str] = "Trendyol"
    #: Trendyol's operating company, which collects the buyer's payment (README "Legal name")
    legal_name: ClassVar[str | None] = "DSM Grup Danışmanlık İletişim ve Satış Ticaret A.Ş."
    marketplace_carriers: ClassVar[tuple[CarrierLegal, ...]] = MARKETPLACE_CARRIERS
    requires_core: ClassVar[str] = ">=0.1,<0.2"
    Settings = TrendyolSettings
    #: 2: ``lookback_days`` and ``overlap_minutes`` are gone (the engine owns the polling window)
    settings_version: ClassVar[int] = 2
    sandbox: ClassVar[str | None] = "kervan_trendyol.sandbox:TrendyolSandbox"

    settings: TrendyolSettings

    def __init__(self, settings: TrendyolSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.client = TrendyolClient(settings, context)

    @classmethod
    def migrate_settings(cls, old: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Version 1 had its own polling window (``lookback_days``, ``overlap_minutes``); the
        engine owns that now, so a connection stored with them loads without them."""
        new = dict(old)
        if from_version < 2:
            new.pop("lookback_days", None)
            new.pop("overlap_minutes", None)
        return new

    async def check(self) -> CheckResult:
        """Credentials, seller id and User-Agent, with one cheap read (one package)."""
        try:
            # filtered by status so it never counts as a poll (see the sandbox's cancellations)
            body = await self.client.get_packages({"size": 1, "page": 0, "status": "Created"})
        except KervanError as exc:
            return CheckResult(ok=False, message=exc.message, details={"code": exc.code})
        return CheckResult(
            ok=True,
            message="Trendyol accepted the credentials",
            details={
                "seller_id": self.settings.seller_id,
                "new_packages": body.get("totalElements"),
            },
        )

    def verify_webhook(self, headers: Mapping[str, str]) -> bool:
        """Whether Trendyol's webhook call carries this connection's configured credentials."""
        return webhooks.verify_webhook(headers, self.settings)

    def parse_webhook(self, body: bytes) -> list[Order | RecordProblem]:
        """The package(s) a verified webhook pushed, with the same ids ``fetch_orders`` gives;
        a package that cannot be mapped is a :class:`~kervan.RecordProblem` in its place."""
        return webhooks.parse_webhook_all(
            body, tenant_id=self.context.tenant_id, connection_id=self.context.connection_id
        )

    async def aclose(self) -> None:
        await self.client.aclose()
