"""Trendyol marketplace connector for Kervan."""

from collections.abc import Callable

from kervan import hookimpl

from .connector import Trendyol
from .settings import TrendyolSettings
from .webhooks import parse_webhook, verify_webhook

__all__ = ["Trendyol", "TrendyolSettings", "parse_webhook", "verify_webhook"]


@hookimpl
def register_order_sources(register: Callable[[type], None]) -> None:
    register(Trendyol)
