"""Connection settings for one Paraşüt company (firma)."""

from __future__ import annotations

from typing import ClassVar, Literal

from kervan import DESTINATION, ConnectorSettings
from pydantic import Field, SecretStr, model_validator

LIVE_BASE = "https://api.parasut.com"


class ParasutSettings(ConnectorSettings):
    """``base_url`` receives the OAuth client secret and the user's password: a destination
    field, limited to Paraşüt's API host unless the platform allows another."""

    allowed_hosts: ClassVar[tuple[str, ...]] = ("api.parasut.com",)

    base_url: str = Field(
        default=LIVE_BASE,
        pattern=r"^https?://",
        description="Paraşüt's API host; the token endpoint is {base_url}/oauth/token and the "
        "API {base_url}/v4/{company_id}",
        json_schema_extra=DESTINATION,
    )
    company_id: int = Field(
        ge=1, description="your company's number in Paraşüt (the number in the web app's URL)"
    )
    client_id: str = Field(min_length=1, description="OAuth client id Paraşüt gave you")
    client_secret: SecretStr = Field(description="OAuth client secret Paraşüt gave you")
    username: str = Field(min_length=3, description="the Paraşüt user's e-mail address")
    password: SecretStr = Field(description="the Paraşüt user's password")
    payment_account_id: int = Field(
        ge=1,
        description="the Paraşüt cash or bank account (Kasa/Banka) a marketplace's payout is "
        "recorded into when an order's payment is closed",
    )
    customer_cards: Literal["per_buyer", "marketplace"] = Field(
        default="per_buyer",
        description="per_buyer: each buyer gets a customer card (found by tax number or "
        "e-mail before one is created); marketplace: every invoice goes on one customer card "
        "for the marketplace, named below",
    )
    marketplace_contact_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="the customer card every invoice goes on when customer_cards is "
        "'marketplace' (found by this name, created once if missing)",
    )
    marketplace_tax_number: str | None = Field(
        default=None,
        pattern=r"^[0-9]{10,11}$",
        description="the marketplace's VKN, written on its customer card when Kervan creates it",
    )

    @model_validator(mode="after")
    def _marketplace_card_is_named(self) -> ParasutSettings:
        if self.customer_cards == "marketplace" and not self.marketplace_contact_name:
            raise ValueError(
                "customer_cards 'marketplace' needs marketplace_contact_name (the card every "
                "invoice goes on)"
            )
        return self
