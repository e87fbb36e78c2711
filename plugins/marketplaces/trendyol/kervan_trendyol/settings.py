"""Connection settings for one Trendyol store."""

from __future__ import annotations

from typing import ClassVar, Literal

from kervan import DESTINATION, ConnectorSettings
from pydantic import Field, SecretStr, model_validator

PRODUCTION_URL = "https://apigw.trendyol.com"
STAGE_URL = "https://stageapigw.trendyol.com"


class TrendyolSettings(ConnectorSettings):
    """What the seller copies from Trendyol's seller panel (Hesap Bilgilerim → Entegrasyon).

    ``base_url`` decides where the API key and secret are sent (Basic auth): it is a
    destination field, limited to Trendyol's production and stage gateways unless the platform
    allows another host; changing it needs the key and secret again.
    """

    allowed_hosts: ClassVar[tuple[str, ...]] = ("apigw.trendyol.com", "stageapigw.trendyol.com")

    seller_id: str = Field(pattern=r"^\d{1,20}$", description="Satıcı ID (sellerId / supplierId)")
    api_key: SecretStr = Field(description="API Key (the Basic auth user)")
    api_secret: SecretStr = Field(description="API Secret (the Basic auth password)")
    base_url: str = Field(
        default=PRODUCTION_URL,
        pattern=r"^https?://[^\s/]+(:\d+)?(/[^\s]*)?$",
        description=f"{PRODUCTION_URL} (production) or {STAGE_URL} (stage, IP allow-list)",
        json_schema_extra=DESTINATION,
    )
    integrator_name: str = Field(
        default="SelfIntegration",
        pattern=r"^[A-Za-z0-9]{1,30}$",
        description="sent as 'User-Agent: {sellerId} - {integrator_name}' (alphanumeric, ≤30)",
    )
    store_front_code: str | None = Field(
        default=None, max_length=10, description="storeFrontCode header (international stores)"
    )
    tracking_link_template: str | None = Field(
        default=None,
        max_length=300,
        pattern=r"^https?://\S*\{number\}\S*$",
        description=(
            "tracking page of the seller's own carrier, with {number} for the tracking number "
            "(sent to Trendyol's alternative delivery; default: known carriers' public pages)"
        ),
    )
    page_size: int = Field(default=200, ge=1, le=200, description="packages per page (max 200)")
    webhook_auth: Literal["API_KEY", "BASIC_AUTHENTICATION"] | None = Field(
        default=None, description="how Trendyol authenticates its webhook calls to us"
    )
    webhook_api_key: SecretStr | None = Field(default=None, description="x-api-key we expect")
    webhook_username: str | None = Field(default=None, max_length=100)
    webhook_password: SecretStr | None = None

    @model_validator(mode="after")
    def _webhook_credentials(self) -> TrendyolSettings:
        if self.webhook_auth == "API_KEY" and self.webhook_api_key is None:
            raise ValueError("webhook_auth API_KEY needs webhook_api_key")
        if self.webhook_auth == "BASIC_AUTHENTICATION" and not (
            self.webhook_username and self.webhook_password
        ):
            raise ValueError("webhook_auth BASIC_AUTHENTICATION needs webhook_username/password")
        return self

    @property
    def user_agent(self) -> str:
        return f"{self.seller_id} - {self.integrator_name}"
