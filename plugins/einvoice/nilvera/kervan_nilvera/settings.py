"""The Nilvera connection's settings."""

from __future__ import annotations

from typing import ClassVar

from kervan import DESTINATION, ConnectorSettings
from pydantic import Field, SecretStr

from .client import LIVE_URL


class NilveraSettings(ConnectorSettings):
    """``base_url`` receives the API key (Bearer): a destination field, limited to Nilvera's
    live and test APIs unless the platform allows another host."""

    allowed_hosts: ClassVar[tuple[str, ...]] = ("api.nilvera.com", "apitest.nilvera.com")
    api_key: SecretStr = Field(
        description="Nilvera API key (portal → API keys); test and live keys differ"
    )
    base_url: str = Field(
        default=LIVE_URL,
        description="https://api.nilvera.com (live) or https://apitest.nilvera.com (test)",
        json_schema_extra=DESTINATION,
    )
    earchive_cancel_window_days: int = Field(
        default=7,
        ge=0,
        le=31,
        description="days after issue an e-Arşiv may still be cancelled (sources say 7 or 8)",
    )
    default_sender_alias: str | None = Field(
        default=None, description="the GB (sender unit) alias e-Fatura goes out from"
    )
    public_pdf_url_template: str | None = Field(
        default=None,
        description="a public link for e-Arşiv PDFs, with {uuid}; empty: no link, upload the PDF",
    )
    timeout_s: float = Field(default=30.0, gt=0, le=120)
