"""Connection settings for one Yurtiçi Kargo web-service account."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from kervan import DESTINATION, ConnectorSettings
from pydantic import Field, SecretStr

from .client import LIVE_ENDPOINT
from .tariff import Tariff, example_tariff


class YurticiSettings(ConnectorSettings):
    """``endpoint`` receives the web-service user and password (in every SOAP body): a
    destination field, limited to Yurtiçi's live and test hosts unless the platform allows
    another; changing it needs the password again."""

    allowed_hosts: ClassVar[tuple[str, ...]] = ("ws.yurticikargo.com", "testws.yurticikargo.com")

    endpoint: str = Field(
        default=LIVE_ENDPOINT,
        description="the ShippingOrderDispatcherServices URL (test: testws.yurticikargo.com)",
        pattern=r"^https?://",
        json_schema_extra=DESTINATION,
    )
    username: str = Field(min_length=1, description="web-service user (wsUserName)")
    password: SecretStr = Field(description="web-service password (wsPassword)")
    language: str = Field(default="TR", pattern=r"^(TR|EN)$")
    sender_name: str | None = Field(
        default=None,
        max_length=100,
        description="printed as the label's sender only when Kervan sends no seller (the "
        "label's sender is the tenant's seller party)",
    )
    return_code_field: str = Field(
        default="16",
        pattern=r"^[0-9]{1,3}$",
        description="the special field your contract registers return codes under "
        "(saveReturnShipmentCode fieldName): 16 on live accounts, 53 or 3 on the test service",
    )
    return_code_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="how many days a return code stays usable from the day it is issued "
        "(saveReturnShipmentCode endDate); Yurtiçi limits the range per contract (error 80838) "
        "to a figure no public source gives",
    )
    desi_step: Decimal = Field(
        default=Decimal(1),
        gt=0,
        description="desi rounding step in your contract (Yurtiçi accepts 3 decimals)",
    )
    tariff: Tariff = Field(
        default_factory=example_tariff,
        description="your contract's prices per desi band and zone (the default is an example)",
    )
