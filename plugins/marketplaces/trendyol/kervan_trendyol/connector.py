"""The Trendyol connector: an order source (marketplace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from kervan import CheckResult, ConnectorContext, OrderSource
from kervan.domain import Order
from kervan.errors import KervanError

from . import webhooks
from .claims import ClaimsMixin
from .client import TrendyolClient
from .orders import OrdersMixin
from .products import ProductsMixin
from .settings import TrendyolSettings


class Trendyol(OrdersMixin, ClaimsMixin, ProductsMixin, OrderSource):
    """Trendyol marketplace: packages, invoices, claims, listings, stock and price."""

    key: ClassVar[str] = "trendyol"
    display_name: ClassVar[str] = "Trendyol"
    requires_core: ClassVar[str] = ">=0.1,<0.2"
    Settings = TrendyolSettings
    sandbox: ClassVar[str | None] = "kervan_trendyol.sandbox:TrendyolSandbox"

    settings: TrendyolSettings

    def __init__(self, settings: TrendyolSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.client = TrendyolClient(settings, context)

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

    def parse_webhook(self, body: bytes) -> list[Order]:
        """The package(s) a verified webhook pushed, with the same ids ``fetch_orders`` gives."""
        return webhooks.parse_webhook_all(
            body, tenant_id=self.context.tenant_id, connection_id=self.context.connection_id
        )

    async def aclose(self) -> None:
        await self.client.aclose()
