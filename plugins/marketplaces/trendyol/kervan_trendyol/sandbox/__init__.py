"""The Trendyol sandbox: ``TrendyolSandbox`` (see ``app.py``)."""

from .app import API_KEY, API_SECRET, SELLER_ID, TrendyolError, TrendyolSandbox

__all__ = ["API_KEY", "API_SECRET", "SELLER_ID", "TrendyolError", "TrendyolSandbox"]
