"""Connection settings for one MNG Kargo / DHL eCommerce apizone application."""

from __future__ import annotations

from typing import ClassVar

from kervan import DESTINATION, ConnectorSettings
from pydantic import Field, SecretStr

from .client import LIVE_BASE


class MngSettings(ConnectorSettings):
    """``base_url`` receives the app's client secret and the customer password: a destination
    field, limited to MNG's live and test API hosts unless the platform allows another;
    changing it needs both secrets again."""

    allowed_hosts: ClassVar[tuple[str, ...]] = ("api.mngkargo.com.tr", "testapi.mngkargo.com.tr")

    base_url: str = Field(
        default=LIVE_BASE,
        pattern=r"^https?://",
        description="…/mngapi/api (test: testapi.mngkargo.com.tr)",
        json_schema_extra=DESTINATION,
    )
    client_id: str = Field(min_length=1, description="X-IBM-Client-Id of your apizone application")
    client_secret: SecretStr = Field(description="X-IBM-Client-Secret of your apizone application")
    customer_number: str = Field(min_length=1, description="MNG customer number (müşteri no)")
    password: SecretStr = Field(description="MNG customer password (the permanent panel password)")
    shipment_service_type: int = Field(
        default=1, ge=1, description="1 standard, 7 same day, 8 evening"
    )
    packaging_type: int = Field(default=3, ge=1, le=4, description="1 file, 2 mi, 3 parcel, 4 box")
    payment_type: int = Field(default=1, ge=1, le=2, description="1 sender pays, 2 receiver pays")
    sender_name: str | None = Field(
        default=None,
        max_length=100,
        description="printed as the label's sender only when Kervan sends no seller (the "
        "label's sender is the tenant's seller party)",
    )
    plan_rate_limit: int | None = Field(
        default=None,
        ge=1,
        description="calls per minute per API product your apizone plan allows, if you know "
        "it: Kervan then paces itself under it. MNG publishes no figure; empty: Kervan only "
        "backs off when API Connect answers 429",
    )
    fallback_email: str = Field(
        default="noreply@kervan.invalid", description="MNG requires a recipient e-mail"
    )
