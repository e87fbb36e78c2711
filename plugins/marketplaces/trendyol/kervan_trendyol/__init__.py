"""Trendyol marketplace connector for Kervan."""

from kervan import hookimpl

from .connector import Trendyol
from .settings import TrendyolSettings
from .webhooks import parse_webhook, verify_webhook

__all__ = ["Trendyol", "TrendyolSettings", "parse_webhook", "verify_webhook"]


@hookimpl
def register_order_sources(register):  # type: ignore[no-untyped-def]
    register(Trendyol)
